import { describe, expect, it } from 'vitest';
import { documentIdOf, drained, startInstances, tally, until, webhookIdOf } from './harness';
import { crashSuite, startWithWebhook } from './crash-suite';

/**
 * A Strapi instance writing documents is SIGKILLed at several points (during writes, during
 * sends); after a restart every committed change is delivered, duplicates carry the same
 * `webhook-id`, and nothing is delivered for a write that did not commit.
 */
const WRITES = Number(process.env.CRASH_WRITES ?? 300);

const suite = crashSuite();
const { instances } = suite;
// A short lease, so the restarted instance takes over the dead one's claims quickly.
const CONFIG = { leaseMs: 2000, pollIntervalMs: 300, concurrency: 10, perWebhookConcurrency: 10 };

describe('SIGKILL mid-burst', () => {
  it('delivers every committed change after restart, and nothing else', async () => {
    const { rx, db } = suite;
    const start = await startWithWebhook(suite, CONFIG, '/crash', 'entry.create');
    const { env } = start;
    let { inst } = start;
    // Slow answers keep sends in flight when the kill comes.
    rx.respond(() => ({ status: 200, delayMs: 100 }));
    const kills: string[] = [];

    // 1. Killed during writes: after a third of the burst has committed.
    const w1 = inst
      .call('write', { n: WRITES, concurrency: 4, prefix: 'k1', reportEvery: 1 })
      .catch((e: Error) => e);
    await until('a third committed', async () => inst.committed.length >= WRITES / 3, 120_000, 20);
    await inst.kill();
    kills.push(`during writes after ${inst.committed.length} reported commits`);
    expect(await w1).toBeInstanceOf(Error);

    // 2. Restart; killed during sends: requests in flight at the receiver.
    [inst] = await startInstances(1, env, CONFIG, instances);
    const before = rx.requests.length;
    await until('sends under way', async () => rx.requests.length >= before + 5, 60_000, 10);
    await inst.kill();
    kills.push(`during sends after ${rx.requests.length - before} requests`);

    // 3. Restart; killed during a second burst of writes while sends run.
    [inst] = await startInstances(1, env, CONFIG, instances);
    rx.respond(() => ({ status: 200, delayMs: 20 }));
    const w3 = inst
      .call('write', { n: WRITES / 2, concurrency: 4, prefix: 'k3', reportEvery: 1 })
      .catch((e: Error) => e);
    await until('some committed', async () => inst.committed.length >= WRITES / 6, 120_000, 20);
    await inst.kill();
    kills.push(`during writes and sends after ${inst.committed.length} commits`);
    await w3;

    // Final restart: everything committed must now be delivered.
    rx.respond(() => ({ status: 200 }));
    [inst] = await startInstances(1, env, CONFIG, instances);
    await until('queue drained', () => drained(inst), 240_000, 250);

    // The database is the truth about what committed.
    const docs: string[] = await inst.call('eval', {
      code: `return (await strapi.db.query('api::article.article').findMany({ select: ['documentId'] })).map((r) => r.documentId);`,
    });
    const committed = new Set(docs);
    const t = tally(rx.requests);
    // Every committed change delivered…
    const missing = [...committed].filter((d) => !t.docs.has(d));
    expect(missing).toEqual([]);
    // …nothing delivered for a write that did not commit…
    const phantom = rx.requests.map(documentIdOf).filter((d) => !committed.has(d));
    expect(phantom).toEqual([]);
    // …and a document's duplicates (a send cut off by the kill, retried) share one webhook-id.
    for (const [doc, ids] of t.docs) expect(ids.size, `document ${doc}`).toBe(1);
    const dupes = t.total - t.distinct;
    // The instance's own reports of commits are a subset of what the database holds.
    for (const i of instances) for (const d of i.committed) expect(committed.has(d)).toBe(true);
    expect(new Set(rx.requests.map(webhookIdOf)).size).toBe(committed.size);
    console.log(
      `[crash] ${db.kind}: ${committed.size} committed documents, all delivered; ${dupes} duplicate requests (same webhook-id); kills: ${kills.join('; ')}`
    );
  });
});
