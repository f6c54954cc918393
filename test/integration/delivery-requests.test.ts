/**
 * Delivery engine, issue 3: what the receiver gets, byte for byte. Conditions (true, false,
 * transitions, runtime errors), the three body types, GET, dynamic URLs, user and secret
 * headers (redacted in the log), and signatures checked by an independent implementation,
 * across retries and a secret rotation.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { verifyFrappe, verifyStandard } from '../helpers/signatures';
import { postWebhook, logsOf as logsOfWebhook, at } from '../helpers/api';

const Q = 'api::quotation.quotation';

let app: TestApp;
let rx: Receiver;

const createWebhook = (def: Record<string, unknown>) =>
  postWebhook(app, { contentType: Q, ...def });
const logsOf = (webhookId: number) => logsOfWebhook(app, webhookId);
const create = (data: Record<string, unknown>) => app.strapi.documents(Q).create({ data });

beforeAll(async () => {
  rx = await startReceiver();
  app = await bootStrapi({ config: { retrySchedule: [0.2, 0.4, 0.8] } });
});

// Also when a test fails half-way: its webhooks must not fire into the next test.
afterEach(() => disableWebhooks(app));
// A test that answers otherwise gives the receiver back its default, also when it fails.
afterEach(() => rx.respond(() => ({ status: 200, body: 'ok' })));

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('conditions', () => {
  it('true delivers; false creates no log row and sends nothing; a transition fires once', async () => {
    const always = await createWebhook({
      events: ['entry.create', 'entry.update'],
      condition: 'true',
      url: rx.url('/cond/true'),
    });
    const never = await createWebhook({
      events: ['entry.create', 'entry.update'],
      condition: 'false',
      url: rx.url('/cond/false'),
    });
    const ordered = await createWebhook({
      events: ['entry.update'],
      condition: 'doc.state == "Ordered" && previous.state != "Ordered"',
      url: rx.url('/cond/ordered'),
    });

    const q = await create({ customer: 'Cond', state: 'Draft' });
    const docs = app.strapi.documents(Q);
    await docs.update({ documentId: q.documentId, data: { state: 'Open' } });
    await docs.update({ documentId: q.documentId, data: { state: 'Ordered' } });
    await docs.update({
      documentId: q.documentId,
      data: { state: 'Ordered', title: 'still ordered' },
    });
    await docs.update({ documentId: q.documentId, data: { state: 'Lost' } });
    // Barrier: a later transition on another document, on the same webhook.
    const later = await create({ customer: 'Cond later', state: 'Open' });
    await docs.update({ documentId: later.documentId, data: { state: 'Ordered' } });
    await rx.waitFor((reqs) =>
      at('/cond/ordered')(reqs).some((r) => JSON.parse(r.body).documentId === later.documentId)
    );
    // ...and the `true` webhook has seen the last action on both documents.
    await rx.waitFor((reqs) => at('/cond/true')(reqs).length === 7);

    const transitions = at('/cond/ordered')(rx.requests).map((r) => JSON.parse(r.body));
    expect(transitions.map((p) => [p.documentId, p.previous.state, p.entry.state])).toEqual([
      [q.documentId, 'Open', 'Ordered'],
      [later.documentId, 'Open', 'Ordered'],
    ]);
    expect(at('/cond/false')(rx.requests)).toEqual([]);
    expect(await logsOf(never.id)).toEqual([]);
    expect((await logsOf(always.id)).map((l) => l.status)).toEqual(Array(7).fill('delivered'));
    expect(await logsOf(ordered.id)).toHaveLength(2);
  });

  it('a condition failing at run time logs an exhausted delivery with the error and sends nothing', async () => {
    // Filters nested three deep over 70 items exceed the evaluator's step budget.
    const heavy =
      'doc.items[.qty > 0 && doc.items[.qty > 0 && doc.items[.qty > 0]|length > 0]|length > 0]|length > 0';
    const hook = await createWebhook({
      events: ['entry.create'],
      condition: `doc.customer == "Heavy" ? (${heavy}) : true`,
      url: rx.url('/cond/error'),
    });
    const bad = await create({
      customer: 'Heavy',
      items: Array.from({ length: 70 }, (_, i) => ({ item: `i${i}`, qty: 1, rate: 1 })),
    });
    const good = await create({ customer: 'Light' });
    await rx.waitFor((reqs) =>
      at('/cond/error')(reqs).some((r) => JSON.parse(r.body).documentId === good.documentId)
    );
    expect(
      at('/cond/error')(rx.requests).some((r) => JSON.parse(r.body).documentId === bad.documentId)
    ).toBe(false);
    const log = (await logsOf(hook.id)).find((l) => l.documentId === bad.documentId);
    expect(log).toMatchObject({ status: 'exhausted', attempts: 0, nextAttemptAt: null });
    expect(log.error).toMatch(/condition/i);
    expect(log.error).toMatch(/steps/);
  });
});

describe('bodies', () => {
  it("default: Strapi's payload shape plus previous and documentId, compact JSON", async () => {
    const hook = await createWebhook({ events: ['entry.update'], url: rx.url('/body/default') });
    const q = await create({
      customer: 'Default Co',
      state: 'Draft',
      grandTotal: 12.5,
      items: [{ item: 'Nut', qty: 3, rate: 1.5 }],
    });
    const before = Date.now();
    await app.strapi.documents(Q).update({ documentId: q.documentId, data: { state: 'Open' } });
    const r = await rx.waitFor((reqs) => at('/body/default')(reqs)[0]);
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toBe('application/json');
    const p = JSON.parse(r.body);
    expect(Object.keys(p)).toEqual([
      'event',
      'createdAt',
      'model',
      'uid',
      'documentId',
      'locale',
      'entry',
      'previous',
    ]);
    expect(r.body).toBe(JSON.stringify(p));
    expect(p).toMatchObject({
      event: 'entry.update',
      model: 'quotation',
      uid: Q,
      documentId: q.documentId,
      locale: null,
    });
    expect(Math.abs(Date.parse(p.createdAt) - before)).toBeLessThan(5000);
    expect(p.entry).toMatchObject({
      documentId: q.documentId,
      customer: 'Default Co',
      state: 'Open',
      grandTotal: 12.5,
      currency: 'EUR',
    });
    expect(p.entry.items).toEqual([{ id: expect.any(Number), item: 'Nut', qty: 3, rate: 1.5 }]);
    expect(p.previous).toMatchObject({ documentId: q.documentId, state: 'Draft' });
    // The log holds the very bytes that were sent.
    const [log] = await logsOf(hook.id);
    expect(log.requestBody).toBe(r.body);
  });

  it('json: the Nunjucks output verbatim, with Content-Type application/json', async () => {
    const template =
      '{"id": {{ doc.documentId | dump }},\n "customer": {{ doc.customer | dump }}, "total": {{ doc.grandTotal }}, "event": "{{ event }}", "was": {{ previous | dump }}}';
    await createWebhook({
      events: ['entry.create'],
      bodyType: 'json',
      jsonTemplate: template,
      url: rx.url('/body/json'),
    });
    const q = await create({ customer: 'Quote "Q" & Sons', grandTotal: 99.95 });
    const r = await rx.waitFor((reqs) => at('/body/json')(reqs)[0]);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toBe(
      `{"id": "${q.documentId}",\n "customer": "Quote \\"Q\\" & Sons", "total": 99.95, "event": "entry.create", "was": null}`
    );
  });

  it('form: application/x-www-form-urlencoded with the mapped fields', async () => {
    await createWebhook({
      events: ['entry.create'],
      bodyType: 'form',
      formFields: [
        { field: 'customer', key: 'customer_name' },
        { field: 'grandTotal', key: 'amount' },
        { field: 'title', key: 'subject' },
        { field: 'items', key: 'lines' },
        { field: 'documentId', key: 'name' },
      ],
      url: rx.url('/body/form'),
    });
    const q = await create({
      customer: 'Form & Co = "x"',
      grandTotal: 7,
      items: [{ item: 'Ä', qty: 1, rate: 2 }],
    });
    const r = await rx.waitFor((reqs) => at('/body/form')(reqs)[0]);
    expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(r.body);
    expect([...form.keys()]).toEqual(['customer_name', 'amount', 'subject', 'lines', 'name']);
    expect(form.get('customer_name')).toBe('Form & Co = "x"');
    expect(form.get('amount')).toBe('7');
    expect(form.get('subject')).toBe('');
    expect(JSON.parse(form.get('lines')!)).toEqual([
      { id: expect.any(Number), item: 'Ä', qty: 1, rate: 2 },
    ]);
    expect(form.get('name')).toBe(q.documentId);
  });

  it('GET sends no body; a dynamic URL hits the rendered path', async () => {
    const get = await createWebhook({
      events: ['entry.create'],
      method: 'GET',
      url: rx.url('/body/get'),
    });
    const dyn = await createWebhook({
      events: ['entry.create'],
      method: 'PUT',
      dynamicUrl: true,
      url: `http://127.0.0.1:${rx.port}/q/{{ doc.documentId }}?c={{ doc.customer | urlencode }}`,
    });
    const q = await create({ customer: 'Dyn Co' });
    const g = await rx.waitFor((reqs) => at('/body/get')(reqs)[0]);
    expect(g.method).toBe('GET');
    expect(g.body).toBe('');
    expect(g.headers['content-length'] ?? '0').toBe('0');
    expect(g.headers['content-type']).toBeUndefined();
    const d = await rx.waitFor((reqs) => reqs.find((r) => r.url.startsWith('/q/')));
    expect(d.method).toBe('PUT');
    expect(d.url).toBe(`/q/${q.documentId}?c=Dyn%20Co`);
    const [log] = await logsOf(dyn.id);
    expect(log.requestUrl).toBe(`http://127.0.0.1:${rx.port}/q/${q.documentId}?c=Dyn%20Co`);
    expect((await logsOf(get.id))[0].requestBody).toBe('');
  });
  it('render errors are final: a dynamic URL that is not http(s), a template that is not JSON', async () => {
    const badUrl = await createWebhook({
      events: ['entry.create'],
      dynamicUrl: true,
      url: 'http://127.0.0.1:' + rx.port + '/ok/{{ doc.documentId }}',
    });
    // Saved valid; the document's data then decides what it renders.
    await app.strapi.db
      .query('plugin::document-webhooks.webhook')
      .update({ where: { id: badUrl.id }, data: { url: '{{ doc.title }}' } });
    const badJson = await createWebhook({
      events: ['entry.create'],
      bodyType: 'json',
      jsonTemplate: '{"total": {{ 1 if doc.grandTotal else "none" }}}',
      url: rx.url('/render/json'),
    });
    const id = (
      await create({ customer: 'Render errors', title: 'javascript:alert(1)', grandTotal: 0 })
    ).documentId;
    const okId = (
      await create({
        customer: 'Render fine',
        title: 'http://127.0.0.1:' + rx.port + '/render/url',
        grandTotal: 5,
      })
    ).documentId;
    await rx.waitFor(
      (reqs) => at('/render/url')(reqs).length === 1 && at('/render/json')(reqs).length === 1
    );
    expect(JSON.parse(at('/render/json')(rx.requests)[0].body)).toEqual({ total: 1 });
    const urlLog = (await logsOf(badUrl.id)).find((l) => l.documentId === id);
    expect(urlLog).toMatchObject({ status: 'exhausted', attempts: 0, nextAttemptAt: null });
    expect(urlLog.error).toMatch(/URL/);
    const jsonLog = (await logsOf(badJson.id)).find((l) => l.documentId === id);
    expect(jsonLog).toMatchObject({ status: 'exhausted', attempts: 0, nextAttemptAt: null });
    expect(jsonLog.error).toMatch(/JSON/);
    expect((await logsOf(badUrl.id)).find((l) => l.documentId === okId).status).toBe('delivered');
  });
});

describe('headers and signatures', () => {
  it('custom and secret headers arrive with their values; the log redacts the secret one everywhere', async () => {
    const secretValue = `Bearer sk_live_${randomBytes(12).toString('hex')}`;
    const hook = await createWebhook({
      events: ['entry.create'],
      url: rx.url('/headers'),
      headers: [
        { name: 'X-Api-Version', value: '2024-01', secret: false },
        { name: 'Authorization', value: secretValue, secret: true },
      ],
    });
    await create({ customer: 'Headers Co' });
    const r = await rx.waitFor((reqs) => at('/headers')(reqs)[0]);
    expect(r.headers['x-api-version']).toBe('2024-01');
    expect(r.headers.authorization).toBe(secretValue);
    // Content-Type always matches the body (a user Content-Type is refused on save).
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['webhook-id']).toMatch(/^msg_/);
    expect(r.headers['webhook-signature']).toBeUndefined();

    const [listed] = await logsOf(hook.id);
    const one = await app.api('GET', `/document-webhooks/logs/${listed.id}`);
    expect(one.status).toBe(200);
    expect(one.body.data.status).toBe('delivered');
    const logged = Object.fromEntries(
      Object.entries<string>(one.body.data.requestHeaders).map(([k, v]) => [k.toLowerCase(), v])
    );
    expect(logged.authorization).toBe('[REDACTED]');
    expect(logged['x-api-version']).toBe('2024-01');
    expect(logged['webhook-id']).toBe(r.headers['webhook-id']);
    const secretPart = secretValue.split(' ')[1];
    expect(JSON.stringify(one.body)).not.toContain(secretPart);
    expect(
      JSON.stringify((await app.api('GET', '/document-webhooks/logs?pageSize=100')).body)
    ).not.toContain(secretPart);
    expect(
      JSON.stringify((await app.api('GET', `/document-webhooks/webhooks/${hook.id}`)).body)
    ).not.toContain(secretPart);
  });

  it('signatures verify independently, webhook-id is stable across retries, rotation signs with both secrets', async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const hook = await createWebhook({ events: ['entry.create'], url: rx.url('/signed'), secret });
    expect(hook.hasSecret).toBe(true);
    let calls = 0;
    rx.respond((r) =>
      r.url === '/signed' && ++calls === 1
        ? { status: 500, body: 'boom' }
        : { status: 200, body: 'ok' }
    );
    await create({ customer: 'Signed Co', title: 'naïve — “quotes” ✓' });
    const [first, second] = await rx.waitFor((reqs) =>
      at('/signed')(reqs).length >= 2 ? at('/signed')(reqs) : undefined
    );
    for (const r of [first, second]) {
      expect(verifyStandard(r, secret)).toBe(true);
      expect(verifyFrappe(r, secret)).toBe(true);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
      // A signature over anything else does not verify.
      expect(verifyStandard({ ...r, body: `${r.body} ` }, secret)).toBe(false);
      expect(verifyStandard(r, `whsec_${randomBytes(32).toString('base64')}`)).toBe(false);
    }
    expect(first.headers['webhook-id']).toMatch(/^msg_[0-9A-Za-z]+$/);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body).toBe(first.body);
    const log = await eventually(async () =>
      (await logsOf(hook.id)).find((l) => l.status === 'delivered')
    );
    expect(log.messageId ?? log.requestHeaders['webhook-id']).toBe(first.headers['webhook-id']);
    expect(log.attempts).toBe(2);

    const rotated = await app.api('POST', `/document-webhooks/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const newSecret: string = rotated.body.data.secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(secret);
    await create({ customer: 'Rotated Co' });
    const r = await rx.waitFor((reqs) =>
      at('/signed')(reqs).find((x) => x.body.includes('Rotated Co'))
    );
    const sigs = String(r.headers['webhook-signature']).split(' ');
    expect(sigs).toHaveLength(2);
    expect(verifyStandard(r, newSecret)).toBe(true);
    expect(verifyStandard(r, secret)).toBe(true);
    // Current secret first; the Frappe header carries the current one.
    expect(
      verifyStandard({ ...r, headers: { ...r.headers, 'webhook-signature': sigs[0] } }, newSecret)
    ).toBe(true);
    expect(verifyFrappe(r, newSecret)).toBe(true);
    // Signatures never appear in the log.
    const logs = await logsOf(hook.id);
    for (const l of logs)
      for (const s of [...sigs, String(first.headers['webhook-signature'])])
        expect(JSON.stringify(l)).not.toContain(s.slice(3));
  });
});
