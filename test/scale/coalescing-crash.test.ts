import { describe, expect, it } from 'vitest';
import { drained, startInstances, until } from './harness';
import { crashSuite, startWithWebhook } from './crash-suite';

/**
 * Issue 15: a coalescing window is durable (docs/events.md, "Bursts: coalescing windows").
 * The instance is SIGKILLed while a window is open; after a restart with two instances the
 * window is delivered exactly once, with every change it had joined and the webhook-id its
 * log row was given when it opened.
 */
const suite = crashSuite();
const { instances } = suite;
const CONFIG = { leaseMs: 2000, pollIntervalMs: 300 };
const UPDATES = 10;

describe('SIGKILL while a window is open', () => {
  it('is delivered exactly once after restart', async () => {
    const { rx } = suite;
    // A window long enough for the kill to land while it is open.
    const start = await startWithWebhook(suite, CONFIG, '/window', 'entry.update', {
      events: ['entry.create', 'entry.update'],
      coalesce: { by: 'document', windowSeconds: 6, maxWaitSeconds: 600 },
    });
    const { env, hook } = start;
    let { inst } = start;
    const documentId: string = await inst.call('eval', {
      code: `const docs = strapi.documents('api::article.article');
        const d = await docs.create({ data: { title: 'w0' } });
        for (let i = 1; i <= ${UPDATES}; i++) await docs.update({ documentId: d.documentId, data: { title: 'w' + i } });
        return d.documentId;`,
    });
    const readWindow = `return await strapi.db.query('plugin::document-webhooks.log').findMany({ where: { webhookId: ${hook.id} } });`;
    const [open] = await until(
      'window open with every change',
      async () => {
        const rows = await inst.call('eval', { code: readWindow });
        return rows.length === 1 && rows[0].changeCount === UPDATES + 1 ? rows : null;
      },
      30_000,
      50
    );
    expect(open.status).toBe('pending');
    expect(Date.parse(open.nextAttemptAt)).toBeGreaterThan(Date.now());
    await inst.kill();
    expect(rx.requests).toHaveLength(0);

    // Two instances after the restart: one of them sends it, once.
    await startInstances(2, env, CONFIG, instances);
    inst = instances[instances.length - 1];
    await rx.waitFor((r) => r.length > 0, 60_000);
    await until('queue drained', () => drained(inst), 60_000, 250);
    const rows = await inst.call('eval', { code: readWindow });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'delivered', attempts: 1, messageId: open.messageId });
    expect(rx.requests).toHaveLength(1);
    const [req] = rx.requests;
    expect(req.headers['webhook-id']).toBe(open.messageId);
    expect(req.at).toBeGreaterThanOrEqual(Date.parse(open.nextAttemptAt) - 50);
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({
      event: 'entry.update',
      documentId,
      entry: { title: `w${UPDATES}` },
      previous: null,
    });
    expect(body.changes.map((c: any) => c.event)).toEqual([
      'entry.create',
      ...Array(UPDATES).fill('entry.update'),
    ]);
  });
});
