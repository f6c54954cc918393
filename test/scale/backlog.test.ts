import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { bootStrapi, testDb, type TestApp } from '../helpers/strapi';

/**
 * A backlog of 100,000 pending deliveries (BACKLOG=… to change): each claim reads a bounded
 * page, the worker makes steady progress with bounded memory, and the admin log list stays
 * fast. The full drain is timed by `npm run bench` (docs/benchmarks.md), not here.
 */
const N = Number(process.env.BACKLOG ?? 100_000);
const RUN_MS = Number(process.env.BACKLOG_RUN_MS ?? 20_000);

/**
 * The live heap: `heapUsed` right after a full collection. Without one, `heapUsed` also counts
 * garbage V8 has not collected yet, which grows with the delivery rate, not with what is kept.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const liveHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

let app: TestApp;
let rx: Receiver;

beforeAll(async () => {
  rx = await startReceiver();
  app = await bootStrapi({ config: { worker: false, concurrency: 20, perWebhookConcurrency: 4 } });
});

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe(`backlog of ${N} on ${testDb()}`, () => {
  it('pages through claims with bounded memory; the log list stays fast', async () => {
    const strapi = app.strapi;
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await app.api('POST', '/document-webhooks/webhooks', {
        name: `backlog ${i}`,
        contentType: 'api::article.article',
        events: ['entry.create'],
        url: rx.url('/backlog'),
      });
      expect(res.status).toBe(201);
      ids.push(res.body.data.id);
    }
    const knex = strapi.db.connection;
    const now = new Date();
    const body = JSON.stringify({
      event: 'entry.create',
      documentId: 'x',
      entry: { title: 'backlog' },
    });
    for (let i = 0; i < N; i += 500) {
      const rows = [];
      for (let j = i; j < Math.min(i + 500, N); j++) {
        rows.push({
          webhook_id: ids[j % ids.length],
          webhook_name: 'backlog',
          event: 'entry.create',
          content_type: 'api::article.article',
          target_document_id: `bk${j}`,
          status: 'pending',
          message_id: `msg_bk${j}`,
          attempts: 0,
          attempt_log: '[]',
          request_url: rx.url('/backlog'),
          request_method: 'POST',
          request_headers: '{"content-type":"application/json"}',
          request_body: body,
          next_attempt_at: now,
          created_at: now,
          updated_at: now,
        });
      }
      await knex('document_webhooks_logs').insert(rows);
    }

    // The admin list, first page and filtered, with the backlog in the table (query-string values, as the route passes them).
    const logs = strapi.plugin('document-webhooks').service('logs');
    const timings: Record<string, number> = {};
    for (const [name, q] of Object.entries({
      first: { page: '1', pageSize: '25' },
      status: { status: 'pending', pageSize: '25' },
      webhook: { webhook: String(ids[0]), pageSize: '25' },
      deep: { page: '400', pageSize: '25' },
    })) {
      const t0 = performance.now();
      const res = await logs.find(q);
      timings[name] = performance.now() - t0;
      expect(res.data.length).toBe(25);
    }
    for (const [name, ms] of Object.entries(timings))
      expect(ms, `log list "${name}"`).toBeLessThan(1500);

    // One claim reads a bounded page, whatever the backlog.
    const { createClaimer } = await import('../../server/src/outbox/claim');
    const t0 = performance.now();
    const claimed = await createClaimer(strapi).claimDeliveries('probe', 20, 60_000, {
      busy: new Set(),
      perWebhookConcurrency: 4,
    });
    const claimMs = performance.now() - t0;
    expect(claimed.length).toBe(20);
    expect(claimMs).toBeLessThan(1500);

    // Run the worker for a while: steady progress, memory flat.
    const heap0 = liveHeap();
    strapi.config.set('plugin::document-webhooks.worker', true);
    const engine = strapi.plugin('document-webhooks').service('engine');
    await engine.stop();
    await engine.start();
    let peakHeap = heap0;
    const samples: number[] = [];
    const started = Date.now();
    while (Date.now() - started < RUN_MS) {
      await new Promise((r) => setTimeout(r, 500));
      peakHeap = Math.max(peakHeap, liveHeap());
      samples.push(rx.requests.length);
    }
    await engine.stop();
    const delivered = rx.requests.length;
    expect(delivered).toBeGreaterThan(50);
    // Progress in every part of the run, not a stall after a burst.
    const half = samples[Math.floor(samples.length / 2)];
    expect(half).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(half);
    // Memory: nothing proportional to the backlog (100k rows would be hundreds of MB; the
    // receiver here keeps every request it got, a few MB).
    const growthMb = (peakHeap - heap0) / 2 ** 20;
    expect(growthMb).toBeLessThan(150);
    console.log(
      `[backlog] ${testDb()}: ${N} pending; log list ${Object.entries(timings)
        .map(([k, v]) => `${k} ${v.toFixed(1)} ms`)
        .join(
          ', '
        )}; one claim ${claimMs.toFixed(1)} ms; ${delivered} delivered in ${RUN_MS} ms; heap +${growthMb.toFixed(1)} MB`
    );
  });
});
