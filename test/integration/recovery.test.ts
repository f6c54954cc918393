/**
 * Recovery (issue 20; docs/architecture.md, "Recovery"): a delivery keeps the change it was
 * rendered from, and an attempt made after the webhook was fixed (automatic or manual)
 * renders it again with the webhook as it is now; an unchanged webhook's retry is the stored
 * request byte for byte; a failed render can be retried once the template is fixed; a
 * delivered entry can be resent.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { postWebhook, at } from '../helpers/api';

const Q = 'api::quotation.quotation';
/** Seconds before an automatic retry (±20 % jitter): time enough to fix the webhook in between. */
const RETRY_AFTER_S = 4;

let app: TestApp;
let rx: Receiver;

const createWebhook = (def: Record<string, unknown>) =>
  postWebhook(app, { contentType: Q, events: ['entry.create'], ...def });
const update = async (id: number, def: Record<string, unknown>) => {
  const res = await app.api('PUT', `/document-webhooks/webhooks/${id}`, def);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};
const logOf = async (webhookId: number, documentId: string) => {
  const res = await app.api('GET', `/document-webhooks/logs?webhook=${webhookId}&pageSize=100`);
  expect(res.status).toBe(200);
  return (res.body.data as any[]).find((l) => l.documentId === documentId);
};
const logWith = (webhookId: number, documentId: string, test: (l: any) => boolean) =>
  eventually(async () => {
    const l = await logOf(webhookId, documentId);
    return l && test(l) ? l : null;
  });
const retry = async (logId: number) => {
  const res = await app.api('POST', `/document-webhooks/logs/${logId}/retry`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
};
const create = async (customer: string, title = 'A title') =>
  (await app.strapi.documents(Q).create({ data: { customer, title } })).documentId as string;

const V1 = '{"v": 1, "customer": {{ doc.customer | dump }}}';
const V2 = '{"v": 2, "who": {{ doc.customer | dump }}}';

beforeAll(async () => {
  rx = await startReceiver();
  rx.respond((r) =>
    r.url.startsWith('/wrong-path')
      ? { status: 404, body: 'no such path' }
      : { status: 200, body: 'ok' }
  );
  app = await bootStrapi({
    config: { retrySchedule: [RETRY_AFTER_S, RETRY_AFTER_S, RETRY_AFTER_S] },
  });
});

afterEach(() => disableWebhooks(app));

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('fix, then retry', () => {
  it('the automatic retry after a fix goes to the fixed URL with the new header and body; the history keeps the first request', async () => {
    const hook = await createWebhook({
      url: rx.url('/wrong-path/a'),
      bodyType: 'json',
      jsonTemplate: V1,
      headers: [{ name: 'X-Version', value: '1' }],
      maxAttempts: 3,
    });
    const id = await create('Auto');
    const failed = await logWith(hook.id, id, (l) => l.status === 'failed');
    expect(failed).toMatchObject({
      attempts: 1,
      responseStatus: 404,
      rerender: false,
      retryable: true,
    });

    await update(hook.id, {
      url: rx.url('/fixed/a'),
      jsonTemplate: V2,
      headers: [{ name: 'X-Version', value: '2' }],
    });
    expect((await logOf(hook.id, id)).rerender).toBe(true);

    const delivered = await logWith(hook.id, id, (l) => l.status === 'delivered');
    const wrong = at('/wrong-path/a')(rx.requests);
    const fixed = at('/fixed/a')(rx.requests);
    expect(wrong).toHaveLength(1);
    expect(fixed).toHaveLength(1);
    expect(fixed[0].headers['x-version']).toBe('2');
    expect(JSON.parse(fixed[0].body)).toEqual({ v: 2, who: 'Auto' });
    expect(fixed[0].headers['webhook-id']).toBe(wrong[0].headers['webhook-id']);
    // The retry came on schedule, not at once on the update.
    expect(fixed[0].at - wrong[0].at).toBeGreaterThanOrEqual(RETRY_AFTER_S * 800);

    // The record shows the request sent last; the history what each attempt sent.
    expect(delivered).toMatchObject({
      attempts: 2,
      requestUrl: rx.url('/fixed/a'),
      requestBody: fixed[0].body,
      rerender: false,
    });
    expect(delivered.requestHeaders['X-Version'] ?? delivered.requestHeaders['x-version']).toBe(
      '2'
    );
    expect(delivered.attemptLog).toHaveLength(2);
    expect(delivered.attemptLog[0]).toMatchObject({
      status: 404,
      url: rx.url('/wrong-path/a'),
      method: 'POST',
      requestBody: wrong[0].body,
    });
    expect(JSON.parse(delivered.attemptLog[0].requestBody)).toEqual({ v: 1, customer: 'Auto' });
    expect(delivered.attemptLog[1]).toMatchObject({
      status: 200,
      url: rx.url('/fixed/a'),
      method: 'POST',
    });
    expect(delivered.attemptLog[1].requestBody).toBeUndefined();
  });

  it('a manual retry of an exhausted delivery after a fix goes to the fixed URL with the new header, method and body', async () => {
    const hook = await createWebhook({
      url: rx.url('/wrong-path/b'),
      bodyType: 'json',
      jsonTemplate: V1,
      headers: [{ name: 'X-Version', value: '1' }],
      maxAttempts: 1,
    });
    const id = await create('Manual');
    const exhausted = await logWith(hook.id, id, (l) => l.status === 'exhausted');
    expect(exhausted.responseStatus).toBe(404);

    await update(hook.id, {
      url: rx.url('/fixed/b'),
      method: 'PUT',
      jsonTemplate: V2,
      headers: [{ name: 'X-Version', value: '2' }],
    });
    expect(
      (await app.api('GET', `/document-webhooks/logs/${exhausted.id}`)).body.data.rerender
    ).toBe(true);
    await retry(exhausted.id);
    const delivered = await logWith(hook.id, id, (l) => l.status === 'delivered');

    const fixed = at('/fixed/b')(rx.requests);
    expect(fixed).toHaveLength(1);
    expect(at('/wrong-path/b')(rx.requests)).toHaveLength(1);
    expect(fixed[0]).toMatchObject({ method: 'PUT' });
    expect(fixed[0].headers['x-version']).toBe('2');
    expect(JSON.parse(fixed[0].body)).toEqual({ v: 2, who: 'Manual' });
    expect(fixed[0].headers['webhook-id']).toBe(
      at('/wrong-path/b')(rx.requests)[0].headers['webhook-id']
    );
    expect(delivered).toMatchObject({ requestUrl: rx.url('/fixed/b'), requestMethod: 'PUT' });
    expect(delivered.attemptLog.map((a: any) => [a.status, a.url])).toEqual([
      [404, rx.url('/wrong-path/b')],
      [200, rx.url('/fixed/b')],
    ]);
  });

  it('a render that failed on real data is retried once the template is fixed', async () => {
    // Valid JSON on the sample document (a total), not on this one (a total of 0: `none`).
    const hook = await createWebhook({
      url: rx.url('/render-fix'),
      bodyType: 'json',
      jsonTemplate:
        '{"total": {{ 1 if doc.grandTotal else "none" }}, "title": {{ doc.title | dump }}}',
      maxAttempts: 1,
    });
    const id = await create('Render', 'plain words');
    const failed = await logWith(hook.id, id, (l) => l.status === 'exhausted');
    expect(failed).toMatchObject({ requestBody: null, retryable: true, rerender: true });
    expect(failed.error).toMatch(/json/i);

    // Not fixed yet: the retry renders again and fails again, with its reason, nothing sent.
    await retry(failed.id);
    const again = await logWith(
      hook.id,
      id,
      (l) => l.status === 'exhausted' && l.attemptLog.length === 1
    );
    expect(again.error).toMatch(/rendering with the current webhook failed/);
    expect(again.attemptLog[0]).toMatchObject({ status: null, url: null });

    await update(hook.id, {
      jsonTemplate: '{"total": {{ doc.grandTotal | dump }}, "title": {{ doc.title | dump }}}',
    });
    await retry(failed.id);
    const delivered = await logWith(hook.id, id, (l) => l.status === 'delivered');
    const got = at('/render-fix')(rx.requests);
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0].body)).toEqual({ total: 0, title: 'plain words' });
    expect(got[0].headers['webhook-id']).toBe(failed.messageId);
    expect(delivered).toMatchObject({ requestBody: got[0].body, error: null, rerender: false });
  });
});

describe('retry and resend of an unchanged webhook', () => {
  it('is the stored request byte for byte (not rendered again), same webhook-id; a delivered entry can be resent', async () => {
    let first = true;
    rx.respond((r) => {
      if (r.url.startsWith('/wrong-path')) return { status: 404, body: 'no such path' };
      if (r.url === '/same' && first) {
        first = false;
        return { status: 500, body: 'down' };
      }
      return { status: 200, body: 'ok' };
    });
    // `now` changes with every render: a body rendered again would differ.
    const hook = await createWebhook({
      url: rx.url('/same'),
      bodyType: 'json',
      jsonTemplate: '{"c": {{ doc.customer | dump }}, "now": {{ now | dump }}}',
      headers: [{ name: 'X-Keep', value: 'k' }],
      maxAttempts: 1,
    });
    const id = await create('Same');
    const exhausted = await logWith(hook.id, id, (l) => l.status === 'exhausted');
    expect(exhausted.rerender).toBe(false);

    await retry(exhausted.id);
    const delivered = await logWith(hook.id, id, (l) => l.status === 'delivered');
    let got = at('/same')(rx.requests);
    expect(got).toHaveLength(2);
    expect(got[1].body).toBe(got[0].body);
    expect(got[1].method).toBe(got[0].method);
    expect(got[1].headers['x-keep']).toBe('k');
    expect(got[1].headers['content-type']).toBe(got[0].headers['content-type']);
    expect(got[1].headers['webhook-id']).toBe(got[0].headers['webhook-id']);
    expect(delivered.attemptLog).toHaveLength(2);

    // Resend of a delivered entry: one more request and one more attempt in its history.
    const resent = await retry(delivered.id);
    expect(resent.status).toBe('pending');
    const twice = await logWith(
      hook.id,
      id,
      (l) => l.status === 'delivered' && l.attemptLog.length === 3
    );
    got = at('/same')(rx.requests);
    expect(got).toHaveLength(3);
    expect(got[2].body).toBe(got[0].body);
    expect(got[2].headers['webhook-id']).toBe(got[0].headers['webhook-id']);
    expect(twice.attemptLog.map((a: any) => a.status)).toEqual([500, 200, 200]);

    // Retry all, delivered included when asked: resends the delivered entries matched.
    const many = await app.api('POST', '/document-webhooks/logs/retry', {
      webhook: hook.id,
      status: 'delivered',
    });
    expect(many.status, JSON.stringify(many.body)).toBe(200);
    expect(many.body.data.count).toBe(1);
    await rx.waitFor((reqs) => at('/same')(reqs).length === 4);
    expect(at('/same')(rx.requests)[3].body).toBe(got[0].body);
    await logWith(hook.id, id, (l) => l.status === 'delivered' && l.attemptLog.length === 4);
  });

  it('a test send is not retried: 400 naming the reason', async () => {
    const hook = await createWebhook({ url: rx.url('/test-send'), maxAttempts: 1 });
    const t = await app.api('POST', `/document-webhooks/webhooks/${hook.id}/test`, {});
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const testRetry = await app.api('POST', `/document-webhooks/logs/${t.body.data.logId}/retry`);
    expect(testRetry.status).toBe(400);
    expect(JSON.stringify(testRetry.body)).toMatch(/test send/);
  });
});

describe('captured contexts and retention', () => {
  it('a change is stored once for all its deliveries, and purged with the last record referring to it', async () => {
    const knex = app.strapi.db.connection;
    const failing = await createWebhook({ url: rx.url('/wrong-path/kept'), maxAttempts: 3 });
    const ok = await createWebhook({ url: rx.url('/shared') });
    const id = await create('Kept');
    const failed = await logWith(failing.id, id, (l) => l.status === 'failed');
    await logWith(ok.id, id, (l) => l.status === 'delivered');
    const keys = await knex('document_webhooks_logs')
      .where('target_document_id', id)
      .pluck('context_key');
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
    expect(
      Number(
        (
          await knex('document_webhooks_contexts').where('context_key', keys[0]).count({ n: '*' })
        )[0].n
      )
    ).toBe(1);
    const before = Number((await knex('document_webhooks_contexts').count({ n: '*' }))[0].n);
    expect(before).toBeGreaterThan(1);

    // Everything finished is expired a month from now; the failed delivery is kept, and its context with it.
    const purged = await app.strapi
      .plugin('document-webhooks')
      .service('logs')
      .purgeExpired(Date.now() + 31 * 86400_000);
    expect(purged.count).toBeGreaterThan(0);
    expect(await knex('document_webhooks_logs').pluck('id')).toEqual([failed.id]);
    expect(await knex('document_webhooks_contexts').pluck('context_key')).toEqual([keys[0]]);
  });
});
