import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver';
import {
  articleWebhook,
  drained,
  scaleDatabase,
  startInstances,
  stopAll,
  tally,
  until,
  type Instance,
} from './harness';

/**
 * Two Strapi processes on one PostgreSQL (TEST_DB=mariadb for MariaDB), both running the
 * worker; a burst of 5,000 document writes spread over both. The receiver must get every
 * delivery exactly once.
 */
const WRITES = Number(process.env.SCALE_WRITES ?? 5000);

let db: Awaited<ReturnType<typeof scaleDatabase>>;
let rx: Receiver;
const instances: Instance[] = [];

beforeAll(async () => {
  rx = await startReceiver();
  db = await scaleDatabase();
});

afterAll(async () => {
  await stopAll(instances);
  await rx?.close();
  await db?.release();
});

describe('two instances on one database', () => {
  it(`delivers each of ${WRITES} writes exactly once`, async () => {
    const env = await db.fresh();
    const [a, b] = await startInstances(
      2,
      env,
      { concurrency: 20, perWebhookConcurrency: 20 },
      instances
    );
    const hook = await a.call('createWebhook', { body: articleWebhook(rx.url('/multi')) });
    // Both instances must know the webhook before writing (the other one re-reads definitions).
    await Promise.all(
      [a, b].map((i) =>
        i.call('waitWebhooks', { uid: 'api::article.article', event: 'entry.create', count: 1 })
      )
    );

    const started = Date.now();
    const half = Math.floor(WRITES / 2);
    const [wa, wb] = await Promise.all([
      a.call('write', { n: half, concurrency: 8, prefix: 'a' }),
      b.call('write', { n: WRITES - half, concurrency: 8, prefix: 'b' }),
    ]);
    const writeMs = Date.now() - started;
    expect(wa.count + wb.count).toBe(WRITES);

    await rx.waitFor(
      (reqs) => new Set(reqs.map((r) => r.headers['webhook-id'])).size >= WRITES,
      300_000
    );
    const c = await until('queue drained', () => drained(a), 60_000);
    const drainMs = Date.now() - started;

    const t = tally(rx.requests);
    const committed = new Set([...a.committed, ...b.committed]);
    expect(committed.size).toBe(WRITES);
    // Exactly once: one request per delivery, one delivery per document.
    expect(t.distinct).toBe(WRITES);
    expect(t.duplicates).toBe(0);
    expect(c.delivered).toBe(WRITES);
    expect([...t.docs.keys()].sort()).toEqual([...committed].sort());
    for (const ids of t.docs.values()) expect(ids.size).toBe(1);
    console.log(
      `[multi-instance] ${db.kind}: ${WRITES} writes in ${writeMs} ms, all delivered after ${drainMs} ms; webhook ${hook.id}`
    );
  });
});
