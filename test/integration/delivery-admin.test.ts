/**
 * Delivery engine, issue 3: the admin side of delivery. Preview (nothing sent, secrets
 * masked), test sends (logged), the request-log routes (filters, pagination, retry one,
 * retry many) and the retention purge.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { postWebhook, at } from '../helpers/api';

const Q = 'api::quotation.quotation';
const A = 'api::article.article';
const LOG = 'plugin::document-webhooks.log';

let app: TestApp;
let rx: Receiver;
/** Per-path status override; 200 otherwise. */
const failing = new Map<string, { status: number; delayMs?: number }>();

const createWebhook = (def: Record<string, unknown>) =>
  postWebhook(app, { contentType: Q, events: ['entry.create'], ...def });
const logs = async (query: string) => {
  const res = await app.api('GET', `/document-webhooks/logs?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as {
    data: any[];
    meta: { pagination: { page: number; pageSize: number; pageCount: number; total: number } };
  };
};
const create = async (customer: string, data: Record<string, unknown> = {}) =>
  (await app.strapi.documents(Q).create({ data: { customer, ...data } })).documentId as string;

beforeAll(async () => {
  rx = await startReceiver();
  rx.respond((r) => {
    const f = failing.get(r.url);
    return f
      ? { status: f.status, body: `status ${f.status}`, delayMs: f.delayMs }
      : { status: 200, body: `ok ${r.url}` };
  });
  // Failed deliveries wait 30 s (±20 %): they stay `failed` for the length of a test.
  app = await bootStrapi({ config: { retrySchedule: [30, 30, 30] } });
});

// Also when a test fails half-way: its webhooks must not fire into the next test.
afterEach(() => disableWebhooks(app));

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('preview and test', () => {
  it('preview renders the exact request with secrets masked and sends nothing', async () => {
    const headerSecret = `hdr_${randomBytes(8).toString('hex')}`;
    const hook = await createWebhook({
      events: ['entry.update'],
      condition: 'doc.state == "Open"',
      url: rx.url('/preview'),
      secret: `whsec_${randomBytes(32).toString('base64')}`,
      headers: [
        { name: 'X-Token', value: headerSecret, secret: true },
        { name: 'X-Plain', value: 'plain', secret: false },
      ],
    });
    const open = await create('Preview Co', { state: 'Open', grandTotal: 3 });
    const draft = await create('Preview Draft', { state: 'Draft' });

    const res = await app.api('POST', `/document-webhooks/webhooks/${hook.id}/preview`, {
      documentId: open,
    });
    expect(res.status).toBe(200);
    const { matches, request } = res.body.data;
    expect(matches).toBe(true);
    expect(request.method).toBe('POST');
    expect(request.url).toBe(rx.url('/preview'));
    const headers = Object.fromEntries(
      Object.entries<string>(request.headers).map(([k, v]) => [k.toLowerCase(), v])
    );
    expect(headers['x-token']).toBe('[REDACTED]');
    expect(headers['x-plain']).toBe('plain');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-signature']).toBe('[REDACTED]');
    expect(headers['x-frappe-webhook-signature']).toBe('[REDACTED]');
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({
      event: 'entry.update',
      uid: Q,
      documentId: open,
      entry: { customer: 'Preview Co', state: 'Open' },
    });
    expect(JSON.stringify(res.body)).not.toContain(headerSecret);

    const noMatch = await app.api('POST', `/document-webhooks/webhooks/${hook.id}/preview`, {
      documentId: draft,
    });
    expect(noMatch.status).toBe(200);
    expect(noMatch.body.data.matches).toBe(false);

    expect(
      (await app.api('POST', `/document-webhooks/webhooks/${hook.id}/preview`, {})).status
    ).toBe(400);
    const unknownDoc = await app.api('POST', `/document-webhooks/webhooks/${hook.id}/preview`, {
      documentId: 'nope',
    });
    expect(unknownDoc.status).toBe(400);
    expect(unknownDoc.body.error.name).toBe('ValidationError');
    expect(
      (await app.api('POST', '/document-webhooks/webhooks/999999/preview', { documentId: open }))
        .status
    ).toBe(404);

    // Barrier: a real update on the same webhook is delivered; it is the only request and the only log.
    await app.strapi.documents(Q).update({ documentId: open, data: { title: 'real' } });
    await rx.waitFor((reqs) => at('/preview')(reqs).length >= 1);
    expect(at('/preview')(rx.requests)).toHaveLength(1);
    expect(JSON.parse(at('/preview')(rx.requests)[0].body).entry.title).toBe('real');
    const l = await eventually(async () => {
      const x = await logs(`webhook=${hook.id}`);
      return x.data.length === 1 && x.data[0].status === 'delivered' ? x : null;
    });
    expect(l.data[0].event).toBe('entry.update');
  });

  it('test sends now (condition ignored), reports the outcome and logs it', async () => {
    const headerSecret = `hdr_${randomBytes(8).toString('hex')}`;
    const hook = await createWebhook({
      condition: 'false',
      url: rx.url('/test-send'),
      headers: [{ name: 'X-Token', value: headerSecret, secret: true }],
    });
    const doc = await create('Test Co');
    const res = await app.api('POST', `/document-webhooks/webhooks/${hook.id}/test`, {
      documentId: doc,
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      status: 200,
      responseBody: 'ok /test-send',
      error: null,
    });
    expect(res.body.data.durationMs).toEqual(expect.any(Number));
    const [r] = at('/test-send')(rx.requests);
    expect(r.headers['x-token']).toBe(headerSecret);
    expect(JSON.parse(r.body)).toMatchObject({ documentId: doc, entry: { customer: 'Test Co' } });

    // Without a document: a sample one. A failing receiver is reported, not thrown.
    failing.set('/test-send', { status: 500 });
    const sample = await app.api('POST', `/document-webhooks/webhooks/${hook.id}/test`, {});
    expect(sample.status).toBe(200);
    expect(sample.body.data).toMatchObject({
      status: 500,
      error: 'HTTP 500',
      responseBody: 'status 500',
    });
    expect(at('/test-send')(rx.requests)).toHaveLength(2);
    failing.delete('/test-send');

    const logged = await logs(`webhook=${hook.id}`);
    expect(logged.data.map((l) => [l.event, l.status, l.responseStatus])).toEqual([
      ['test', 'exhausted', 500],
      ['test', 'delivered', 200],
    ]);
    const delivered = logged.data[1];
    expect(delivered.documentId).toBe(doc);
    const me = (await app.api('GET', '/admin/users/me')).body.data;
    expect(delivered.user).toEqual({ id: me.id, email: me.email });
    expect(JSON.stringify(logged)).not.toContain(headerSecret);
  });
});

describe('request log routes', () => {
  it('filters by webhook, status and content type, paginates, and finds one by id', async () => {
    failing.set('/logs-b', { status: 503 });
    const hookA = await createWebhook({ url: rx.url('/logs-a') });
    const hookB = await createWebhook({ url: rx.url('/logs-b') });
    const hookArticle = await createWebhook({ contentType: A, url: rx.url('/logs-article') });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await create(`Logs ${i}`));
    await app.strapi.documents(A).create({ data: { title: 'Logged article' } });
    await eventually(
      async () => (await logs(`webhook=${hookA.id}&status=delivered`)).meta.pagination.total === 5
    );
    await eventually(
      async () => (await logs(`webhook=${hookB.id}&status=failed`)).meta.pagination.total === 5
    );
    await eventually(
      async () =>
        (await logs(`webhook=${hookArticle.id}&status=delivered`)).meta.pagination.total === 1
    );

    const page1 = await logs(`webhook=${hookA.id}&page=1&pageSize=2`);
    expect(page1.meta.pagination).toEqual({ page: 1, pageSize: 2, pageCount: 3, total: 5 });
    expect(page1.data).toHaveLength(2);
    const page3 = await logs(`webhook=${hookA.id}&page=3&pageSize=2`);
    expect(page3.meta.pagination).toEqual({ page: 3, pageSize: 2, pageCount: 3, total: 5 });
    expect(page3.data).toHaveLength(1);
    const all = await logs(`webhook=${hookA.id}&pageSize=100`);
    // Newest first; pages partition the list.
    expect(
      [
        ...page1.data,
        ...(await logs(`webhook=${hookA.id}&page=2&pageSize=2`)).data,
        ...page3.data,
      ].map((l) => l.id)
    ).toEqual(all.data.map((l) => l.id));
    expect(all.data.map((l) => l.documentId)).toEqual([...ids].reverse());

    const failedB = await logs(`webhook=${hookB.id}&status=failed`);
    expect(
      failedB.data.every(
        (l) => l.webhook.id === hookB.id && l.status === 'failed' && l.error === 'HTTP 503'
      )
    ).toBe(true);
    expect((await logs(`webhook=${hookB.id}&status=delivered`)).meta.pagination.total).toBe(0);
    const articles = await logs(`contentType=${encodeURIComponent(A)}`);
    expect(articles.data.map((l) => [l.uid, l.webhook.id])).toEqual([[A, hookArticle.id]]);
    expect(
      (await logs(`contentType=${encodeURIComponent(Q)}&webhook=${hookArticle.id}`)).meta.pagination
        .total
    ).toBe(0);
    expect((await app.api('GET', '/document-webhooks/logs?status=bogus')).status).toBe(400);

    const one = await app.api('GET', `/document-webhooks/logs/${failedB.data[0].id}`);
    expect(one.status).toBe(200);
    expect(one.body.data).toMatchObject({
      id: failedB.data[0].id,
      webhook: { id: hookB.id, name: hookB.name },
      event: 'entry.create',
      uid: Q,
      status: 'failed',
      attempts: 1,
      requestMethod: 'POST',
      requestUrl: rx.url('/logs-b'),
      responseStatus: 503,
      responseBody: 'status 503',
    });
    expect(one.body.data.nextAttemptAt).toEqual(expect.any(String));
    expect((await app.api('GET', '/document-webhooks/logs/999999')).status).toBe(404);

    // Retry one: failed → pending (the receiver is slow now) → delivered, the same request again.
    failing.set('/logs-b', { status: 200, delayMs: 600 });
    const target = failedB.data[0];
    const retried = await app.api('POST', `/document-webhooks/logs/${target.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.data).toMatchObject({ id: target.id, status: 'pending' });
    // While that attempt is in flight (the receiver holds it 600 ms), a second retry does not
    // requeue it: it would be sent twice and the running attempt's outcome lost.
    await rx.waitFor(
      (reqs) =>
        at('/logs-b')(reqs).filter((r) => JSON.parse(r.body).documentId === target.documentId)
          .length === 2
    );
    const again = await app.api('POST', `/document-webhooks/logs/${target.id}/retry`);
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/being sent/);
    const done = await eventually(async () => {
      const x = (await app.api('GET', `/document-webhooks/logs/${target.id}`)).body.data;
      return x.status === 'delivered' ? x : null;
    });
    expect(done.attemptLog.map((a: any) => a.status)).toEqual([503, 200]);
    const resent = at('/logs-b')(rx.requests).filter(
      (r) => JSON.parse(r.body).documentId === target.documentId
    );
    expect(resent).toHaveLength(2);
    expect(resent[1].headers['webhook-id']).toBe(resent[0].headers['webhook-id']);
    expect(resent[1].body).toBe(resent[0].body);

    // Retry many: the remaining four failed deliveries of B.
    failing.delete('/logs-b');
    const many = await app.api('POST', '/document-webhooks/logs/retry', { webhook: hookB.id });
    expect(many.status).toBe(200);
    expect(many.body.data).toEqual({ count: 4 });
    await eventually(
      async () => (await logs(`webhook=${hookB.id}&status=delivered`)).meta.pagination.total === 5
    );
    expect(
      (await app.api('POST', '/document-webhooks/logs/retry', { webhook: hookB.id })).body.data
    ).toEqual({ count: 0 });
  });
});

describe('retention', () => {
  it('purgeExpired deletes old delivered/exhausted records and keeps recent and unfinished ones', async () => {
    const q = app.strapi.db.query(LOG);
    const future = new Date(Date.now() + 86400_000);
    const make = async (status: string, ageDays: number) => {
      const row = await q.create({
        data: {
          webhookId: 999999,
          webhookName: 'retention',
          event: 'entry.create',
          contentType: Q,
          targetDocumentId: `ret-${status}-${ageDays}`,
          status,
          attempts: 1,
          attemptLog: [],
          // Unfinished ones are not due during the test.
          nextAttemptAt: status === 'pending' || status === 'failed' ? future : null,
        },
      });
      if (ageDays) {
        await app.strapi.db
          .connection('document_webhooks_logs')
          .where({ id: row.id })
          .update({ created_at: new Date(Date.now() - ageDays * 86400_000) });
      }
      return row.id as number;
    };
    const oldDelivered = await make('delivered', 31);
    const oldExhausted = await make('exhausted', 45);
    const oldFailed = await make('failed', 60);
    const oldPending = await make('pending', 60);
    const recentDelivered = await make('delivered', 29);
    const newExhausted = await make('exhausted', 0);
    const service = app.strapi.plugin('document-webhooks').service('logs');
    const before = await q.count({});

    expect(await service.purgeExpired()).toEqual({ count: 2, leased: true });
    const remaining = (await q.findMany({ where: { webhookId: 999999 }, select: ['id'] }))
      .map((r: any) => r.id)
      .sort((x: number, y: number) => x - y);
    expect(remaining).toEqual([oldFailed, oldPending, recentDelivered, newExhausted]);
    expect(remaining).not.toContain(oldDelivered);
    expect(remaining).not.toContain(oldExhausted);
    expect(await q.count({})).toBe(before - 2);
    expect(await service.purgeExpired()).toEqual({ count: 0, leased: true });
    // The job's lease is given up when it ends (the next day's run, on any instance, may take it).
    const lease = await app.strapi.db
      .connection('document_webhooks_leases')
      .where('name', 'log-retention')
      .first('lease_owner', 'lease_until');
    expect(lease).toEqual({ lease_owner: null, lease_until: null });
  });

  it('does nothing while another instance holds the lease, and purges once it has expired', async () => {
    const q = app.strapi.db.query(LOG);
    const row = await q.create({
      data: {
        webhookId: 999998,
        webhookName: 'retention',
        event: 'entry.create',
        contentType: Q,
        targetDocumentId: 'ret-leased',
        status: 'delivered',
        attempts: 1,
        attemptLog: [],
      },
    });
    await app.strapi.db
      .connection('document_webhooks_logs')
      .where({ id: row.id })
      .update({ created_at: new Date(Date.now() - 40 * 86400_000) });
    const leases = () =>
      app.strapi.db.connection('document_webhooks_leases').where('name', 'log-retention');
    const service = app.strapi.plugin('document-webhooks').service('logs');

    await leases().update({
      lease_owner: 'other-host:1:abcd',
      lease_until: new Date(Date.now() + 60_000),
    });
    expect(await service.purgeExpired()).toEqual({ count: 0, leased: false });
    expect(await q.count({ where: { id: row.id } })).toBe(1);
    expect((await leases().first('lease_owner')).lease_owner).toBe('other-host:1:abcd');

    // That instance died mid-purge: its lease runs out and this one takes the job over.
    await leases().update({ lease_until: new Date(Date.now() - 1000) });
    expect(await service.purgeExpired()).toEqual({ count: 1, leased: true });
    expect(await q.count({ where: { id: row.id } })).toBe(0);
  });
});
