/**
 * Issue 5 — SSRF guard opt-outs and redirects, end to end through a real Strapi.
 *
 * Boots with `allowPrivateAddresses: false, allowedHosts: ['127.0.0.1:<A>']` where A is the
 * port of receiver `allowed`; receiver `other` (another loopback port) is NOT on the list.
 *  - the allow-listed host:port is reached (in any numeric spelling of that address);
 *  - the same address on another port, or under a name, stays blocked — also while a
 *    kept-alive socket to the allowed address is open in the engine's agent;
 *  - redirects are never followed: a 302 to another loopback path (or to a blocked port) is a
 *    failed attempt naming the 3xx, and the redirect target sees zero hits.
 */
import dns from 'node:dns/promises';
import os from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';

const Q = 'api::quotation.quotation';
const BASE = '/document-webhooks/webhooks';

let app: TestApp;
let allowed: Receiver;
let other: Receiver;
let loopbackName: string | null = null;

beforeAll(async () => {
  allowed = await startReceiver();
  other = await startReceiver();
  try {
    const all = await dns.lookup(os.hostname(), { all: true });
    if (
      os.hostname().toLowerCase() !== 'localhost' &&
      all.length &&
      all.every((a) => a.address.startsWith('127.'))
    )
      loopbackName = os.hostname();
  } catch {
    /* host name not resolvable here */
  }
  app = await bootStrapi({
    config: {
      allowPrivateAddresses: false,
      allowedHosts: [`127.0.0.1:${allowed.port}`],
      retrySchedule: [3600],
    },
  });
});

// Also when a test fails half-way: its webhooks must not fire into the next test.
afterEach(() => disableWebhooks(app));

afterAll(async () => {
  await app?.stop();
  await allowed?.close();
  await other?.close();
});

const createWebhook = async (name: string, url: string, over: Record<string, unknown> = {}) => {
  const res = await app.api('POST', BASE, {
    name,
    contentType: Q,
    events: ['entry.create'],
    url,
    maxAttempts: 1,
    ...over,
  });
  expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(201);
  return res.body.data.id as number;
};

const finalLog = (webhookId: number, documentId?: string) =>
  eventually(async () => {
    const res = await app.api('GET', `/document-webhooks/logs?webhook=${webhookId}&pageSize=100`);
    const rows = (res.body.data as any[]).filter((l) => !documentId || l.documentId === documentId);
    return rows.length === 1 && rows[0].status !== 'pending' && rows[0].attempts > 0
      ? rows[0]
      : undefined;
  });

describe('allowedHosts opt-out', () => {
  it('reaches the allow-listed host:port, in any spelling of that address; nothing else', async () => {
    const ok = await createWebhook('allowed dotted', allowed.url('/ok-dotted'));
    const okDecimal = await createWebhook(
      'allowed decimal',
      `http://2130706433:${allowed.port}/ok-decimal`
    );
    const wrongPort = await createWebhook('same address, other port', other.url('/wrong-port'));
    const byName = await createWebhook(
      'localhost is a different host entry',
      `http://localhost:${allowed.port}/by-name`
    );
    const doc = await app.strapi.documents(Q).create({ data: { customer: 'allowed' } });

    expect((await finalLog(ok, doc.documentId)).status).toBe('delivered');
    expect((await finalLog(okDecimal, doc.documentId)).status).toBe('delivered');
    const wp = await finalLog(wrongPort, doc.documentId);
    expect(wp.status).toBe('exhausted');
    expect(wp.error).toMatch(/SSRF guard: .*blocked.*loopback/);
    const bn = await finalLog(byName, doc.documentId);
    expect(bn.status).toBe('exhausted');
    expect(bn.error).toMatch(/SSRF guard: .*loopback host name localhost/);

    expect(allowed.requests.map((r) => r.url).sort()).toEqual(['/ok-decimal', '/ok-dotted']);
    expect(other.requests).toHaveLength(0);
  });

  it('test sends follow the same allow list', async () => {
    const ok = await createWebhook('test allowed', allowed.url('/test-ok'), { enabled: false });
    const res = await app.api('POST', `${BASE}/${ok}/test`, {});
    expect(res.body.data).toMatchObject({ status: 200, error: null });
    const blocked = await createWebhook('test blocked', other.url('/test-blocked'), {
      enabled: false,
    });
    const res2 = await app.api('POST', `${BASE}/${blocked}/test`, {});
    expect(res2.body.data.status).toBeNull();
    expect(res2.body.data.error).toMatch(/SSRF guard/);
    expect(allowed.requests.filter((r) => r.url === '/test-ok')).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });

  it('a kept-alive socket to the allowed address does not carry a request for a name resolving to it', async (ctx) => {
    if (!loopbackName) return ctx.skip();
    // Open (and keep alive) a socket to 127.0.0.1:A in the engine's agent.
    const ok = await createWebhook('keep-alive warm-up', allowed.url('/warm'), { enabled: false });
    expect((await app.api('POST', `${BASE}/${ok}/test`, {})).body.data.status).toBe(200);
    const agent = app.strapi.plugin('document-webhooks').service('engine').agents().httpAgent;
    const free = Object.values(agent.freeSockets as Record<string, unknown[]>).flat().length;
    expect(free).toBeGreaterThan(0);
    // Same address and port, reached through a host name: resolved and refused at dial time.
    const named = await createWebhook(
      'keep-alive by name',
      `http://${loopbackName}:${allowed.port}/by-hostname`,
      { enabled: false }
    );
    const res = await app.api('POST', `${BASE}/${named}/test`, {});
    expect(res.body.data.error).toMatch(
      new RegExp(`SSRF guard: ${loopbackName.toLowerCase()} resolves to loopback`)
    );
    // And the warm socket still works for the allowed host (barrier: it was there all along).
    expect((await app.api('POST', `${BASE}/${ok}/test`, {})).body.data.status).toBe(200);
    expect(allowed.requests.filter((r) => r.url === '/by-hostname')).toHaveLength(0);
    expect(allowed.requests.filter((r) => r.url === '/warm')).toHaveLength(2);
  });
});

describe('redirects are never followed', () => {
  it('302 to another loopback path: logged as a failed attempt naming the 3xx; the target sees zero hits', async () => {
    allowed.respond((req) => {
      if (req.url === '/redirect')
        return { status: 302, headers: { location: allowed.url('/landing') }, body: '' };
      if (req.url === '/redirect-out')
        return { status: 307, headers: { location: other.url('/landing-out') }, body: '' };
      return { status: 200, body: 'ok' };
    });
    const id = await createWebhook('redirecting receiver', allowed.url('/redirect'), {
      maxAttempts: 3,
    });
    const out = await createWebhook('redirect to a blocked port', allowed.url('/redirect-out'), {
      maxAttempts: 1,
    });
    const doc = await app.strapi.documents(Q).create({ data: { customer: 'redirect' } });

    const log = await finalLog(id, doc.documentId);
    // 3xx = failure, retried later (retrySchedule [3600] s): `failed` with a next attempt.
    expect(log.status).toBe('failed');
    expect(log.responseStatus).toBe(302);
    expect(log.error).toMatch(/HTTP 302: redirects are not followed/);
    expect(log.error).toContain('/landing');
    expect(log.nextAttemptAt).toEqual(expect.any(String));
    const logOut = await finalLog(out, doc.documentId);
    expect(logOut.status).toBe('exhausted');
    expect(logOut.error).toMatch(/HTTP 307: redirects are not followed/);

    // The test route does not follow either.
    const t = await app.api('POST', `${BASE}/${id}/test`, {});
    expect(t.body.data.status).toBe(302);
    expect(t.body.data.error).toMatch(/redirects are not followed/);

    // Every send has completed (final rows, synchronous test answer): the targets were never asked.
    expect(allowed.requests.filter((r) => r.url === '/landing')).toHaveLength(0);
    expect(other.requests).toHaveLength(0);
    expect(allowed.requests.filter((r) => r.url === '/redirect')).toHaveLength(2);
  });
});
