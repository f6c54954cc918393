/**
 * Issue 16: webhooks as code (the plugin config's `webhooks`, reconciled by name at every
 * start) and export/import between environments. One database restarted with changing
 * configs, then a fresh app that imports what the first one exported.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { verifyStandard } from '../helpers/signatures';

const Q = 'api::quotation.quotation';
const A = 'api::article.article';
const WEBHOOK = 'plugin::document-webhooks.webhook';
const LOG = 'plugin::document-webhooks.log';
const BASE = '/document-webhooks/webhooks';

const SECRET_1 = `whsec_${randomBytes(32).toString('base64')}`;
const SECRET_2 = `whsec_${randomBytes(32).toString('base64')}`;

let rx: Receiver;
let app: TestApp | null = null;
let dbFile = '';
/** The export of the first app, imported into a fresh one. */
let exported: any = null;

const quotesHook = (url: string, secret: string, token: string) => ({
  name: 'Quotes to ERP',
  contentType: Q,
  events: ['entry.create', 'entry.update'],
  url,
  secret,
  headers: [
    { name: 'X-Token', value: token, secret: true },
    { name: 'X-Env', value: 'dev', secret: false },
  ],
});
const articlesHook = (url: string) => ({
  name: 'Articles',
  contentType: A,
  events: ['entry.create'],
  url,
  method: 'PUT',
});

beforeAll(async () => {
  rx = await startReceiver();
});

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

const list = async (t: TestApp) => {
  const res = await t.api('GET', BASE);
  expect(res.status).toBe(200);
  return res.body.data as any[];
};
const byName = (hooks: any[], name: string) => hooks.find((h) => h.name === name);

describe('webhooks declared in the plugin config', () => {
  it('appear as managed webhooks that deliver, sign and send their secret header; secrets are encrypted at rest', async () => {
    app = await bootStrapi({
      config: {
        webhooks: [
          quotesHook(rx.url('/quotes'), SECRET_1, 'tok-1'),
          articlesHook(rx.url('/articles')),
        ],
      },
    });
    dbFile = app.dbFile;
    const hooks = await list(app);
    expect(hooks.map((h) => [h.name, h.managed])).toEqual([
      ['Quotes to ERP', true],
      ['Articles', true],
    ]);
    const q = byName(hooks, 'Quotes to ERP');
    expect(q).toMatchObject({
      hasSecret: true,
      enabled: true,
      headers: [
        { name: 'X-Token', value: null, secret: true },
        { name: 'X-Env', value: 'dev', secret: false },
      ],
    });
    expect(byName(hooks, 'Articles')).toMatchObject({
      method: 'PUT',
      hasSecret: false,
      timeoutMs: 5000,
      maxAttempts: 8,
    });

    const row = await app.strapi.db.query(WEBHOOK).findOne({ where: { id: q.id } });
    expect(row.secret).toMatch(/^enc:v1:/);
    expect(row.headers[0].value).toMatch(/^enc:v1:/);
    expect(JSON.stringify(row)).not.toContain('tok-1');

    const doc = await app.strapi.documents(Q).create({ data: { customer: 'Managed Co' } });
    const [req] = await rx.waitFor((reqs) => {
      const hit = reqs.filter((r) => r.url === '/quotes');
      return hit.length ? hit : undefined;
    });
    expect(JSON.parse(req.body).documentId).toBe(doc.documentId);
    expect(verifyStandard(req, SECRET_1)).toBe(true);
    expect(req.headers['x-token']).toBe('tok-1');
    expect(req.headers['x-env']).toBe('dev');
  });

  it('refuse PUT, DELETE and rotate-secret with a 409 naming the config; preview, test and the request log work', async () => {
    const q = byName(await list(app!), 'Quotes to ERP');
    const attempts = [
      await app!.api('PUT', `${BASE}/${q.id}`, { enabled: false }),
      await app!.api('DELETE', `${BASE}/${q.id}`),
      await app!.api('POST', `${BASE}/${q.id}/rotate-secret`),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ status: 409, name: 'ConflictError' });
      expect(res.body.error.message).toMatch(/"Quotes to ERP" is managed in the plugin config/);
    }
    // Nothing changed.
    expect(byName(await list(app!), 'Quotes to ERP')).toMatchObject({
      enabled: true,
      hasSecret: true,
      secretRotating: false,
    });

    const doc = await app!.strapi.documents(Q).findFirst({});
    const preview = await app!.api('POST', `${BASE}/${q.id}/preview`, {
      documentId: doc.documentId,
    });
    expect(preview.status).toBe(200);
    expect(preview.body.data.request.url).toBe(rx.url('/quotes'));
    const before = rx.requests.length;
    const test = await app!.api('POST', `${BASE}/${q.id}/test`, {});
    expect(test.status).toBe(200);
    expect(test.body.data.status).toBe(200);
    expect(rx.requests.length).toBeGreaterThan(before);
    const logs = await app!.api('GET', `/document-webhooks/logs?webhook=${q.id}`);
    expect(logs.status).toBe(200);
    expect(logs.body.data.length).toBeGreaterThanOrEqual(2);
  });

  it('survive a restart unchanged (same ids, not rewritten), beside webhooks created in the admin', async () => {
    const clicked = await app!.api('POST', BASE, {
      name: 'Clicked',
      contentType: A,
      events: ['entry.update'],
      url: rx.url('/clicked'),
    });
    expect(clicked.status).toBe(201);
    expect(clicked.body.data.managed).toBe(false);
    const rowsBefore = await app!.strapi.db.query(WEBHOOK).findMany({ orderBy: { id: 'asc' } });
    await app!.stop();
    app = null;

    app = await bootStrapi({
      dbFile,
      config: {
        webhooks: [
          quotesHook(rx.url('/quotes'), SECRET_1, 'tok-1'),
          articlesHook(rx.url('/articles')),
        ],
      },
    });
    const rowsAfter = await app.strapi.db.query(WEBHOOK).findMany({ orderBy: { id: 'asc' } });
    expect(rowsAfter.map((r: any) => [r.id, r.name, r.managed])).toEqual(
      rowsBefore.map((r: any) => [r.id, r.name, r.managed])
    );
    // Equal definitions are not written again (a secret would be re-encrypted with a new IV).
    expect(rowsAfter.map((r: any) => [r.secret, String(r.updatedAt)])).toEqual(
      rowsBefore.map((r: any) => [r.secret, String(r.updatedAt)])
    );
  });

  it('change when the config changes, and disappear (request log kept) when removed from it', async () => {
    const before = await list(app!);
    const articles = byName(before, 'Articles');
    const quotes = byName(before, 'Quotes to ERP');
    // A request-log row of the webhook about to go.
    await app!.strapi.documents(A).create({ data: { title: 'Logged' } });
    await eventually(
      async () =>
        (await app!.strapi.db
          .query(LOG)
          .count({ where: { webhookId: articles.id, status: 'delivered' } })) > 0
    );
    await app!.stop();
    app = null;

    const next = {
      ...quotesHook(rx.url('/quotes-v2'), SECRET_2, 'tok-2'),
      condition: 'doc.customer != "skip"',
    };
    app = await bootStrapi({
      dbFile,
      config: {
        webhooks: [
          next,
          { name: 'New one', contentType: A, events: ['entry.update'], url: rx.url('/new') },
        ],
      },
    });
    const after = await list(app);
    expect(after.map((h) => [h.name, h.managed])).toEqual([
      ['Quotes to ERP', true],
      ['Clicked', false],
      ['New one', true],
    ]);
    const q = byName(after, 'Quotes to ERP');
    expect(q.id).toBe(quotes.id);
    expect(q).toMatchObject({
      url: rx.url('/quotes-v2'),
      condition: 'doc.customer != "skip"',
      hasSecret: true,
    });
    // The log of the deleted webhook stays.
    expect(
      await app.strapi.db.query(LOG).count({ where: { webhookId: articles.id } })
    ).toBeGreaterThan(0);

    rx.clear();
    await app.strapi.documents(Q).create({ data: { customer: 'skip' } });
    const doc = await app.strapi.documents(Q).create({ data: { customer: 'Second Co' } });
    const [req] = await rx.waitFor((reqs) => {
      const hit = reqs.filter((r) => r.url === '/quotes-v2');
      return hit.length ? hit : undefined;
    });
    expect(JSON.parse(req.body).documentId).toBe(doc.documentId);
    expect(verifyStandard(req, SECRET_2)).toBe(true);
    expect(req.headers['x-token']).toBe('tok-2');
    // The secret changed in the config: the old one signs beside it for the rotation grace period.
    expect(verifyStandard(req, SECRET_1)).toBe(true);
    expect(rx.requests.filter((r) => r.url === '/quotes' || r.url === '/articles')).toEqual([]);
  });
});

describe('export and import', () => {
  it('GET /webhooks/export: every definition without ids, state or secrets; needsSecret when it signs', async () => {
    const res = await app!.api('GET', `${BASE}/export`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 1 });
    expect(Date.parse(res.body.exportedAt)).not.toBeNaN();
    const quotes = res.body.webhooks.find((w: any) => w.name === 'Quotes to ERP');
    expect(quotes).toEqual({
      name: 'Quotes to ERP',
      enabled: true,
      contentType: Q,
      events: ['entry.create', 'entry.update'],
      condition: 'doc.customer != "skip"',
      url: rx.url('/quotes-v2'),
      dynamicUrl: false,
      method: 'POST',
      bodyType: 'default',
      jsonTemplate: null,
      formFields: [],
      headers: [
        { name: 'X-Token', value: null, secret: true },
        { name: 'X-Env', value: 'dev', secret: false },
      ],
      timeoutMs: 5000,
      maxAttempts: 8,
      coalesce: null,
      needsSecret: true,
    });
    expect(JSON.stringify(res.body)).not.toContain('tok-2');
    expect(JSON.stringify(res.body)).not.toContain(SECRET_2.slice(6, 20));
    expect(res.body.webhooks.find((w: any) => w.name === 'Clicked')).not.toHaveProperty(
      'needsSecret'
    );
    exported = res.body;
  });

  it('a bad import is a 400 naming webhooks[i].<field> and stores nothing', async () => {
    const before = await app!.strapi.db.query(WEBHOOK).findMany({ orderBy: { id: 'asc' } });
    const good = {
      name: 'Would be new',
      contentType: A,
      events: ['entry.create'],
      url: rx.url('/x'),
    };
    const cases: [unknown, (string | number)[]][] = [
      [
        { webhooks: [good, { ...good, name: 'Bad url', url: 'ftp://nope' }] },
        ['webhooks', 1, 'url'],
      ],
      [
        {
          webhooks: [
            good,
            { ...good, name: 'Bad header', headers: [{ name: 'Host', value: 'x' }] },
          ],
        },
        ['webhooks', 1, 'headers', 0, 'name'],
      ],
      [{ webhooks: [good, { ...good }] }, ['webhooks', 1, 'name']],
      [{ webhooks: [good, 'not an object'] }, ['webhooks', 1]],
      [{ webhooks: [{ ...good, needsSecret: 'yes' }] }, ['webhooks', 0, 'needsSecret']],
      [{ webhooks: [{ ...good, colour: 'red' }] }, ['webhooks', 0, 'colour']],
      [{ webhooks: [good], onConflict: 'merge' }, ['onConflict']],
      [{ webhooks: {} }, ['webhooks']],
      [{ webhooks: [good], version: 2 }, ['version']],
      [[good], []],
    ];
    for (const [body, path] of cases) {
      const res = await app!.api('POST', `${BASE}/import`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.name).toBe('ValidationError');
      expect(res.body.error.details.errors.map((e: any) => e.path)).toContainEqual(path);
    }
    expect(await app!.strapi.db.query(WEBHOOK).findMany({ orderBy: { id: 'asc' } })).toEqual(
      before
    );
  });

  it('a name shared by two existing webhooks is a 400; managed webhooks are never touched (skipped)', async () => {
    const dup = await app!.api('POST', BASE, {
      name: 'Clicked',
      contentType: A,
      events: ['entry.create'],
      url: rx.url('/dup'),
    });
    expect(dup.status).toBe(201);
    const before = await app!.strapi.db.query(WEBHOOK).findMany({ orderBy: { id: 'asc' } });
    const res = await app!.api('POST', `${BASE}/import`, {
      webhooks: [
        { name: 'Fresh', contentType: A, events: ['entry.create'], url: rx.url('/f') },
        { name: 'Clicked', contentType: A, events: ['entry.create'], url: rx.url('/c') },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.errors).toEqual([
      {
        path: ['webhooks', 1, 'name'],
        message: expect.stringMatching(/shared by 2 existing webhooks/),
      },
    ]);
    expect(await app!.strapi.db.query(WEBHOOK).findMany({ orderBy: { id: 'asc' } })).toEqual(
      before
    );
    expect((await app!.api('DELETE', `${BASE}/${dup.body.data.id}`)).status).toBe(200);

    const managed = exported.webhooks.find((w: any) => w.name === 'Quotes to ERP');
    const over = await app!.api('POST', `${BASE}/import`, {
      webhooks: [{ ...managed, url: rx.url('/hijack') }],
      onConflict: 'overwrite',
    });
    expect(over.status).toBe(200);
    expect(over.body.data).toEqual({ created: [], updated: [], skipped: ['Quotes to ERP'] });
    expect(byName(await list(app!), 'Quotes to ERP').url).toBe(rx.url('/quotes-v2'));
  });

  it('RBAC: export needs read; import needs create and update', async () => {
    const reader = await app!.createAdmin(`reader-${Date.now()}@test.local`, [
      'plugin::document-webhooks.read',
    ]);
    const creator = await app!.createAdmin(`creator-${Date.now()}@test.local`, [
      'plugin::document-webhooks.read',
      'plugin::document-webhooks.create',
    ]);
    const both = await app!.createAdmin(`both-${Date.now()}@test.local`, [
      'plugin::document-webhooks.create',
      'plugin::document-webhooks.update',
    ]);
    const body = { webhooks: [] };
    expect((await app!.api('GET', `${BASE}/export`, undefined, reader)).status).toBe(200);
    expect((await app!.api('GET', `${BASE}/export`, undefined, both)).status).toBe(403);
    expect((await app!.api('POST', `${BASE}/import`, body, reader)).status).toBe(403);
    expect((await app!.api('POST', `${BASE}/import`, body, creator)).status).toBe(403);
    const ok = await app!.api('POST', `${BASE}/import`, body, both);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ created: [], updated: [], skipped: [] });
    expect((await app!.api('GET', `${BASE}/export`, undefined, null)).status).toBe(401);
  });

  it('into a fresh app: the same definitions, secrets excepted; signing webhooks wait disabled for their secret', async () => {
    await app!.stop();
    app = null;
    app = await bootStrapi();
    const res = await app.api('POST', `${BASE}/import`, exported);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      created: ['Quotes to ERP', 'Clicked', 'New one'],
      updated: [],
      skipped: [],
    });

    // Imported without its secret a webhook does not sign (no needsSecret) and waits disabled.
    const again = await app.api('GET', `${BASE}/export`);
    const definition = ({ enabled: _e, needsSecret: _n, ...rest }: any) => rest;
    expect(again.body.webhooks.map(definition)).toEqual(exported.webhooks.map(definition));
    expect(again.body.webhooks.map((w: any) => [w.name, w.enabled])).toEqual([
      ['Quotes to ERP', false],
      ['Clicked', true],
      ['New one', true],
    ]);
    const hooks = await list(app);
    expect(hooks.every((h) => h.managed === false)).toBe(true);
    const quotes = byName(hooks, 'Quotes to ERP');
    expect(quotes).toMatchObject({
      enabled: false,
      disabledReason: 'secret required',
      hasSecret: false,
    });
    expect(byName(hooks, 'Clicked')).toMatchObject({ enabled: true, disabledReason: null });

    // Import again: skipped by default, overwritten on request (still waiting for the secret).
    const skip = await app.api('POST', `${BASE}/import`, exported);
    expect(skip.body.data).toEqual({
      created: [],
      updated: [],
      skipped: ['Quotes to ERP', 'Clicked', 'New one'],
    });
    const over = await app.api('POST', `${BASE}/import`, { ...exported, onConflict: 'overwrite' });
    expect(over.body.data).toEqual({
      created: [],
      updated: ['Quotes to ERP', 'Clicked', 'New one'],
      skipped: [],
    });
    expect((await list(app)).map((h) => h.id)).toEqual(hooks.map((h) => h.id));
    expect(byName(await list(app), 'Quotes to ERP')).toMatchObject({
      enabled: false,
      disabledReason: 'secret required',
    });

    // Enabling before the secret header has a value is refused, naming the header.
    const early = await app.api('PUT', `${BASE}/${quotes.id}`, { enabled: true });
    expect(early.status).toBe(400);
    expect(early.body.error.details.errors.map((e: any) => e.path)).toContainEqual([
      'headers',
      0,
      'value',
    ]);

    // Set the secrets, enable: it delivers, signed.
    const put = await app.api('PUT', `${BASE}/${quotes.id}`, {
      enabled: true,
      secret: SECRET_1,
      headers: [
        { name: 'X-Token', value: 'tok-prod', secret: true },
        { name: 'X-Env', value: 'prod', secret: false },
      ],
    });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ enabled: true, disabledReason: null, hasSecret: true });
    rx.clear();
    const doc = await app.strapi.documents(Q).create({ data: { customer: 'Prod Co' } });
    const [req] = await rx.waitFor((reqs) => {
      const hit = reqs.filter((r) => r.url === '/quotes-v2');
      return hit.length ? hit : undefined;
    });
    expect(JSON.parse(req.body).documentId).toBe(doc.documentId);
    expect(verifyStandard(req, SECRET_1)).toBe(true);
    expect(req.headers['x-token']).toBe('tok-prod');
  });
});
