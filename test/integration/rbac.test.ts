/**
 * Issue 2: every admin route needs an admin session (401 without) and exactly its RBAC action
 * (403 without); the Content API exposes nothing of the plugin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { startReceiver, type Receiver } from '../helpers/receiver';

const P = '/document-webhooks';
const ACTIONS = ['read', 'create', 'update', 'delete', 'test', 'logs.read', 'logs.retry'] as const;
type Action = (typeof ACTIONS)[number];
const full = (a: Action) => `plugin::document-webhooks.${a}`;

let app: TestApp;
let receiver: Receiver;
/** A webhook and a request-log entry that exist, so allowed calls reach real data. */
let webhookId: number;
let logId: number;
let tokens: Record<Action | 'none', string>;

/** Every admin route of docs/api.md (plus the content-type picker), with the action it needs. */
const routes = (): { method: string; url: string; action: Action; body?: unknown }[] => [
  { method: 'GET', url: `${P}/webhooks`, action: 'read' },
  { method: 'POST', url: `${P}/webhooks`, action: 'create', body: {} },
  { method: 'GET', url: `${P}/webhooks/${webhookId}`, action: 'read' },
  { method: 'PUT', url: `${P}/webhooks/${webhookId}`, action: 'update', body: {} },
  { method: 'DELETE', url: `${P}/webhooks/${webhookId}`, action: 'delete' },
  { method: 'POST', url: `${P}/webhooks/${webhookId}/preview`, action: 'read', body: {} },
  { method: 'POST', url: `${P}/webhooks/${webhookId}/test`, action: 'test', body: {} },
  { method: 'POST', url: `${P}/webhooks/${webhookId}/rotate-secret`, action: 'update' },
  { method: 'GET', url: `${P}/webhooks/${webhookId}/stats?range=7d`, action: 'read' },
  { method: 'GET', url: `${P}/content-types`, action: 'read' },
  { method: 'GET', url: `${P}/logs`, action: 'logs.read' },
  { method: 'GET', url: `${P}/logs/${logId}`, action: 'logs.read' },
  { method: 'POST', url: `${P}/logs/${logId}/retry`, action: 'logs.retry' },
  { method: 'POST', url: `${P}/logs/retry`, action: 'logs.retry', body: {} },
];

beforeAll(async () => {
  receiver = await startReceiver();
  app = await bootStrapi();
  const created = await app.api('POST', `${P}/webhooks`, {
    name: 'rbac target',
    contentType: 'api::quotation.quotation',
    events: ['entry.create'],
    url: receiver.url('/rbac'),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  webhookId = created.body.data.id;
  const tested = await app.api('POST', `${P}/webhooks/${webhookId}/test`, {});
  expect(tested.status, JSON.stringify(tested.body)).toBe(200);
  logId = tested.body.data.logId;
  expect(Number.isInteger(logId)).toBe(true);

  const stamp = Date.now();
  tokens = { none: await app.createAdmin(`rbac-none-${stamp}@test.local`, []) } as any;
  for (const a of ACTIONS)
    tokens[a] = await app.createAdmin(`rbac-${a.replace('.', '-')}-${stamp}@test.local`, [full(a)]);
});

afterAll(async () => {
  await app?.stop();
  await receiver?.close();
});

describe('actions', () => {
  it('registers all seven RBAC actions', () => {
    const provider = app.strapi.service('admin::permission').actionProvider;
    for (const a of ACTIONS) {
      const action = provider.get(full(a));
      expect(action, full(a)).toBeTruthy();
      expect(action.actionId).toBe(full(a));
      expect(action.section).toBe('plugins');
      expect(action.pluginName).toBe('document-webhooks');
    }
  });
});

describe('authentication and authorisation', () => {
  it('answers 401 on every route without a token, and with a bogus token', async () => {
    for (const r of routes()) {
      const res = await app.api(r.method, r.url, r.body, null);
      expect(res.status, `${r.method} ${r.url}`).toBe(401);
      const bogus = await app.api(r.method, r.url, r.body, 'not-a-real-token');
      expect(bogus.status, `${r.method} ${r.url} (bogus token)`).toBe(401);
    }
    // Nothing happened: the webhook is still there and unchanged.
    expect((await app.api('GET', `${P}/webhooks/${webhookId}`)).body.data).toMatchObject({
      id: webhookId,
      name: 'rbac target',
      hasSecret: false,
    });
  });

  it('answers 403 on every route to an admin whose role has no plugin action', async () => {
    for (const r of routes()) {
      const res = await app.api(r.method, r.url, r.body, tokens.none);
      expect(res.status, `${r.method} ${r.url}`).toBe(403);
    }
  });

  it('a role holding one action is refused (403) on every route needing another action', async () => {
    for (const a of ACTIONS) {
      for (const r of routes().filter((x) => x.action !== a)) {
        const res = await app.api(r.method, r.url, r.body, tokens[a]);
        expect(res.status, `${a} role: ${r.method} ${r.url}`).toBe(403);
      }
    }
    // None of those refused calls changed anything.
    const w = (await app.api('GET', `${P}/webhooks/${webhookId}`)).body.data;
    expect(w).toMatchObject({ id: webhookId, name: 'rbac target', hasSecret: false });
  });

  it('read role: can list, get, preview and see content types', async () => {
    const t = tokens.read;
    const listed = await app.api('GET', `${P}/webhooks`, undefined, t);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((w: any) => w.id)).toContain(webhookId);
    expect((await app.api('GET', `${P}/webhooks/${webhookId}`, undefined, t)).status).toBe(200);
    expect((await app.api('GET', `${P}/content-types`, undefined, t)).status).toBe(200);
    // Preview passes the permission check and then validates its body.
    const preview = await app.api('POST', `${P}/webhooks/${webhookId}/preview`, {}, t);
    expect(preview.status).toBe(400);
    expect(preview.body.error.details.errors[0].path).toEqual(['documentId']);
  });

  it('create role: can create but not delete or read', async () => {
    const t = tokens.create;
    const res = await app.api(
      'POST',
      `${P}/webhooks`,
      {
        name: 'made by creator',
        contentType: 'api::article.article',
        events: ['entry.publish'],
        url: receiver.url('/creator'),
      },
      t
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.data.id;
    expect((await app.api('DELETE', `${P}/webhooks/${id}`, undefined, t)).status).toBe(403);
    expect((await app.api('GET', `${P}/webhooks/${id}`, undefined, t)).status).toBe(403);
    expect((await app.api('GET', `${P}/webhooks/${id}`)).status).toBe(200);
  });

  it('update role: can update and rotate the secret', async () => {
    const t = tokens.update;
    const res = await app.api('PUT', `${P}/webhooks/${webhookId}`, { maxAttempts: 3 }, t);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.maxAttempts).toBe(3);
    const rotated = await app.api('POST', `${P}/webhooks/${webhookId}/rotate-secret`, undefined, t);
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.secret).toMatch(/^whsec_/);
  });

  it('delete role: can delete', async () => {
    const made = await app.api('POST', `${P}/webhooks`, {
      name: 'to be deleted',
      contentType: 'api::article.article',
      events: ['entry.create'],
      url: receiver.url('/x'),
    });
    const id = made.body.data.id;
    const res = await app.api('DELETE', `${P}/webhooks/${id}`, undefined, tokens.delete);
    expect(res.status).toBe(200);
    expect((await app.api('GET', `${P}/webhooks/${id}`)).status).toBe(404);
  });

  it('test role: can send a test request', async () => {
    receiver.clear();
    const res = await app.api('POST', `${P}/webhooks/${webhookId}/test`, {}, tokens.test);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.status).toBe(200);
    await receiver.waitFor((reqs) => reqs.find((r) => r.url === '/rbac'));
  });

  it('logs.read role: can list and read logs only', async () => {
    const t = tokens['logs.read'];
    const listed = await app.api('GET', `${P}/logs`, undefined, t);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((l: any) => l.id)).toContain(logId);
    expect(listed.body.meta.pagination).toBeTruthy();
    const one = await app.api('GET', `${P}/logs/${logId}`, undefined, t);
    expect(one.status).toBe(200);
    expect(one.body.data.id).toBe(logId);
    expect((await app.api('GET', `${P}/webhooks`, undefined, t)).status).toBe(403);
  });

  it('logs.retry role: can bulk retry (and reaches the single retry)', async () => {
    const t = tokens['logs.retry'];
    const many = await app.api('POST', `${P}/logs/retry`, {}, t);
    expect(many.status, JSON.stringify(many.body)).toBe(200);
    expect(typeof many.body.data.count).toBe('number');
    // The only log is a test send, which has nothing to resend: the route answers, not the policy.
    const one = await app.api('POST', `${P}/logs/${logId}/retry`, undefined, t);
    expect(one.status, JSON.stringify(one.body)).toBe(400);
    expect((await app.api('GET', `${P}/logs`, undefined, t)).status).toBe(403);
  });
});

describe('Content API', () => {
  it('exposes no plugin routes under /api, with or without a token', async () => {
    const urls = [
      ['GET', '/api/document-webhooks/webhooks'],
      ['POST', '/api/document-webhooks/webhooks'],
      ['GET', `/api/document-webhooks/webhooks/${webhookId}`],
      ['GET', '/api/document-webhooks/logs'],
      ['GET', '/api/document-webhooks/content-types'],
      ['GET', '/api/webhooks'],
      ['GET', '/api/document-webhooks'],
    ];
    for (const [method, url] of urls) {
      for (const token of [null, undefined]) {
        const res = await app.api(method, url, method === 'POST' ? {} : undefined, token);
        // Strapi's public-files route matches any GET path, so a POST to an unknown path
        // answers 405 rather than 404: compare with a path that certainly does not exist.
        const control = await app.api(
          method,
          '/api/zz-no-such-route-anywhere',
          method === 'POST' ? {} : undefined,
          token
        );
        const label = `${method} ${url} token=${token === null ? 'none' : 'admin'}`;
        expect(res.status, label).toBe(method === 'GET' ? 404 : control.status);
        expect([404, 405], label).toContain(res.status);
        expect(res.body?.data ?? null, label).toBeNull();
      }
    }
    // The plugin's content types are not in the Content API either.
    const routesList = app.strapi.server.listRoutes().map((r: any) => r.path as string);
    expect(
      routesList.filter((p: string) => p.startsWith('/api/') && p.includes('document-webhooks'))
    ).toEqual([]);
  });
});
