/**
 * Issue 12, the HTTP/input half, through the admin API of a real Strapi:
 * - reserved headers are refused on save, and skipped (with a note in the request log) in
 *   definitions stored before the rule;
 * - preview and test of a real document need the Content Manager's read permission on it
 *   (role conditions, locales, fields);
 * - a receiver that echoes the request gets no secret or signature stored or returned;
 * - deeply nested or hostile input on every route is a 4xx naming the field, never a 5xx.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import {
  eventually,
  startReceiver,
  type Receiver,
  type ReceivedRequest,
} from '../helpers/receiver';
import { verifyStandard } from '../helpers/signatures';
import { postWebhook, logsOf as logsOfWebhook, at } from '../helpers/api';

const P = '/document-webhooks';
const Q = 'api::quotation.quotation';
const L = 'api::leaflet.leaflet';
const WEBHOOK_UID = 'plugin::document-webhooks.webhook';
const LOG_UID = 'plugin::document-webhooks.log';
const MAX_BODY = 4096;

let app: TestApp;
let rx: Receiver;
/** Per path: how the receiver answers (default 200 "ok"). */
const answers = new Map<
  string,
  (r: ReceivedRequest) => { status?: number; headers?: Record<string, string>; body?: string }
>();

const createWebhook = (def: Record<string, unknown>) =>
  postWebhook(app, { contentType: Q, events: ['entry.create'], ...def });
const logsOf = (webhookId: number) => logsOfWebhook(app, webhookId);
const expect400 = (res: { status: number; body: any }, path: (string | number)[]) => {
  expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(400);
  expect(res.body.error.name).toBe('ValidationError');
  expect(res.body.error.details.errors.map((e: any) => e.path)).toContainEqual(path);
};

beforeAll(async () => {
  rx = await startReceiver();
  rx.respond((r) => answers.get(r.url)?.(r) ?? { status: 200, body: 'ok' });
  app = await bootStrapi({ config: { maxResponseBodyBytes: MAX_BODY } });
});

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('reserved headers', () => {
  const RESERVED = [
    'Host',
    'Content-Length',
    'transfer-encoding',
    'CONNECTION',
    'Keep-Alive',
    'Upgrade',
    'TE',
    'Trailer',
    'Expect',
    'Proxy-Authorization',
    'proxy-anything',
    'Content-Type',
    'content-type',
    'webhook-id',
    'Webhook-Custom',
    'X-Frappe-Webhook-Signature',
    'x-strapi-event',
  ];

  it('each reserved name (any case) is a 400 on headers[i].name, on create and on update', async () => {
    const hook = await createWebhook({
      url: rx.url('/reserved/put'),
      headers: [{ name: 'X-Ok', value: '1', secret: false }],
    });
    for (const name of RESERVED) {
      const created = await app.api('POST', `${P}/webhooks`, {
        name: 'r',
        contentType: Q,
        events: ['entry.create'],
        url: rx.url('/x'),
        headers: [
          { name: 'X-Ok', value: '1' },
          { name, value: 'v', secret: false },
        ],
      });
      expect400(created, ['headers', 1, 'name']);
      expect(created.body.error.details.errors[0].message).toContain(name);
      const updated = await app.api('PUT', `${P}/webhooks/${hook.id}`, {
        headers: [{ name, value: 'v', secret: true }],
      });
      expect400(updated, ['headers', 0, 'name']);
    }
    // Nothing was stored.
    expect((await app.api('GET', `${P}/webhooks/${hook.id}`)).body.data.headers).toEqual([
      { name: 'X-Ok', value: '1', secret: false },
    ]);
  });

  it('two names differing only in case are a 400 on the second; User-Agent stays settable', async () => {
    const dup = await app.api('POST', `${P}/webhooks`, {
      name: 'dup',
      contentType: Q,
      events: ['entry.create'],
      url: rx.url('/x'),
      headers: [
        { name: 'X-Api-Key', value: 'a', secret: true },
        { name: 'User-Agent', value: 'mine/1', secret: false },
        { name: 'x-api-key', value: 'b', secret: false },
      ],
    });
    expect400(dup, ['headers', 2, 'name']);
    expect(dup.body.error.details.errors).toHaveLength(1);
    const ok = await createWebhook({
      url: rx.url('/ua'),
      headers: [{ name: 'User-Agent', value: 'mine/1', secret: false }],
    });
    expect(ok.headers).toEqual([{ name: 'User-Agent', value: 'mine/1', secret: false }]);
  });

  it('a definition stored with reserved or case-repeated headers: they are not sent, and the log says so', async () => {
    const hook = await createWebhook({
      url: rx.url('/legacy'),
      headers: [{ name: 'X-Keep', value: 'kept', secret: false }],
    });
    // Written straight into the database, as an older version of the plugin could have stored it.
    const legacy = [
      { name: 'X-Keep', value: 'kept', secret: false },
      { name: 'Host', value: 'other-vhost.example', secret: false },
      { name: 'Content-Length', value: '2', secret: false },
      { name: 'Transfer-Encoding', value: 'chunked', secret: false },
      { name: 'Connection', value: 'close', secret: false },
      { name: 'Expect', value: '100-continue', secret: false },
      { name: 'Proxy-Authorization', value: 'Basic eA==', secret: false },
      { name: 'Content-Type', value: 'text/plain', secret: false },
      { name: 'webhook-custom', value: 'forged', secret: false },
      { name: 'X-Strapi-Event', value: 'forged', secret: false },
      { name: 'X-Dup', value: 'first', secret: false },
      { name: 'x-dup', value: 'second', secret: false },
    ];
    await app.strapi.db
      .query(WEBHOOK_UID)
      .update({ where: { id: hook.id }, data: { headers: legacy } });
    await app.strapi.plugin('document-webhooks').service('engine').definitionsChanged();

    const doc = await app.strapi
      .documents(Q)
      .create({ data: { customer: 'Legacy', title: 'x'.repeat(250), state: 'Open' } });
    const r = await rx.waitFor((reqs) => at('/legacy')(reqs)[0]);
    expect(r.headers.host).toBe(`127.0.0.1:${rx.port}`);
    expect(r.headers['content-length']).toBe(String(Buffer.byteLength(r.body)));
    expect(Buffer.byteLength(r.body)).toBeGreaterThan(300);
    expect(r.headers['transfer-encoding']).toBeUndefined();
    expect(r.headers.expect).toBeUndefined();
    expect(r.headers['proxy-authorization']).toBeUndefined();
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['webhook-custom']).toBeUndefined();
    expect(r.headers['x-strapi-event']).toBe('entry.create');
    expect(r.headers['x-dup']).toBe('first');
    expect(r.headers['x-keep']).toBe('kept');
    expect(JSON.parse(r.body).entry.documentId).toBe(doc.documentId);

    const log = await eventually(async () =>
      (await logsOf(hook.id)).find((l) => l.status === 'delivered')
    );
    const note: string = log.attemptLog[0].note;
    for (const name of [
      'Host',
      'Content-Length',
      'Transfer-Encoding',
      'Connection',
      'Expect',
      'Proxy-Authorization',
      'Content-Type',
      'webhook-custom',
      'X-Strapi-Event',
      'x-dup',
    ]) {
      expect(note).toContain(`"${name}"`);
    }
    expect(note).not.toContain('"X-Keep"');
    expect(note).not.toContain('"X-Dup"');
    const logged = Object.keys(log.requestHeaders).map((k) => k.toLowerCase());
    for (const name of [
      'host',
      'content-length',
      'transfer-encoding',
      'connection',
      'expect',
      'proxy-authorization',
      'webhook-custom',
    ])
      expect(logged).not.toContain(name);
    expect(log.requestHeaders['X-Dup']).toBe('first');
    expect(log.requestHeaders['x-dup']).toBeUndefined();

    // The test route notes it too.
    const tested = await app.api('POST', `${P}/webhooks/${hook.id}/test`, {});
    expect(tested.status, JSON.stringify(tested.body)).toBe(200);
    const testLog = (await app.api('GET', `${P}/logs/${tested.body.data.logId}`)).body.data;
    expect(testLog.attemptLog[0].note).toContain('"Host" is set by the HTTP client');
    const testReq = await rx.waitFor((reqs) => at('/legacy')(reqs)[1]);
    expect(testReq.headers.host).toBe(`127.0.0.1:${rx.port}`);

    // A definition without such headers gets no note.
    const clean = await createWebhook({ url: rx.url('/clean') });
    const cleanTest = await app.api('POST', `${P}/webhooks/${clean.id}/test`, {});
    expect(
      (await app.api('GET', `${P}/logs/${cleanTest.body.data.logId}`)).body.data.attemptLog[0].note
    ).toBeUndefined();
  });
});

describe('preview and test respect the Content Manager', () => {
  let counter = 0;
  const PLUGIN = ['read', 'test'].map((a) => ({
    action: `plugin::document-webhooks.${a}`,
    subject: null,
    properties: {},
    conditions: [] as string[],
  }));
  const fieldsOf = (uid: string): string[] =>
    app.strapi
      .service('admin::content-type')
      .getNestedFields(app.strapi.contentTypes[uid], { components: app.strapi.components });
  const cmRead = (
    uid: string,
    properties: Record<string, unknown> = {},
    conditions: string[] = []
  ) => ({
    action: 'plugin::content-manager.explorer.read',
    subject: uid,
    properties: { fields: fieldsOf(uid), ...properties },
    conditions,
  });
  /** An admin whose role holds exactly `permissions`; resolves to their token and user id. */
  const adminWith = async (permissions: unknown[]) => {
    const role = await app.strapi
      .service('admin::role')
      .create({ name: `h2-role-${Date.now()}-${++counter}`, description: 'test' });
    await app.strapi.service('admin::role').assignPermissions(role.id, permissions);
    const email = `h2-${Date.now()}-${counter}@test.local`;
    const user = await app.strapi.service('admin::user').create({
      email,
      firstname: 'H',
      lastname: 'Two',
      password: 'Test1234!',
      isActive: true,
      roles: [role.id],
    });
    const login = await app.api('POST', '/admin/login', { email, password: 'Test1234!' }, null);
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    return { token: login.body.data.token as string, id: user.id as number };
  };
  const expect403 = (res: { status: number; body: any }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body).toMatchObject({
      data: null,
      error: { status: 403, name: 'ForbiddenError', details: {} },
    });
    expect(res.body.error.message).toMatch(/Content Manager read permission/);
  };
  let hook: { id: number };
  let leafletHook: { id: number };
  let doc: { documentId: string };

  beforeAll(async () => {
    hook = await createWebhook({ url: rx.url('/cm') });
    leafletHook = await createWebhook({ url: rx.url('/cm-leaflet'), contentType: L });
    doc = await app.strapi.documents(Q).create({
      data: { customer: 'CM secret customer', internalNotes: 'internal only', state: 'Open' },
    });
  });

  it('plugin permissions alone: 403 with a documentId (existing or not), nothing sent or logged; the sample document still works', async () => {
    const { token } = await adminWith(PLUGIN);
    expect403(
      await app.api(
        'POST',
        `${P}/webhooks/${hook.id}/preview`,
        { documentId: doc.documentId },
        token
      )
    );
    expect403(
      await app.api(
        'POST',
        `${P}/webhooks/${hook.id}/preview`,
        { documentId: 'does-not-exist' },
        token
      )
    );
    const before = rx.requests.length;
    const logsBefore = (await logsOf(hook.id)).length;
    const tested = await app.api(
      'POST',
      `${P}/webhooks/${hook.id}/test`,
      { documentId: doc.documentId },
      token
    );
    expect403(tested);
    expect(JSON.stringify(tested.body)).not.toContain('CM secret customer');
    expect((await logsOf(hook.id)).length).toBe(logsBefore);
    // Without a documentId the sample document is used: allowed as before.
    const sample = await app.api('POST', `${P}/webhooks/${hook.id}/test`, {}, token);
    expect(sample.status, JSON.stringify(sample.body)).toBe(200);
    expect(sample.body.data.status).toBe(200);
    await rx.waitFor((reqs) => reqs.length > before);
    expect(rx.requests.slice(before).some((r) => r.body.includes('CM secret customer'))).toBe(
      false
    );
  });

  it('read permission with the "is creator" condition: only the documents the admin created', async () => {
    const me = await adminWith([...PLUGIN, cmRead(Q, {}, ['admin::is-creator'])]);
    expect403(
      await app.api(
        'POST',
        `${P}/webhooks/${hook.id}/preview`,
        { documentId: doc.documentId },
        me.token
      )
    );
    expect403(
      await app.api(
        'POST',
        `${P}/webhooks/${hook.id}/test`,
        { documentId: doc.documentId },
        me.token
      )
    );
    const mine = await app.strapi.documents(Q).create({
      data: { customer: 'Created by me', state: 'Open', createdBy: me.id, updatedBy: me.id },
    });
    const preview = await app.api(
      'POST',
      `${P}/webhooks/${hook.id}/preview`,
      { documentId: mine.documentId },
      me.token
    );
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(JSON.parse(preview.body.data.request.body).entry.customer).toBe('Created by me');
    const tested = await app.api(
      'POST',
      `${P}/webhooks/${hook.id}/test`,
      { documentId: mine.documentId },
      me.token
    );
    expect(tested.status, JSON.stringify(tested.body)).toBe(200);
    expect(tested.body.data.status).toBe(200);
  });

  it('read permission without every shown field: 403 naming the hidden field (a private field, never shown, does not count)', async () => {
    const { token } = await adminWith([
      ...PLUGIN,
      cmRead(Q, { fields: fieldsOf(Q).filter((f) => f !== 'customer') }),
    ]);
    const res = await app.api(
      'POST',
      `${P}/webhooks/${hook.id}/preview`,
      { documentId: doc.documentId },
      token
    );
    expect403(res);
    expect(res.body.error.message).toContain('customer');
    expect(JSON.stringify(res.body)).not.toContain('CM secret customer');
    const noPrivate = await adminWith([
      ...PLUGIN,
      cmRead(Q, { fields: fieldsOf(Q).filter((f) => f !== 'internalNotes') }),
    ]);
    const ok = await app.api(
      'POST',
      `${P}/webhooks/${hook.id}/preview`,
      { documentId: doc.documentId },
      noPrivate.token
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(JSON.stringify(ok.body)).not.toContain('internal only');
  });

  it('full read permission on the type, and the super admin: 200', async () => {
    const { token } = await adminWith([...PLUGIN, cmRead(Q)]);
    for (const t of [token, undefined]) {
      const res = await app.api(
        'POST',
        `${P}/webhooks/${hook.id}/preview`,
        { documentId: doc.documentId },
        t
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(JSON.parse(res.body.data.request.body).entry.customer).toBe('CM secret customer');
    }
    // Read permission on another type does not count.
    const other = await adminWith([...PLUGIN, cmRead('api::article.article')]);
    expect403(
      await app.api(
        'POST',
        `${P}/webhooks/${hook.id}/preview`,
        { documentId: doc.documentId },
        other.token
      )
    );
  });

  it('a role restricted to one locale reads only that locale', async () => {
    const locales = app.strapi.plugin('i18n').service('locales');
    if (!(await locales.findByCode('fr')))
      await locales.create({ code: 'fr', name: 'French (fr)' });
    const en = await app.strapi
      .documents(L)
      .create({ data: { title: 'English leaflet' }, locale: 'en' });
    await app.strapi
      .documents(L)
      .update({ documentId: en.documentId, locale: 'fr', data: { title: 'Dépliant français' } });
    const { token } = await adminWith([...PLUGIN, cmRead(L, { locales: ['en'] })]);
    const fr = await app.api(
      'POST',
      `${P}/webhooks/${leafletHook.id}/preview`,
      { documentId: en.documentId, locale: 'fr' },
      token
    );
    expect403(fr);
    expect(fr.body.error.message).toContain('"fr"');
    expect403(
      await app.api(
        'POST',
        `${P}/webhooks/${leafletHook.id}/test`,
        { documentId: en.documentId, locale: 'fr' },
        token
      )
    );
    const ok = await app.api(
      'POST',
      `${P}/webhooks/${leafletHook.id}/preview`,
      { documentId: en.documentId, locale: 'en' },
      token
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(JSON.parse(ok.body.data.request.body).entry.title).toBe('English leaflet');
    // The super admin reads both.
    const su = await app.api('POST', `${P}/webhooks/${leafletHook.id}/preview`, {
      documentId: en.documentId,
      locale: 'fr',
    });
    expect(JSON.parse(su.body.data.request.body).entry.title).toBe('Dépliant français');
  });
});

describe('no secret stored from a response', () => {
  it('an echoing receiver: the stored log and the test answer carry [REDACTED] instead of secrets and signatures', async () => {
    const firstSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const auth = `Bearer tok_${randomBytes(16).toString('hex')}`;
    const apiKey = `key_${randomBytes(12).toString('hex')}`;
    const hook = await createWebhook({
      url: rx.url('/echo'),
      secret: firstSecret,
      headers: [
        { name: 'Authorization', value: auth, secret: true },
        { name: 'X-Api-Key', value: apiKey, secret: true },
        { name: 'X-Visible', value: 'plain-value', secret: false },
      ],
    });
    const rotated = await app.api('POST', `${P}/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const secret: string = rotated.body.data.secret;
    // Echo everything back, in headers and body, as debug endpoints and "invalid key" pages do.
    answers.set('/echo', (r) => ({
      status: 200,
      headers: {
        'content-type': 'application/json',
        'x-echo-authorization': String(r.headers.authorization),
        'x-echo-signature': String(r.headers['webhook-signature']),
        'x-echo-frappe': String(r.headers['x-frappe-webhook-signature']),
      },
      body: JSON.stringify({
        received: r.headers,
        message: `invalid key ${r.headers['x-api-key']}; expected ${secret} or ${firstSecret} (raw ${secret.slice(6)}, ${firstSecret.slice(6)}), token ${auth.slice(7)}`,
      }),
    }));

    await app.strapi.documents(Q).create({ data: { customer: 'Echo Co', state: 'Open' } });
    const r = await rx.waitFor((reqs) => at('/echo')(reqs)[0]);
    // Positive control: the receiver did get the secrets and valid signatures (two during the rotation).
    expect(r.headers.authorization).toBe(auth);
    expect(r.headers['x-api-key']).toBe(apiKey);
    expect(verifyStandard(r, secret)).toBe(true);
    expect(verifyStandard(r, firstSecret)).toBe(true);
    const tested = await app.api('POST', `${P}/webhooks/${hook.id}/test`, {});
    expect(tested.status).toBe(200);
    const t = await rx.waitFor((reqs) => at('/echo')(reqs)[1]);

    const forbidden = (req: ReceivedRequest) => {
      const sigs = String(req.headers['webhook-signature']).split(' ');
      return [
        secret,
        firstSecret,
        secret.slice(6),
        firstSecret.slice(6),
        auth,
        auth.slice(7),
        apiKey,
        String(req.headers['webhook-signature']),
        ...sigs,
        ...sigs.map((s) => s.slice(3)),
        String(req.headers['x-frappe-webhook-signature']),
      ];
    };
    const log = (await eventually(async () =>
      (await logsOf(hook.id)).find((l) => l.status === 'delivered' && l.event !== 'test')
    )) as any;
    const stored = (await app.api('GET', `${P}/logs/${log.id}`)).body.data;
    const testLog = (await app.api('GET', `${P}/logs/${tested.body.data.logId}`)).body.data;
    for (const [what, value, req] of [
      ['log', stored, r],
      ['test log', testLog, t],
      ['test answer', tested.body, t],
    ] as const) {
      const text = JSON.stringify(value);
      for (const s of [...forbidden(r), ...forbidden(t)])
        expect(text, `${what} contains a secret`).not.toContain(s);
      expect(text).toContain('[REDACTED]');
      expect(text, 'non-secret values are kept').toContain('plain-value');
      void req;
    }
    expect(stored.responseHeaders['x-echo-authorization']).toBe('[REDACTED]');
    expect(stored.responseHeaders['x-echo-signature']).toBe('[REDACTED]');
    expect(stored.responseHeaders['x-echo-frappe']).toBe('[REDACTED]');
    expect(JSON.parse(stored.responseBody).received['x-api-key']).toBe('[REDACTED]');
    expect(JSON.parse(tested.body.data.responseBody).message).toBe(
      'invalid key [REDACTED]; expected [REDACTED] or [REDACTED] (raw [REDACTED], [REDACTED]), token [REDACTED]'
    );
    // And in the database itself.
    const rows = JSON.stringify(
      await app.strapi.db.query(LOG_UID).findMany({ where: { webhookId: hook.id } })
    );
    for (const s of [...forbidden(r), ...forbidden(t)]) expect(rows).not.toContain(s);
  });

  it('a body cut at maxResponseBodyBytes inside a secret keeps no part of it', async () => {
    const auth = `Bearer tok_${randomBytes(16).toString('hex')}`;
    const hook = await createWebhook({
      url: rx.url('/cut'),
      headers: [{ name: 'Authorization', value: auth, secret: true }],
    });
    // The cap falls 12 characters into the echoed value.
    answers.set('/cut', (r) => ({
      status: 400,
      body: `${'x'.repeat(MAX_BODY - 12)}${r.headers.authorization} and more`,
    }));
    const tested = await app.api('POST', `${P}/webhooks/${hook.id}/test`, {});
    expect(tested.status).toBe(200);
    expect(tested.body.data.status).toBe(400);
    const body: string = tested.body.data.responseBody;
    expect(body).toBe(`${'x'.repeat(MAX_BODY - 12)}[REDACTED]`);
    const stored = (await app.api('GET', `${P}/logs/${tested.body.data.logId}`)).body.data;
    expect(stored.responseBody).toBe(body);
    expect(JSON.stringify(stored)).not.toContain(auth.slice(0, 12));
  });
});

describe('hostile input: 4xx with the field path, never 5xx', () => {
  const nestArrays = (n: number, leaf: unknown = 'x'): unknown => {
    let v = leaf;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };
  const nestObjects = (n: number): unknown => {
    let v: unknown = 'x';
    for (let i = 0; i < n; i++) v = { a: v };
    return v;
  };
  /** A raw JSON body (too deep to build as an object on this side and stringify). */
  const raw = async (method: string, url: string, text: string) => {
    const res = await fetch(`${app.baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${app.adminToken}`, 'content-type': 'application/json' },
      body: text,
    });
    const text2 = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text2) };
    } catch {
      return { status: res.status, body: text2 };
    }
  };

  it('every route, a batch of hostile bodies and query strings', async () => {
    const hook = await createWebhook({ url: rx.url('/hostile') });
    const tested = await app.api('POST', `${P}/webhooks/${hook.id}/test`, {});
    const logId = tested.body.data.logId;
    const FIELDS = [
      'name',
      'enabled',
      'contentType',
      'events',
      'condition',
      'url',
      'dynamicUrl',
      'method',
      'bodyType',
      'jsonTemplate',
      'formFields',
      'headers',
      'secret',
      'timeoutMs',
      'maxAttempts',
    ];
    const cases: {
      method: string;
      url: string;
      body?: unknown;
      path: (string | number)[] | null;
    }[] = [];
    const base = {
      name: 'hostile',
      contentType: Q,
      events: ['entry.create'],
      url: rx.url('/hostile'),
    };
    for (const field of FIELDS) {
      for (const value of [nestArrays(3000), nestObjects(3000), nestArrays(5)]) {
        cases.push({
          method: 'POST',
          url: `${P}/webhooks`,
          body: { ...base, [field]: value },
          path: [field],
        });
        cases.push({
          method: 'PUT',
          url: `${P}/webhooks/${hook.id}`,
          body: { [field]: value },
          path: [field],
        });
      }
    }
    cases.push(
      {
        method: 'POST',
        url: `${P}/webhooks`,
        body: { ...base, headers: [{ name: nestArrays(3000), value: 'v' }] },
        path: ['headers', 0, 'name'],
      },
      {
        method: 'POST',
        url: `${P}/webhooks`,
        body: { ...base, headers: [{ name: 'X-A', value: nestObjects(3000) }] },
        path: ['headers', 0, 'value'],
      },
      {
        method: 'POST',
        url: `${P}/webhooks`,
        body: {
          ...base,
          bodyType: 'form',
          formFields: [{ field: 'title', key: nestArrays(3000) }],
        },
        path: ['formFields', 0, 'key'],
      },
      {
        method: 'POST',
        url: `${P}/webhooks`,
        body: { ...base, unknownField: nestObjects(3000) },
        path: ['unknownField'],
      },
      { method: 'POST', url: `${P}/webhooks`, body: nestArrays(3000), path: [] },
      { method: 'PUT', url: `${P}/webhooks/${hook.id}`, body: nestArrays(3000), path: [] },
      {
        method: 'POST',
        url: `${P}/webhooks/${hook.id}/preview`,
        body: { documentId: nestArrays(3000) },
        path: ['documentId'],
      },
      {
        method: 'POST',
        url: `${P}/webhooks/${hook.id}/preview`,
        body: { documentId: 'x', locale: nestObjects(3000) },
        path: ['locale'],
      },
      {
        method: 'POST',
        url: `${P}/webhooks/${hook.id}/preview`,
        body: { documentId: 'x', extra: nestObjects(3000) },
        path: ['extra'],
      },
      { method: 'POST', url: `${P}/webhooks/${hook.id}/preview`, body: nestArrays(3000), path: [] },
      {
        method: 'POST',
        url: `${P}/webhooks/${hook.id}/test`,
        body: { documentId: nestObjects(3000) },
        path: ['documentId'],
      },
      {
        method: 'POST',
        url: `${P}/webhooks/${hook.id}/test`,
        body: { locale: nestArrays(3000) },
        path: ['locale'],
      },
      { method: 'POST', url: `${P}/webhooks/${hook.id}/test`, body: nestArrays(3000), path: [] },
      {
        method: 'POST',
        url: `${P}/logs/retry`,
        body: { status: nestArrays(3000) },
        path: ['status'],
      },
      {
        method: 'POST',
        url: `${P}/logs/retry`,
        body: { status: ['failed', ['exhausted']] },
        path: ['status'],
      },
      {
        method: 'POST',
        url: `${P}/logs/retry`,
        body: { webhook: nestObjects(3000) },
        path: ['webhook'],
      },
      {
        method: 'POST',
        url: `${P}/logs/retry`,
        body: { contentType: nestArrays(3000) },
        path: ['contentType'],
      },
      {
        method: 'POST',
        url: `${P}/logs/retry`,
        body: { contentType: { $ne: 'x' } },
        path: ['contentType'],
      },
      {
        method: 'POST',
        url: `${P}/logs/retry`,
        body: { since: nestArrays(3000) },
        path: ['since'],
      },
      { method: 'POST', url: `${P}/logs/retry`, body: nestArrays(3000), path: ['body'] },
      { method: 'POST', url: `${P}/webhooks/import`, body: nestArrays(3000), path: [] },
      {
        method: 'POST',
        url: `${P}/webhooks/import`,
        body: { webhooks: nestArrays(3000) },
        path: ['webhooks', 0],
      },
      {
        method: 'POST',
        url: `${P}/webhooks/import`,
        body: { webhooks: [{ ...base, name: nestObjects(3000) }] },
        path: ['webhooks', 0, 'name'],
      },
      {
        method: 'POST',
        url: `${P}/webhooks/import`,
        body: { webhooks: [{ ...base, headers: [{ name: 'X-A', value: nestArrays(3000) }] }] },
        path: ['webhooks', 0, 'headers', 0, 'value'],
      },
      {
        method: 'POST',
        url: `${P}/webhooks/import`,
        body: { webhooks: [base], onConflict: nestObjects(3000) },
        path: ['onConflict'],
      },
      {
        method: 'POST',
        url: `${P}/webhooks/import`,
        body: { webhooks: [base], extra: nestObjects(3000) },
        path: ['extra'],
      },
      { method: 'GET', url: `${P}/webhooks/export?x[$ne]=1`, path: null },
      // Routes without a body or a query of their own: whatever is sent, no 5xx.
      { method: 'POST', url: `${P}/logs/${logId}/retry`, body: nestArrays(3000), path: null },
      {
        method: 'POST',
        url: `${P}/webhooks/${hook.id}/rotate-secret`,
        body: nestObjects(3000),
        path: null,
      },
      { method: 'GET', url: `${P}/webhooks?${'a'.repeat(5)}${'[b]'.repeat(3000)}=1`, path: null },
      { method: 'GET', url: `${P}/webhooks/${hook.id}?x[y][z]=1`, path: null },
      { method: 'GET', url: `${P}/stats?x[$ne]=1`, path: null },
      { method: 'GET', url: `${P}/content-types?x[$ne]=1`, path: null },
      { method: 'GET', url: `${P}/logs/${logId}?x[$ne]=1`, path: null },
      { method: 'DELETE', url: `${P}/webhooks/${'9'.repeat(400)}`, path: null }
    );
    for (const [query, path] of [
      ['page[$ne]=1', ['page']],
      ['page=1&page=2', ['page']],
      ['page[]=2', ['page']],
      ['pageSize=1e400', ['pageSize']],
      ['status[$ne]=failed', ['status']],
      ['status[0][1][2][3][4][5]=x', ['status']],
      ['contentType[$ne]=x', ['contentType']],
      ['event[$in][0]=x', ['event']],
      ['documentId[$in][0]=x', ['documentId']],
      ['webhook[$gt]=1', ['webhook']],
      ['since[$gt]=x', ['since']],
      ['until=not-a-date', ['until']],
      ['sort=id:desc', ['sort']],
      [`${'a'.repeat(5)}${'[b]'.repeat(3000)}=1`, ['aaaaa']],
    ] as [string, string[]][]) {
      cases.push({ method: 'GET', url: `${P}/logs?${query}`, path });
    }

    const failures: string[] = [];
    for (const c of cases) {
      const res = await app.api(c.method, c.url, c.body);
      const label = `${c.method} ${c.url.slice(0, 80)} ${JSON.stringify(c.body)?.slice(0, 60)}`;
      if (res.status >= 500) failures.push(`${label} → ${res.status}`);
      else if (c.path) {
        // The field's path, or a path inside it (`["headers", 0]` for a header that is not an object).
        const paths: (string | number)[][] =
          res.body?.error?.details?.errors?.map((e: any) => e.path) ?? [];
        const named = paths.some((p) => c.path!.every((seg, i) => p[i] === seg));
        if (res.status !== 400 || !named)
          failures.push(`${label} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);

    // Bodies nested far beyond what can be built here: 200 000 arrays deep.
    const deepText = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    for (const [method, url, text, path] of [
      ['POST', `${P}/webhooks`, `{"name":${deepText}}`, ['name']],
      ['PUT', `${P}/webhooks/${hook.id}`, `{"events":${deepText}}`, ['events']],
      ['POST', `${P}/webhooks/${hook.id}/preview`, `{"documentId":${deepText}}`, ['documentId']],
      ['POST', `${P}/logs/retry`, `{"status":${deepText}}`, ['status']],
      [
        'POST',
        `${P}/webhooks/import`,
        `{"webhooks":[{"name":${deepText}}]}`,
        ['webhooks', 0, 'name'],
      ],
    ] as [string, string, string, string[]][]) {
      const res = await raw(method, url, text);
      expect(res.status, `${method} ${url}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(400);
      expect(res.body.error.details.errors.map((e: any) => e.path)).toContainEqual(path);
    }

    // Strapi is still up, and the webhook unchanged.
    expect((await fetch(`${app.baseUrl}/_health`)).status).toBe(204);
    const after = await app.api('GET', `${P}/webhooks/${hook.id}`);
    expect(after.body.data.name).toBe(hook.name);
    expect(after.body.data.events).toEqual(['entry.create']);
  });
});
