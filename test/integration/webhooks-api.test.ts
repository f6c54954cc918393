/**
 * Issue 2: the webhook definitions admin API (docs/api.md, "Webhook" and the route table).
 * Boots the playground Strapi once; every test talks HTTP to it with the super admin's token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';

const BASE = '/document-webhooks/webhooks';
const QUOTATION = 'api::quotation.quotation';

let app: TestApp;

beforeAll(async () => {
  app = await bootStrapi();
});

afterAll(async () => {
  await app?.stop();
});

/** The smallest valid definition. */
const minimal = (over: Record<string, unknown> = {}) => ({
  name: 'Quotation created',
  contentType: QUOTATION,
  events: ['entry.create'],
  url: 'https://receiver.example.com/hook',
  ...over,
});

const list = async () => {
  const res = await app.api('GET', BASE);
  expect(res.status).toBe(200);
  return res.body.data as any[];
};

const create = async (over: Record<string, unknown> = {}) => {
  const res = await app.api('POST', BASE, minimal(over));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data;
};

/** The raw DB row, secrets still encrypted. */
const rawRow = (id: number) =>
  app.strapi.db.query('plugin::document-webhooks.webhook').findOne({ where: { id } });

type Path = (string | number)[];

/** Asserts Strapi's ValidationError shape and that an error with exactly `path` is reported. */
function expectValidationError(res: { status: number; body: any }, ...paths: Path[]) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  const error = res.body?.error;
  expect(error).toMatchObject({ status: 400, name: 'ValidationError' });
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  const errors = error.details?.errors;
  expect(Array.isArray(errors)).toBe(true);
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) {
    expect(Array.isArray(e.path)).toBe(true);
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
  }
  for (const path of paths) {
    expect(
      errors.some((e: any) => JSON.stringify(e.path) === JSON.stringify(path)),
      `expected an error at ${JSON.stringify(path)}, got ${JSON.stringify(errors)}`
    ).toBe(true);
  }
  return errors as { path: Path; message: string }[];
}

/** POST `body`, expect a 400 at `paths`, and prove the table did not change. */
async function expectCreateRejected(body: unknown, ...paths: Path[]) {
  const before = await list();
  const rowsBefore = await app.strapi.db.query('plugin::document-webhooks.webhook').count();
  const res = await app.api('POST', BASE, body);
  const errors = expectValidationError(res, ...paths);
  expect(await list()).toEqual(before);
  expect(await app.strapi.db.query('plugin::document-webhooks.webhook').count()).toBe(rowsBefore);
  return errors;
}

describe('create / list / get / update / delete', () => {
  it('creates with the documented defaults and returns 201', async () => {
    const res = await app.api('POST', BASE, minimal());
    expect(res.status).toBe(201);
    const w = res.body.data;
    expect(w).toMatchObject({
      name: 'Quotation created',
      contentType: QUOTATION,
      events: ['entry.create'],
      url: 'https://receiver.example.com/hook',
      enabled: true,
      condition: null,
      dynamicUrl: false,
      method: 'POST',
      bodyType: 'default',
      jsonTemplate: null,
      formFields: [],
      headers: [],
      timeoutMs: 5000,
      maxAttempts: 8,
      hasSecret: false,
    });
    expect(Number.isInteger(w.id)).toBe(true);
    expect(w).not.toHaveProperty('secret');
    expect(w).not.toHaveProperty('previousSecret');
  });

  it('stores every field as given', async () => {
    const full = {
      name: 'Full',
      enabled: false,
      contentType: QUOTATION,
      events: ['entry.update', 'entry.publish'],
      condition: 'doc.state == "Ordered" && previous.state != "Ordered"',
      url: 'https://receiver.example.com/{{ doc.documentId }}',
      dynamicUrl: true,
      method: 'PUT',
      bodyType: 'json',
      jsonTemplate: '{"id": {{ doc.documentId | dump }}, "total": {{ doc.grandTotal }}}',
      formFields: [],
      headers: [{ name: 'X-Team', value: 'sales', secret: false }],
      timeoutMs: 100,
      maxAttempts: 20,
    };
    const res = await app.api('POST', BASE, full);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject(full);
    const got = await app.api('GET', `${BASE}/${res.body.data.id}`);
    expect(got.body.data).toMatchObject(full);

    const form = await create({
      bodyType: 'form',
      formFields: [
        { field: 'customer', key: 'client' },
        { field: 'documentId', key: 'name' },
      ],
    });
    expect(form.formFields).toEqual([
      { field: 'customer', key: 'client' },
      { field: 'documentId', key: 'name' },
    ]);
  });

  it('lists and gets', async () => {
    const a = await create({ name: 'list A' });
    const b = await create({ name: 'list B', contentType: 'api::article.article' });
    const all = await list();
    const ids = all.map((w) => w.id);
    expect(ids).toContain(a.id);
    expect(ids).toContain(b.id);
    expect(all.find((w) => w.id === b.id)).toEqual(b);

    const got = await app.api('GET', `${BASE}/${a.id}`);
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(a);
  });

  it('updates partially: omitted fields are kept', async () => {
    const w = await create({
      name: 'partial',
      condition: 'doc.grandTotal > 100',
      method: 'PATCH',
      headers: [{ name: 'X-A', value: '1', secret: false }],
      maxAttempts: 3,
    });
    const res = await app.api('PUT', `${BASE}/${w.id}`, {
      name: 'partial renamed',
      timeoutMs: 2500,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { updatedAt: _u1, ...after } = res.body.data;
    const { updatedAt: _u2, ...before } = w;
    expect(after).toEqual({ ...before, name: 'partial renamed', timeoutMs: 2500 });
    const got = await app.api('GET', `${BASE}/${w.id}`);
    expect(got.body.data).toEqual(res.body.data);

    // Clearing a nullable field works too.
    const cleared = await app.api('PUT', `${BASE}/${w.id}`, { condition: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.data.condition).toBeNull();
    expect(cleared.body.data.method).toBe('PATCH');
  });

  it('accepts back exactly what it returned (read-only fields are ignored on input)', async () => {
    const w = await create({ name: 'round trip' });
    const got = (await app.api('GET', `${BASE}/${w.id}`)).body.data;
    const res = await app.api('PUT', `${BASE}/${w.id}`, { ...got, name: 'round trip 2' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.name).toBe('round trip 2');
    expect(res.body.data.id).toBe(w.id);
  });

  it('deletes, returns the deleted webhook, then answers 404', async () => {
    const w = await create({ name: 'to delete' });
    const res = await app.api('DELETE', `${BASE}/${w.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: w.id, name: 'to delete' });
    expect((await app.api('GET', `${BASE}/${w.id}`)).status).toBe(404);
    expect((await app.api('DELETE', `${BASE}/${w.id}`)).status).toBe(404);
    expect((await list()).map((x) => x.id)).not.toContain(w.id);
    expect(await rawRow(w.id)).toBeNull();
  });

  it('answers 404 for unknown and non-numeric ids on every /:id route', async () => {
    const existing = await create({ name: 'id probe' });
    const bad = [
      '999999',
      'abc',
      '0',
      '-1',
      '1.5',
      `${existing.id}abc`,
      '0x1',
      '1e0',
      '%20' + existing.id,
    ];
    for (const id of bad) {
      const calls: [string, string, unknown?][] = [
        ['GET', `${BASE}/${id}`],
        ['PUT', `${BASE}/${id}`, { name: 'x' }],
        ['DELETE', `${BASE}/${id}`],
        ['POST', `${BASE}/${id}/preview`, { documentId: 'whatever' }],
        ['POST', `${BASE}/${id}/test`, {}],
        ['POST', `${BASE}/${id}/rotate-secret`],
      ];
      for (const [method, url, body] of calls) {
        const res = await app.api(method, url, body);
        expect(res.status, `${method} ${url} → ${res.status} ${JSON.stringify(res.body)}`).toBe(
          404
        );
        expect(res.body.error).toMatchObject({ status: 404, name: 'NotFoundError' });
      }
    }
    // Nothing was changed or deleted by those calls.
    expect((await app.api('GET', `${BASE}/${existing.id}`)).body.data).toEqual(existing);
  });
});

describe('validation on create: 400 in Strapi shape and nothing stored', () => {
  const cases: [string, Record<string, unknown> | unknown, Path][] = [
    [
      'missing name',
      (() => {
        const { name: _n, ...rest } = minimal();
        return rest;
      })(),
      ['name'],
    ],
    ['empty name', minimal({ name: '' }), ['name']],
    ['non-string name', minimal({ name: 42 }), ['name']],
    [
      'missing contentType',
      (() => {
        const { contentType: _c, ...rest } = minimal();
        return rest;
      })(),
      ['contentType'],
    ],
    [
      'contentType plugin::users-permissions.role (hidden from the Content Manager)',
      minimal({ contentType: 'plugin::users-permissions.role' }),
      ['contentType'],
    ],
    ['contentType admin::user', minimal({ contentType: 'admin::user' }), ['contentType']],
    ['contentType api::nope.nope', minimal({ contentType: 'api::nope.nope' }), ['contentType']],
    [
      "contentType is the plugin's own",
      minimal({ contentType: 'plugin::document-webhooks.webhook' }),
      ['contentType'],
    ],
    ['contentType a component', minimal({ contentType: 'shared.line-item' }), ['contentType']],
    ['events empty', minimal({ events: [] }), ['events']],
    [
      'events missing',
      (() => {
        const { events: _e, ...rest } = minimal();
        return rest;
      })(),
      ['events'],
    ],
    ['unknown event', minimal({ events: ['entry.create', 'entry.explode'] }), ['events', 1]],
    ['events not an array', minimal({ events: 'entry.create' }), ['events']],
    ['duplicate events', minimal({ events: ['entry.create', 'entry.create'] }), ['events']],
    ['condition syntax error', minimal({ condition: 'doc.state == ' }), ['condition']],
    ['condition with forbidden name', minimal({ condition: 'doc.constructor' }), ['condition']],
    [
      'condition with forbidden bracket name',
      minimal({ condition: 'doc["__proto__"] != null' }),
      ['condition'],
    ],
    ['condition not a string', minimal({ condition: 5 }), ['condition']],
    [
      'condition with an unclosed parenthesis (Jexl parses it to nothing)',
      minimal({ condition: '(' }),
      ['condition'],
    ],
    [
      'condition with an unclosed parenthesis around a name',
      minimal({ condition: '(doc.grandTotal > 5' }),
      ['condition'],
    ],
    [
      'condition with an unterminated string',
      minimal({ condition: 'doc.state == "Open' }),
      ['condition'],
    ],
    ['url ftp', minimal({ url: 'ftp://example.com/x' }), ['url']],
    ['url javascript:', minimal({ url: 'javascript:alert(1)' }), ['url']],
    ['url relative', minimal({ url: '/hook' }), ['url']],
    [
      'url missing',
      (() => {
        const { url: _u, ...rest } = minimal();
        return rest;
      })(),
      ['url'],
    ],
    [
      'dynamicUrl broken template',
      minimal({ dynamicUrl: true, url: 'https://x.example.com/{{ doc.documentId' }),
      ['url'],
    ],
    [
      'dynamicUrl forbidden name',
      minimal({ dynamicUrl: true, url: 'https://x.example.com/{{ doc.constructor }}' }),
      ['url'],
    ],
    ['method not allowed', minimal({ method: 'TRACE' }), ['method']],
    ['method lower case', minimal({ method: 'post' }), ['method']],
    ['bodyType unknown', minimal({ bodyType: 'xml' }), ['bodyType']],
    ['bodyType json without template', minimal({ bodyType: 'json' }), ['jsonTemplate']],
    [
      'bodyType json with blank template',
      minimal({ bodyType: 'json', jsonTemplate: '   ' }),
      ['jsonTemplate'],
    ],
    [
      'jsonTemplate rendering invalid JSON',
      minimal({ bodyType: 'json', jsonTemplate: '{"a": {{ doc.customer }}}' }),
      ['jsonTemplate'],
    ],
    [
      'jsonTemplate with forbidden name',
      minimal({ bodyType: 'json', jsonTemplate: '{"a": {{ doc.constructor | dump }}}' }),
      ['jsonTemplate'],
    ],
    [
      'formFields field not on the content type',
      minimal({ bodyType: 'form', formFields: [{ field: 'nope', key: 'k' }] }),
      ['formFields', 0, 'field'],
    ],
    [
      'formFields second field not on the content type',
      minimal({
        bodyType: 'form',
        formFields: [
          { field: 'customer', key: 'c' },
          { field: 'nope', key: 'k' },
        ],
      }),
      ['formFields', 1, 'field'],
    ],
    [
      'duplicate form keys',
      minimal({
        bodyType: 'form',
        formFields: [
          { field: 'customer', key: 'k' },
          { field: 'title', key: 'k' },
        ],
      }),
      ['formFields'],
    ],
    ['form without fields', minimal({ bodyType: 'form', formFields: [] }), ['formFields']],
    ['formFields not an array', minimal({ formFields: 'customer' }), ['formFields']],
    [
      'header name with a space',
      minimal({ headers: [{ name: 'X Bad', value: 'v', secret: false }] }),
      ['headers', 0, 'name'],
    ],
    [
      'header name with a colon',
      minimal({ headers: [{ name: 'X-Bad:', value: 'v', secret: false }] }),
      ['headers', 0, 'name'],
    ],
    [
      'header value with CR/LF',
      minimal({ headers: [{ name: 'X-Ok', value: 'a\r\nInjected: yes', secret: false }] }),
      ['headers', 0, 'value'],
    ],
    [
      'header value with LF only',
      minimal({ headers: [{ name: 'X-Ok', value: 'a\nb', secret: false }] }),
      ['headers', 0, 'value'],
    ],
    [
      'secret header value with CR/LF',
      minimal({ headers: [{ name: 'X-Ok', value: 'a\r\nb', secret: true }] }),
      ['headers', 0, 'value'],
    ],
    [
      'reserved header webhook-signature',
      minimal({ headers: [{ name: 'Webhook-Signature', value: 'v1,x', secret: false }] }),
      ['headers', 0, 'name'],
    ],
    [
      'reserved header webhook-id',
      minimal({ headers: [{ name: 'webhook-id', value: 'x', secret: false }] }),
      ['headers', 0, 'name'],
    ],
    [
      'reserved header X-Frappe-Webhook-Signature',
      minimal({ headers: [{ name: 'X-Frappe-Webhook-Signature', value: 'x', secret: false }] }),
      ['headers', 0, 'name'],
    ],
    [
      'non-secret header with null value',
      minimal({ headers: [{ name: 'X-A', value: null, secret: false }] }),
      ['headers', 0, 'value'],
    ],
    [
      'new secret header with null value',
      minimal({ headers: [{ name: 'X-A', value: null, secret: true }] }),
      ['headers', 0, 'value'],
    ],
    ['header not an object', minimal({ headers: [null] }), ['headers', 0]],
    [
      'secret header value not a string',
      minimal({ headers: [{ name: 'X-A', value: 123, secret: true }] }),
      ['headers', 0, 'value'],
    ],
    [
      'secret header name not a string',
      minimal({ headers: [{ name: 5, value: null, secret: true }] }),
      ['headers', 0, 'name'],
    ],
    ['headers not an array', minimal({ headers: { 'X-A': '1' } }), ['headers']],
    ['timeoutMs below 100', minimal({ timeoutMs: 99 }), ['timeoutMs']],
    ['timeoutMs above 30000', minimal({ timeoutMs: 30001 }), ['timeoutMs']],
    ['timeoutMs not an integer', minimal({ timeoutMs: 1000.5 }), ['timeoutMs']],
    ['timeoutMs a string', minimal({ timeoutMs: '1000' }), ['timeoutMs']],
    ['maxAttempts 0', minimal({ maxAttempts: 0 }), ['maxAttempts']],
    ['maxAttempts 21', minimal({ maxAttempts: 21 }), ['maxAttempts']],
    ['enabled not a boolean', minimal({ enabled: 'yes' }), ['enabled']],
    ['secret too short', minimal({ secret: 'short' }), ['secret']],
    ['secret not a string', minimal({ secret: 12345678 }), ['secret']],
    ['unknown top-level field', minimal({ colour: 'blue' }), ['colour']],
  ];

  it.each(cases)('%s', async (_label, body, path) => {
    await expectCreateRejected(body, path);
  });

  it('jsonTemplate syntax error names the line', async () => {
    const errors = await expectCreateRejected(
      minimal({
        bodyType: 'json',
        jsonTemplate: '{\n  "a": 1,\n  "b": {{ doc.customer | dump }\n}',
      }),
      ['jsonTemplate']
    );
    const msg = errors.find((e) => e.path[0] === 'jsonTemplate')!.message;
    expect(msg).toMatch(/line\s*3/i);
  });

  it('a condition with balanced brackets and escaped quotes, and a JSON template that renders valid JSON, are accepted', async () => {
    const c = await create({
      condition: '(doc.state == "Open" || doc.state == "Replied") && doc.title != "a \\" (quoted"',
    });
    expect(c.condition).toBe(
      '(doc.state == "Open" || doc.state == "Replied") && doc.title != "a \\" (quoted"'
    );
    const w = await create({
      bodyType: 'json',
      jsonTemplate:
        '{"a": {{ doc.customer | dump }}, "items": {{ doc.items | dump }}, "n": {{ doc.grandTotal }}}',
    });
    expect(w.bodyType).toBe('json');
  });

  it.each([
    ['an array', [minimal()]],
    ['a string', 'hello'],
    ['a number', 42],
    ['null', null],
  ])('body that is %s is refused', async (_label, body) => {
    const before = await list();
    const res = await app.api('POST', BASE, body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    // Whatever layer refuses it (the plugin or Strapi's body parser), nothing is stored.
    expect(await list()).toEqual(before);
    if (res.body?.error?.name === 'ValidationError' && res.body.error.details?.errors) {
      expectValidationError(res);
    }
  });

  it('reports several errors at once, each with its own path', async () => {
    const errors = await expectCreateRejected(
      {
        name: 7,
        contentType: 'admin::user',
        events: [],
        url: 'ftp://x',
        method: 'TRACE',
        timeoutMs: 5,
        maxAttempts: 99,
        headers: [{ name: 'Bad Name', value: 'x\n', secret: false }],
        bogus: true,
      },
      ['name'],
      ['contentType'],
      ['events'],
      ['url'],
      ['method'],
      ['timeoutMs'],
      ['maxAttempts'],
      ['headers', 0, 'name'],
      ['headers', 0, 'value'],
      ['bogus']
    );
    expect(errors.length).toBeGreaterThanOrEqual(10);
  });
});

describe('validation on update: 400 and the stored row is unchanged', () => {
  let w: any;
  let rowBefore: any;

  beforeAll(async () => {
    w = await create({
      name: 'update target',
      secret: 'a-long-enough-secret',
      headers: [
        { name: 'X-Plain', value: 'plain', secret: false },
        { name: 'X-Key', value: 'secret-header-value', secret: true },
      ],
    });
    rowBefore = await rawRow(w.id);
  });

  const cases: [string, Record<string, unknown> | unknown, Path][] = [
    ['empty name', { name: '' }, ['name']],
    ['non-string name', { name: ['x'] }, ['name']],
    ['null name', { name: null }, ['name']],
    ['contentType admin::user', { contentType: 'admin::user' }, ['contentType']],
    ['events empty', { events: [] }, ['events']],
    ['unknown event', { events: ['entry.nope'] }, ['events', 0]],
    ['condition syntax error', { condition: 'doc.state ==' }, ['condition']],
    ['condition that Jexl parses to an empty tree', { condition: '((' }, ['condition']],
    ['condition forbidden name', { condition: 'doc.constructor' }, ['condition']],
    ['url javascript:', { url: 'javascript:void(0)' }, ['url']],
    [
      'dynamicUrl turned on with a literal URL that is a broken template',
      { dynamicUrl: true, url: 'https://x/{% if %}' },
      ['url'],
    ],
    ['bodyType json without template', { bodyType: 'json' }, ['jsonTemplate']],
    [
      'jsonTemplate invalid JSON',
      { bodyType: 'json', jsonTemplate: '{"a": {{ doc.customer }}}' },
      ['jsonTemplate'],
    ],
    [
      'formFields unknown field',
      { bodyType: 'form', formFields: [{ field: 'internalNotesX', key: 'n' }] },
      ['formFields', 0, 'field'],
    ],
    [
      'reserved header',
      { headers: [{ name: 'webhook-timestamp', value: '1', secret: false }] },
      ['headers', 0, 'name'],
    ],
    [
      'header value with CR/LF',
      { headers: [{ name: 'X-Plain', value: 'a\r\nb', secret: false }] },
      ['headers', 0, 'value'],
    ],
    [
      'new secret header without value',
      { headers: [{ name: 'X-Other', value: null, secret: true }] },
      ['headers', 0, 'value'],
    ],
    ['timeoutMs out of range', { timeoutMs: 30001 }, ['timeoutMs']],
    ['maxAttempts out of range', { maxAttempts: 0 }, ['maxAttempts']],
    ['unknown field', { nope: 1 }, ['nope']],
    ['secret too short', { secret: 'x' }, ['secret']],
  ];

  it.each(cases)('%s', async (_label, body, path) => {
    const res = await app.api('PUT', `${BASE}/${w.id}`, body);
    expectValidationError(res, path);
    expect(await rawRow(w.id)).toEqual(rowBefore);
    expect((await app.api('GET', `${BASE}/${w.id}`)).body.data).toEqual(w);
  });

  it.each([
    ['an array', [{ name: 'x' }]],
    ['a string', 'x'],
  ])('body that is %s is refused', async (_label, body) => {
    const res = await app.api('PUT', `${BASE}/${w.id}`, body);
    expect(res.status).toBe(400);
    expect(await rawRow(w.id)).toEqual(rowBefore);
  });
});

describe('secrets are write-only', () => {
  const SECRET = 'my-very-private-signing-secret-0123';
  const HEADER_SECRET = 'Bearer header-secret-value-9876';

  const assertNoSecrets = (text: string) => {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(HEADER_SECRET);
    expect(text).not.toContain('header-secret-value');
    expect(text).not.toContain('enc:v1:');
  };

  it('never returns secrets: create, get, list, update, delete', async () => {
    const res = await app.api(
      'POST',
      BASE,
      minimal({
        name: 'secretive',
        secret: SECRET,
        headers: [
          { name: 'Authorization', value: HEADER_SECRET, secret: true },
          { name: 'X-Visible', value: 'visible', secret: false },
        ],
      })
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const w = res.body.data;
    expect(w.hasSecret).toBe(true);
    expect(w).not.toHaveProperty('secret');
    expect(w.headers).toEqual([
      { name: 'Authorization', value: null, secret: true },
      { name: 'X-Visible', value: 'visible', secret: false },
    ]);
    assertNoSecrets(JSON.stringify(res.body));

    const got = await app.api('GET', `${BASE}/${w.id}`);
    expect(got.body.data.hasSecret).toBe(true);
    expect(got.body.data).not.toHaveProperty('secret');
    expect(got.body.data.headers[0]).toEqual({ name: 'Authorization', value: null, secret: true });
    assertNoSecrets(JSON.stringify(got.body));

    const all = await app.api('GET', BASE);
    const mine = all.body.data.find((x: any) => x.id === w.id);
    expect(mine.hasSecret).toBe(true);
    expect(mine.headers[0].value).toBeNull();
    for (const x of all.body.data) expect(x).not.toHaveProperty('secret');
    assertNoSecrets(JSON.stringify(all.body));

    const upd = await app.api('PUT', `${BASE}/${w.id}`, { name: 'secretive 2' });
    assertNoSecrets(JSON.stringify(upd.body));

    // The stored values really are these secrets (the API hides them, it did not drop them).
    const row = await rawRow(w.id);
    const secrets = app.strapi.plugin('document-webhooks').service('secrets');
    expect(secrets.decrypt(row.secret)).toBe(SECRET);
    expect(secrets.decrypt(row.headers.find((h: any) => h.name === 'Authorization').value)).toBe(
      HEADER_SECRET
    );

    const del = await app.api('DELETE', `${BASE}/${w.id}`);
    expect(del.status).toBe(200);
    assertNoSecrets(JSON.stringify(del.body));
  });

  it('update without secret keeps it; secret: null removes it; a new string replaces it', async () => {
    const w = await create({ name: 'keep secret', secret: SECRET });
    const secrets = app.strapi.plugin('document-webhooks').service('secrets');

    const kept = await app.api('PUT', `${BASE}/${w.id}`, { name: 'keep secret 2' });
    expect(kept.status).toBe(200);
    expect(kept.body.data.hasSecret).toBe(true);
    expect(secrets.decrypt((await rawRow(w.id)).secret)).toBe(SECRET);

    const replaced = await app.api('PUT', `${BASE}/${w.id}`, { secret: 'another-secret-value' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.data.hasSecret).toBe(true);
    expect(secrets.decrypt((await rawRow(w.id)).secret)).toBe('another-secret-value');

    const removed = await app.api('PUT', `${BASE}/${w.id}`, { secret: null });
    expect(removed.status).toBe(200);
    expect(removed.body.data.hasSecret).toBe(false);
    expect((await rawRow(w.id)).secret).toBeNull();
    expect((await app.api('GET', `${BASE}/${w.id}`)).body.data.hasSecret).toBe(false);
  });

  it('a secret header sent back with value null keeps its stored value; a new value replaces it', async () => {
    const w = await create({
      name: 'header keep',
      headers: [
        { name: 'X-Api-Key', value: 'first-api-key', secret: true },
        { name: 'X-Plain', value: 'p', secret: false },
      ],
    });
    const secrets = app.strapi.plugin('document-webhooks').service('secrets');
    const storedValue = async (name: string) => {
      const row = await rawRow(w.id);
      const h = row.headers.find((x: any) => x.name === name);
      return h && (h.secret ? secrets.decrypt(h.value) : h.value);
    };
    expect(await storedValue('X-Api-Key')).toBe('first-api-key');

    // What the UI does: send back the headers it read (secret value null), with a change elsewhere.
    const read = (await app.api('GET', `${BASE}/${w.id}`)).body.data;
    const res = await app.api('PUT', `${BASE}/${w.id}`, {
      headers: [...read.headers, { name: 'X-New', value: 'n', secret: false }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.headers).toEqual([
      { name: 'X-Api-Key', value: null, secret: true },
      { name: 'X-Plain', value: 'p', secret: false },
      { name: 'X-New', value: 'n', secret: false },
    ]);
    expect(await storedValue('X-Api-Key')).toBe('first-api-key');

    // Header names are case-insensitive: a re-cased name keeps the value too.
    const recased = await app.api('PUT', `${BASE}/${w.id}`, {
      headers: [{ name: 'x-api-key', value: null, secret: true }],
    });
    expect(recased.status, JSON.stringify(recased.body)).toBe(200);
    expect(await storedValue('x-api-key')).toBe('first-api-key');

    const replaced = await app.api('PUT', `${BASE}/${w.id}`, {
      headers: [{ name: 'x-api-key', value: 'second-api-key', secret: true }],
    });
    expect(replaced.status).toBe(200);
    expect(await storedValue('x-api-key')).toBe('second-api-key');
    expect(JSON.stringify(replaced.body)).not.toContain('second-api-key');

    // A header removed from the list is gone.
    const removed = await app.api('PUT', `${BASE}/${w.id}`, { headers: [] });
    expect(removed.status).toBe(200);
    expect((await rawRow(w.id)).headers).toEqual([]);
  });

  it('rotate-secret returns a whsec_ secret once and never again', async () => {
    const w = await create({ name: 'rotate' });
    expect(w.hasSecret).toBe(false);
    const res = await app.api('POST', `${BASE}/${w.id}/rotate-secret`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const secret: string = res.body.data.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64');
    expect(bytes.length).toBeGreaterThanOrEqual(24);
    expect(bytes.length).toBeLessThanOrEqual(32);
    expect(bytes.toString('base64')).toBe(secret.slice('whsec_'.length));

    const got = await app.api('GET', `${BASE}/${w.id}`);
    expect(got.body.data.hasSecret).toBe(true);
    expect(JSON.stringify(got.body)).not.toContain(secret.slice('whsec_'.length));
    expect(JSON.stringify((await app.api('GET', BASE)).body)).not.toContain(
      secret.slice('whsec_'.length)
    );
    expect(
      app.strapi
        .plugin('document-webhooks')
        .service('secrets')
        .decrypt((await rawRow(w.id)).secret)
    ).toBe(secret);

    const again = await app.api('POST', `${BASE}/${w.id}/rotate-secret`);
    expect(again.status).toBe(200);
    expect(again.body.data.secret).not.toBe(secret);
    expect(again.body.data.secret).toMatch(/^whsec_/);
  });
});
