import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tally, until, type Instance } from './harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

/**
 * Backfill of a large content type (docs/scaling.md, "Backfill"): 100,000 authors, a
 * webhook whose condition matches one in a hundred. Every matching document is delivered exactly
 * once as `entry.backfill`; the instance's heap stays flat while it runs (pages, and a
 * bounded outbox backlog, never the whole table); document writes made meanwhile are still
 * served; the progress is readable and a second backfill can be cancelled.
 *
 * SQLite by default; TEST_DB=postgres|mariadb starts a server of its own (stopped by its
 * PID). BACKFILL_DOCS changes the size.
 */
const requireCjs = createRequire(__filename);
const databases = requireCjs('../helpers/databases.js');
const { spawnInstance } = requireCjs('./instances.js');

const KIND: 'postgres' | 'mariadb' | 'sqlite' =
  process.env.TEST_DB === 'postgres' || process.env.TEST_DB === 'mariadb'
    ? process.env.TEST_DB
    : 'sqlite';
const DOCS = Number(process.env.BACKFILL_DOCS ?? 100_000);
const EVERY = 100;
const MATCHING = Math.floor(DOCS / EVERY);
const A = 'api::author.author';

let server: any = null;
let db: any;
let rx: Receiver;
let inst: Instance;

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'server', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  rx = await startReceiver();
  if (KIND !== 'sqlite') server = await databases.startServer(KIND);
  db = await databases.createDatabase(KIND, server ? { server } : {});
  inst = spawnInstance({
    dbEnv: db.env,
    config: {},
    name: 'strapi-backfill',
    execArgv: ['--expose-gc'],
  });
  await inst.ready;
});

afterAll(async () => {
  await inst?.stop().catch(() => inst.kill());
  await db?.drop();
  await server?.stop();
  await rx?.close();
});

/** `n` authors in set-based INSERT … SELECT statements (row by row would take minutes); one in EVERY has bio "match". */
function insertAuthors(n: number) {
  return inst.call('eval', {
    code: `const knex = strapi.db.connection; const kind = ${JSON.stringify(KIND)};
      const now = new Date();
      const cols = 'document_id, name, bio, created_at, updated_at, published_at';
      const select = "SELECT CONCAT('bf', x), CONCAT('Author ', x), CASE WHEN x % ${EVERY} = 0 THEN 'match' ELSE 'other' END, ?, ?, ?";
      for (let from = 1; from <= ${n}; from += 50000) {
        const to = Math.min(${n}, from + 49999);
        const sql = kind === 'sqlite' ? 'WITH RECURSIVE s(x) AS (SELECT ' + from + ' UNION ALL SELECT x + 1 FROM s WHERE x < ' + to + ') INSERT INTO authors (' + cols + ') ' + select.replace("CONCAT('bf', x)", "'bf' || x").replace("CONCAT('Author ', x)", "'Author ' || x") + ' FROM s'
          : kind === 'postgres' ? 'INSERT INTO authors (' + cols + ') ' + select + ' FROM generate_series(' + from + ', ' + to + ') AS s(x)'
          : 'INSERT INTO authors (' + cols + ') ' + select.replace(/\\bx\\b/g, 'seq') + ' FROM seq_' + from + '_to_' + to;
        await knex.raw(sql, [now, now, now]);
      }
      return strapi.db.query('${A}').count({});`,
  });
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const heapMb = async () =>
  (await inst.call('eval', { code: `global.gc?.(); return process.memoryUsage().heapUsed;` })) /
  1e6;
const backfill = (webhookId: number) => ({
  info: () =>
    inst.call('eval', {
      code: `return strapi.plugin('document-webhooks').service('backfill').info(${webhookId}, {});`,
    }),
  start: () =>
    inst.call('eval', {
      code: `return strapi.plugin('document-webhooks').service('backfill').start(${webhookId}, {});`,
    }),
  cancel: () =>
    inst.call('eval', {
      code: `return strapi.plugin('document-webhooks').service('backfill').cancel(${webhookId});`,
    }),
});

describe(`backfill of ${DOCS} documents (${KIND})`, () => {
  it('delivers each matching document once, with a flat heap, while writes are served; a second backfill is cancelled', async () => {
    let t0 = Date.now();
    expect(await insertAuthors(DOCS)).toBe(DOCS);
    console.log(
      `[backfill] ${DOCS} authors inserted in ${((Date.now() - t0) / 1000).toFixed(1)} s`
    );

    const hook = await inst.call('createWebhook', {
      body: {
        name: 'backfill scale',
        contentType: A,
        events: ['entry.delete'],
        url: rx.url('/backfill'),
        condition: `doc.bio == "match"`,
      },
    });
    const idle = (
      await inst.call('write', {
        n: 100,
        concurrency: 1,
        prefix: 'idle',
        timings: true,
        spacingMs: 50,
      })
    ).latencies as number[];
    const heapBefore = await heapMb();

    t0 = Date.now();
    const started = await backfill(hook.id).start();
    expect(started.queued).toBe(DOCS);
    const heap: number[] = [];
    const batches: number[] = [];
    const during: number[] = [];
    const progress: number[] = [];
    let done = false;
    let queuedAt = 0;
    while (!done) {
      // 10 writes spaced 100 ms apart (an editor or two at work): 1 s when served at once.
      // Their latencies leave out the wait for the event loop before each starts; the batch's
      // duration includes it.
      const c0 = Date.now();
      during.push(
        ...((
          await inst.call('write', {
            n: 10,
            concurrency: 1,
            prefix: `during${during.length}`,
            timings: true,
            spacingMs: 100,
          })
        ).latencies as number[])
      );
      batches.push(Date.now() - c0);
      if (batches.length % 4 === 1) heap.push(await heapMb());
      const info = await backfill(hook.id).info();
      progress.push(info.job.queued);
      if (!queuedAt && info.job.state === 'done') queuedAt = Date.now() - t0;
      done =
        info.job.state === 'done' &&
        rx.requests.filter((r) => r.url === '/backfill').length >= MATCHING;
      if (Date.now() - t0 > 540_000)
        throw new Error(
          `backfill not done after 9 min: ${JSON.stringify(info.job)}, ${rx.requests.length} received`
        );
    }
    const seconds = (Date.now() - t0) / 1000;
    const counts = await until(
      'drained',
      async () => {
        const c = await inst.call('counts');
        return c.outbox === 0 && c.pending === 0 && c.failed === 0 ? c : null;
      },
      120_000
    );

    const heapPeak = Math.max(...heap);
    const idleP99 = percentile(idle, 99);
    const duringP99 = percentile(during, 99);
    console.log(
      `[backfill] ${KIND}: ${DOCS} documents queued in ${(queuedAt / 1000).toFixed(1)} s, ${MATCHING} delivered in ${seconds.toFixed(1)} s; heap before ${heapBefore.toFixed(1)} MB, peak ${heapPeak.toFixed(1)} MB, after ${heap[heap.length - 1].toFixed(1)} MB (n=${heap.length}); 10-write batches p50/max ${percentile(batches, 50)}/${Math.max(...batches)} ms; write p50/p99/max idle ${percentile(idle, 50).toFixed(1)}/${idleP99.toFixed(1)}/${Math.max(...idle).toFixed(1)} ms, during ${percentile(during, 50).toFixed(1)}/${duringP99.toFixed(1)}/${Math.max(...during).toFixed(1)} ms (n=${during.length}); progress seen ${JSON.stringify(progress.slice(0, 12))}`
    );
    const t = tally(rx.requests, (r) => r.url === '/backfill');
    expect(t.total).toBe(MATCHING);
    expect(t.duplicates).toBe(0);
    expect(t.docs.size).toBe(MATCHING);
    const bodies = rx.requests
      .filter((r) => r.url === '/backfill')
      .slice(0, 50)
      .map((r) => JSON.parse(r.body));
    for (const b of bodies)
      expect(b).toMatchObject({ event: 'entry.backfill', uid: A, entry: { bio: 'match' } });
    expect(counts.delivered).toBe(MATCHING);
    // Progress was visible on the way: the count rose in steps, not all at once.
    expect(new Set(progress).size).toBeGreaterThan(3);

    // Flat: the heap does not grow with the table (100,000 snapshots would be well over 100 MB).
    expect(heapPeak - heapBefore).toBeLessThan(60);
    // Writes served meanwhile: every one of them completed, none stalled behind the backfill.
    expect(during.length).toBeGreaterThanOrEqual(50);
    expect(duringP99).toBeLessThan(Math.max(10 * idleP99, 500));
    // …and none waited long to start (without yielding, a batch took 11 s: docs/scaling.md).
    expect(percentile(batches, 50)).toBeLessThan(3000);
    expect(Math.max(...batches)).toBeLessThan(8000);

    // A second backfill, cancelled early: it stops where it was, and says so.
    const second = await inst.call('createWebhook', {
      body: {
        name: 'backfill cancelled',
        contentType: A,
        events: ['entry.delete'],
        url: rx.url('/cancelled'),
        condition: `doc.bio == "match"`,
      },
    });
    await backfill(second.id).start();
    await until(
      'some queued',
      async () => (await backfill(second.id).info()).job.queued > 0,
      60_000,
      50
    );
    const cancelled = await backfill(second.id).cancel();
    expect(cancelled.state).toBe('cancelled');
    const at = cancelled.queued;
    expect(at).toBeLessThan(DOCS);
    await until(
      'drained after cancel',
      async () => {
        const c = await inst.call('counts');
        return c.outbox === 0 && c.pending === 0 ? c : null;
      },
      120_000
    );
    const after = (await backfill(second.id).info()).job;
    expect(after).toMatchObject({ state: 'cancelled', queued: at });
    expect(rx.requests.filter((r) => r.url === '/cancelled').length).toBeLessThanOrEqual(
      Math.ceil(at / EVERY)
    );
  });
});
