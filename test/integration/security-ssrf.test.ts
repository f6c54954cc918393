/**
 * Issue 5 — SSRF guard, end to end through a real Strapi with the DEFAULT policy
 * (`allowPrivateAddresses: false, allowedHosts: []`).
 *
 * Every target below is this machine (127.0.0.1 / ::1 / 0.0.0.0 / names that resolve to
 * loopback) spelled in a different way; a real receiver listens on 127.0.0.1 and must see zero
 * requests, whatever path the request takes:
 *  - a document write → the engine's delivery (log row `exhausted`, error names the SSRF block);
 *  - `POST /webhooks/:id/test` (the answer carries the SSRF error);
 *  - a dynamic URL whose template renders to a loopback spelling.
 * The "allowed" side (allowedHosts, redirects) is in security-ssrf-allowed.test.ts.
 */
import dns from 'node:dns/promises';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { logsOf as logsOfWebhook } from '../helpers/api';

const Q = 'api::quotation.quotation';
const BASE = '/document-webhooks/webhooks';

let app: TestApp;
let rx: Receiver;
/** A name that is not `localhost` but that the system resolver maps to loopback (e.g. the host name via /etc/hosts), if any. */
let loopbackName: string | null = null;

beforeAll(async () => {
  rx = await startReceiver();
  for (const candidate of [os.hostname(), 'localhost.localdomain']) {
    try {
      const all = await dns.lookup(candidate, { all: true });
      if (
        candidate.toLowerCase() !== 'localhost' &&
        all.length > 0 &&
        all.every(
          (a) => a.address === '127.0.0.1' || a.address.startsWith('127.') || a.address === '::1'
        )
      ) {
        loopbackName = candidate;
        break;
      }
    } catch {
      /* not resolvable here */
    }
  }
  app = await bootStrapi({ config: { allowPrivateAddresses: false, allowedHosts: [] } });
});

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

/** Loopback spellings of the receiver's address (`P` = its port). */
const spellings = (p: number): [string, string][] => [
  ['dotted', `http://127.0.0.1:${p}/s`],
  ['decimal', `http://2130706433:${p}/s`],
  ['hex', `http://0x7f000001:${p}/s`],
  ['hex dotted', `http://0x7f.0x0.0x0.0x1:${p}/s`],
  ['octal', `http://0177.0.0.1:${p}/s`],
  ['zero-padded octal', `http://0177.0000.0000.0001:${p}/s`],
  ['short', `http://127.1:${p}/s`],
  ['short 2', `http://127.0.1:${p}/s`],
  ['other 127/8', `http://127.9.8.7:${p}/s`],
  ['trailing dot', `http://127.0.0.1.:${p}/s`],
  ['userinfo', `http://user:pw@127.0.0.1:${p}/s`],
  ['upper-case scheme', `HTTP://127.0.0.1:${p}/s`],
  ['https', `https://127.0.0.1:${p}/s`],
  ['0.0.0.0', `http://0.0.0.0:${p}/s`],
  ['0', `http://0:${p}/s`],
  ['localhost', `http://localhost:${p}/s`],
  ['LocalHost mixed case', `http://LocalHost:${p}/s`],
  ['localhost trailing dot', `http://localhost.:${p}/s`],
  ['*.localhost', `http://api.localhost:${p}/s`],
  ['[::1]', `http://[::1]:${p}/s`],
  ['[0:0:0:0:0:0:0:1]', `http://[0:0:0:0:0:0:0:1]:${p}/s`],
  ['[::]', `http://[::]:${p}/s`],
  ['IPv4-mapped', `http://[::ffff:127.0.0.1]:${p}/s`],
  ['IPv4-mapped hex', `http://[::ffff:7f00:1]:${p}/s`],
  ['IPv4-mapped long', `http://[0:0:0:0:0:ffff:127.0.0.1]:${p}/s`],
  ['IPv4-mapped 0.0.0.0', `http://[::ffff:0.0.0.0]:${p}/s`],
];

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

const logsOf = (webhookId: number) => logsOfWebhook(app, webhookId);

const SSRF_ERROR = /SSRF guard: .*(blocked|resolves to)/;

describe('SSRF guard with the default policy (allowPrivateAddresses: false, allowedHosts: [])', () => {
  it('the plugin really runs with the strict policy', () => {
    const cfg = app.strapi.config.get('plugin::document-webhooks');
    expect(cfg.allowPrivateAddresses).toBe(false);
    expect(cfg.allowedHosts).toEqual([]);
  });

  it('refuses non-http(s) URLs on save (400 naming url), nothing stored', async () => {
    const before = (await app.api('GET', BASE)).body.data.length;
    for (const url of [
      'ftp://127.0.0.1/x',
      'file:///etc/passwd',
      'gopher://127.0.0.1:70/_x',
      'javascript:alert(1)',
      'data:text/plain,x',
      'ws://127.0.0.1/x',
      '//127.0.0.1/x',
      '127.0.0.1',
    ]) {
      const res = await app.api('POST', BASE, {
        name: 'bad scheme',
        contentType: Q,
        events: ['entry.create'],
        url,
      });
      expect(res.status, url).toBe(400);
      expect(
        res.body.error.details.errors.map((e: any) => e.path[0]),
        url
      ).toContain('url');
    }
    expect((await app.api('GET', BASE)).body.data.length).toBe(before);
  });

  it('every loopback spelling: document write → exhausted log row naming the SSRF block, zero hits', async () => {
    const targets = spellings(rx.port);
    if (loopbackName)
      targets.push([
        'host name resolving to loopback (dial-time check)',
        `http://${loopbackName}:${rx.port}/s`,
      ]);
    const ids = new Map<number, [string, string]>();
    for (const [name, url] of targets)
      ids.set(await createWebhook(`ssrf ${name}`, url), [name, url]);

    const doc = await app.strapi.documents(Q).create({ data: { customer: 'SSRF victim' } });

    for (const [id, [name, url]] of ids) {
      const log = await eventually(async () => {
        const rows = (await logsOf(id)).filter((l) => l.documentId === doc.documentId);
        return rows.length === 1 && ['failed', 'exhausted'].includes(rows[0].status)
          ? rows[0]
          : undefined;
      });
      expect(log.status, name).toBe('exhausted');
      expect(log.error, `${name} (${url})`).toMatch(SSRF_ERROR);
      expect(log.attempts, name).toBe(1);
      expect(log.responseStatus, name).toBeNull();
      expect(log.attemptLog[0].error, name).toMatch(SSRF_ERROR);
    }
    // Every delivery has reached its final state without a response: nothing can still arrive.
    expect(rx.requests).toHaveLength(0);
  });

  it('the host-name case really goes through DNS at dial time', async (ctx) => {
    if (!loopbackName) return ctx.skip();
    const id = await createWebhook('ssrf dial-time name', `http://${loopbackName}:${rx.port}/s`);
    const res = await app.api('POST', `${BASE}/${id}/test`, {});
    expect(res.status).toBe(200);
    // Not the save-time literal check ("blocked: …") but the resolver's answer.
    expect(res.body.data.error).toMatch(
      new RegExp(`SSRF guard: ${loopbackName.toLowerCase()} resolves to loopback address 127\\.`)
    );
    expect(rx.requests).toHaveLength(0);
  });

  it('POST /webhooks/:id/test is guarded the same way for every spelling', async () => {
    for (const [name, url] of spellings(rx.port)) {
      const id = await createWebhook(`ssrf test-send ${name}`, url, { enabled: false });
      const res = await app.api('POST', `${BASE}/${id}/test`, {});
      expect(res.status, name).toBe(200);
      expect(res.body.data.status, name).toBeNull();
      expect(res.body.data.error, `${name} (${url})`).toMatch(SSRF_ERROR);
      // The test send is logged too, as a failure with the same reason.
      const [log] = (await logsOf(id)).filter((l) => l.event === 'test');
      expect(log.status).toBe('exhausted');
      expect(log.error).toMatch(SSRF_ERROR);
    }
    expect(rx.requests).toHaveLength(0);
  });

  it('dynamic URLs rendering to a loopback spelling are blocked (delivery and test send)', async () => {
    const tpl = `http://{{ doc.title }}:${rx.port}/dyn/{{ doc.documentId }}`;
    const id = await createWebhook('ssrf dynamic', tpl, { dynamicUrl: true });
    const hosts = [
      '127.0.0.1',
      '2130706433',
      '0x7f000001',
      '0177.0.0.1',
      '127.1',
      'localhost',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '0.0.0.0',
    ];
    const docIds: string[] = [];
    for (const host of hosts)
      docIds.push(
        (await app.strapi.documents(Q).create({ data: { customer: 'dyn', title: host } }))
          .documentId
      );
    for (const [i, documentId] of docIds.entries()) {
      const log = await eventually(async () => {
        const rows = (await logsOf(id)).filter((l) => l.documentId === documentId);
        return rows.length === 1 && ['failed', 'exhausted'].includes(rows[0].status)
          ? rows[0]
          : undefined;
      });
      expect(log.requestUrl).toContain(hosts[i]!.replace(/[[\]]/g, ''));
      expect(log.status, hosts[i]).toBe('exhausted');
      expect(log.error, hosts[i]).toMatch(SSRF_ERROR);
    }
    // Test send of the dynamic URL with a real document.
    const res = await app.api('POST', `${BASE}/${id}/test`, { documentId: docIds[1] });
    expect(res.status).toBe(200);
    expect(res.body.data.error).toMatch(SSRF_ERROR);
    expect(rx.requests).toHaveLength(0);
  });

  it('a dynamic URL that renders to a non-http scheme is not sent', async () => {
    const id = await createWebhook(
      'ssrf dynamic scheme',
      `{{ doc.title }}://127.0.0.1:${rx.port}/x`,
      { dynamicUrl: true }
    );
    const res = await app.api('POST', `${BASE}/${id}/test`, {});
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBeNull();
    // Refused at render time (not an absolute http(s) URL) or by the guard before sending.
    expect(res.body.data.error).toMatch(
      /SSRF guard: (only http and https|invalid URL)|did not render an absolute http/
    );
    expect(rx.requests).toHaveLength(0);
  });
});
