/**
 * Delivery engine, issue 3: what was captured survives a restart. Changes written while no
 * worker runs stay in the outbox (one of them leased by an instance that died), a delivery
 * fanned out but never sent stays pending; after a restart on the same database, all of it
 * is delivered, in order per document.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { at } from '../helpers/api';

const Q = 'api::quotation.quotation';
const OUTBOX = 'plugin::document-webhooks.outbox-event';
const LOG = 'plugin::document-webhooks.log';

let app: TestApp | null = null;
let rx: Receiver | null = null;

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('restart', () => {
  it('delivers outbox records and pending deliveries left by a previous run', async () => {
    rx = await startReceiver();
    const receiver = rx;

    // Run 1: capture works, no worker delivers.
    app = await bootStrapi({ config: { worker: false } });
    const res = await app.api('POST', '/document-webhooks/webhooks', {
      name: 'Restart',
      contentType: Q,
      events: ['entry.create', 'entry.update'],
      url: receiver.url('/restart'),
    });
    expect(res.status).toBe(201);
    const hookId: number = res.body.data.id;
    const docs = app.strapi.documents(Q);
    const a = await docs.create({ data: { customer: 'Restart A', state: 'Draft' } });
    await docs.update({ documentId: a.documentId, data: { state: 'Open' } });
    const b = await docs.create({ data: { customer: 'Restart B' } });

    const outbox = await app.strapi.db.query(OUTBOX).findMany({ orderBy: { id: 'asc' } });
    expect(outbox.map((r: any) => [r.targetDocumentId, r.event])).toEqual([
      [a.documentId, 'entry.create'],
      [a.documentId, 'entry.update'],
      [b.documentId, 'entry.create'],
    ]);
    expect(await app.strapi.db.query(LOG).count({})).toBe(0);
    // B's record was being fanned out by an instance that then died: its lease runs out soon.
    const deadLeaseUntil = new Date(Date.now() + 1500);
    await app.strapi.db.query(OUTBOX).update({
      where: { id: outbox[2].id },
      data: { leaseOwner: 'dead-instance:1', leaseUntil: deadLeaseUntil },
    });
    // A delivery that was fanned out, then the process stopped before sending it.
    await app.strapi.db.query(LOG).create({
      data: {
        webhookId: hookId,
        webhookName: 'Restart',
        event: 'entry.update',
        contentType: Q,
        targetDocumentId: 'orphan-doc',
        status: 'pending',
        messageId: 'msg_RestartPendingDelivery0001',
        attempts: 0,
        attemptLog: [],
        nextAttemptAt: new Date(),
        requestUrl: receiver.url('/restart-pending'),
        requestMethod: 'POST',
        requestHeaders: { 'Content-Type': 'application/json' },
        requestBody: '{"pending":true}',
      },
    });
    const dbFile = app.dbFile;
    await app.stop();
    app = null;
    expect(receiver.requests).toEqual([]);

    // Run 2: same database, worker on.
    app = await bootStrapi({ dbFile });
    const restart = await receiver.waitFor((reqs) =>
      at('/restart')(reqs).length === 3 ? at('/restart')(reqs) : undefined
    );
    const seen = restart
      .map((r) => JSON.parse(r.body))
      .map((p) => [p.documentId, p.event, p.entry.customer]);
    // Per document, the order of the changes is kept.
    expect(seen.filter(([id]) => id === a.documentId)).toEqual([
      [a.documentId, 'entry.create', 'Restart A'],
      [a.documentId, 'entry.update', 'Restart A'],
    ]);
    expect(seen.filter(([id]) => id === b.documentId)).toEqual([
      [b.documentId, 'entry.create', 'Restart B'],
    ]);
    const updateA = JSON.parse(
      restart.find((r) => JSON.parse(r.body).event === 'entry.update')!.body
    );
    expect(updateA.previous.state).toBe('Draft');
    expect(updateA.entry.state).toBe('Open');
    // The dead instance's lease was respected until it expired.
    const bReq = restart.find((r) => JSON.parse(r.body).documentId === b.documentId)!;
    expect(bReq.at).toBeGreaterThanOrEqual(deadLeaseUntil.getTime() - 5);

    const pending = await receiver.waitFor((reqs) => at('/restart-pending')(reqs)[0]);
    expect(pending.body).toBe('{"pending":true}');
    expect(pending.headers['webhook-id']).toBe('msg_RestartPendingDelivery0001');

    const strapi = app.strapi;
    await eventually(async () => (await strapi.db.query(OUTBOX).count({})) === 0);
    await eventually(
      async () => (await strapi.db.query(LOG).count({ where: { status: 'delivered' } })) === 4
    );
  });
});
