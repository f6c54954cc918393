/**
 * Issue 19: isolation between receivers. One healthy webhook beside six webhooks whose
 * receiver answers in 4 s, then beside six whose receiver never answers, all on the same
 * content type, 30 writes 50 ms apart, the default `concurrency` and `perWebhookConcurrency`:
 * the healthy webhook's commit → receiver latency stays low (docs/scaling.md, "Isolation"),
 * and the slow webhooks still get every delivery, in order per document.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import {
  eventually,
  startReceiver,
  type Receiver,
  type ReceivedRequest,
} from '../helpers/receiver';
import { postWebhook, logsOf as logsOfWebhook } from '../helpers/api';

const Q = 'api::quotation.quotation';
const WRITES = 30;
const DOCS = 10;
const SPACING_MS = 50;
const SLOW = 6;
/** The hanging receivers' timeout: short so the test ends, still longer than the healthy webhook's bound. */
const HANG_TIMEOUT_MS = 2000;

let app: TestApp;
let fast: Receiver;
let slow: Receiver;
let hanging: Receiver;

const createWebhook = (def: Record<string, unknown>) =>
  postWebhook(app, { contentType: Q, events: ['entry.create', 'entry.update'], ...def });
const logsOf = (webhookId: number) => logsOfWebhook(app, webhookId);
const body = (r: ReceivedRequest) =>
  JSON.parse(r.body) as { documentId: string; entry: { customer: string } };
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

/**
 * WRITES writes SPACING_MS apart over DOCS documents (a create, then updates), each with a
 * unique `customer`; resolves to each write's commit time by customer and the customers
 * written per document, in order.
 */
async function writeLoad(prefix: string) {
  const committedAt = new Map<string, number>();
  const perDoc = new Map<string, string[]>();
  const docs: string[] = [];
  const t0 = Date.now();
  for (let i = 0; i < WRITES; i++) {
    // Pacing of the load (writes at a steady rate, as in the issue), not a synchronisation.
    // Behind schedule (a loaded machine), the next write still lets the event loop turn first,
    // as writes arriving over HTTP do: better-sqlite3 is synchronous, and back-to-back Document
    // Service calls from this very process would otherwise keep timers and sockets waiting.
    const wait = t0 + i * SPACING_MS - Date.now();
    await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
    const customer = `${prefix}-${i}`;
    let documentId: string;
    if (i < DOCS) {
      documentId = (await app.strapi.documents(Q).create({ data: { customer } })).documentId;
      docs.push(documentId);
    } else {
      documentId = docs[i % DOCS];
      await app.strapi.documents(Q).update({ documentId, data: { customer } });
    }
    // The transaction has committed once the Document Service call resolved (as in npm run bench).
    committedAt.set(customer, Date.now());
    perDoc.set(documentId, [...(perDoc.get(documentId) ?? []), customer]);
  }
  return { committedAt, perDoc };
}

/** The healthy webhook's latencies (arrival − commit) for one load, once all arrived. */
async function healthyLatencies(path: string, committedAt: Map<string, number>) {
  const got = await fast.waitFor((reqs) => {
    const mine = reqs.filter((r) => r.url === path && committedAt.has(body(r).entry.customer));
    return mine.length >= WRITES && mine;
  }, 30_000);
  const latencies = got.map((r) => r.at - committedAt.get(body(r).entry.customer)!);
  expect(got.map((r) => body(r).entry.customer).sort()).toEqual([...committedAt.keys()].sort());
  return { p50: percentile(latencies, 50), max: Math.max(...latencies) };
}

/** Every write reached `path` exactly once, in write order per document. */
function expectAllInOrder(reqs: ReceivedRequest[], path: string, perDoc: Map<string, string[]>) {
  const mine = reqs.filter((r) => r.url === path);
  const seen = new Map<string, string[]>();
  for (const r of mine) {
    const b = body(r);
    seen.set(b.documentId, [...(seen.get(b.documentId) ?? []), b.entry.customer]);
  }
  expect(seen).toEqual(perDoc);
}

beforeAll(async () => {
  [fast, slow, hanging] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
  slow.respond(() => ({ status: 200, body: 'ok', delayMs: 4000 }));
  hanging.respond(() => ({ hang: true }));
  // The default concurrency (20) and perWebhookConcurrency (4); the default poll interval
  // (the test helper's is shorter), so no timer comes to the rescue more often than in production.
  app = await bootStrapi({ config: { pollIntervalMs: 5000, retrySchedule: [1] } });
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await Promise.all([fast?.close(), slow?.close(), hanging?.close()]);
});

describe('isolation between receivers (default concurrency 20, perWebhookConcurrency 4)', () => {
  /**
   * The bounds: the targets (p50 < 200 ms, max < 2 s) on top of the same load with six
   * receivers that answer at once instead of the slow ones, measured here first: the same
   * writes, fan-out and claims, only the receivers' speed differs. That takes a few ms on a
   * quiet machine and much more on a loaded one (the CI box runs other suites alongside).
   * Without isolation the healthy webhook waited for the slow ones' slots: p50 15 s and more.
   */
  const bounds = { p50: 200, max: 2000 };
  let healthy: { id: number };
  beforeAll(async () => {
    healthy = await createWebhook({ name: 'healthy', url: fast.url('/healthy') });
    const peers = [];
    for (let k = 0; k < SLOW; k++)
      peers.push(await createWebhook({ name: `fast peer ${k}`, url: fast.url(`/peer${k}`) }));
    await healthyLatencies('/healthy', (await writeLoad('warm-up')).committedAt);
    const reference = await healthyLatencies(
      '/healthy',
      (await writeLoad('reference')).committedAt
    );
    console.log(
      `[isolation] beside six fast receivers (reference): healthy p50 ${reference.p50} ms, max ${reference.max} ms`
    );
    bounds.p50 += reference.p50;
    bounds.max += reference.max;
    await fast.waitFor(
      (reqs) => reqs.filter((r) => r.url.startsWith('/peer')).length >= SLOW * 2 * WRITES,
      30_000
    );
    for (const p of peers)
      await app.api('PUT', `/document-webhooks/webhooks/${p.id}`, { enabled: false });
  }, 90_000);
  // Each test's slow webhooks go, also when it fails half-way; the healthy one stays for the next.
  afterEach(() => disableWebhooks(app, [healthy?.id ?? -1]));

  it('beside six receivers answering in 4 s: healthy p50 < 200 ms, max < 2 s (+ alone); every slow delivery arrives, in order per document', async () => {
    const hooks = [];
    for (let k = 0; k < SLOW; k++)
      hooks.push(await createWebhook({ name: `slow ${k}`, url: slow.url(`/slow${k}`) }));
    const { committedAt, perDoc } = await writeLoad('slow');

    const { p50, max } = await healthyLatencies('/healthy', committedAt);
    console.log(`[isolation] beside 4 s receivers: healthy p50 ${p50} ms, max ${max} ms`);
    expect(p50).toBeLessThan(bounds.p50);
    expect(max).toBeLessThan(bounds.max);

    // The slow webhooks' backlog is visible in the list page's stats (GET /stats `queued`):
    // most of their 30 deliveries are still waiting, the healthy webhook's are all done.
    // (The healthy webhook's last outcome may still be on its way to the database.)
    const stats = await eventually(async () => {
      const data = (await app.api('GET', '/document-webhooks/stats')).body.data;
      return data[healthy.id].queued === 0 && data;
    }, 5000);
    for (const h of hooks) expect(stats[h.id].queued).toBeGreaterThan(WRITES / 2);

    // 30 deliveries per slow webhook, 4 at a time, 4 s each: about 32 s.
    await slow.waitFor((reqs) => reqs.length >= SLOW * WRITES, 90_000);
    for (let k = 0; k < SLOW; k++) expectAllInOrder(slow.requests, `/slow${k}`, perDoc);
    for (const h of hooks)
      await eventually(
        async () => (await logsOf(h.id)).filter((l) => l.status === 'delivered').length === WRITES,
        20_000
      );
    const after = (await app.api('GET', '/document-webhooks/stats')).body.data;
    for (const h of hooks) expect(after[h.id]).toMatchObject({ queued: 0, delivered24h: WRITES });
  }, 150_000);

  it('beside six receivers that never answer: healthy p50 < 200 ms, max < 2 s (+ alone); every attempt is made and logged with its reason', async () => {
    const hooks = [];
    for (let k = 0; k < SLOW; k++) {
      hooks.push(
        await createWebhook({
          name: `hanging ${k}`,
          url: hanging.url(`/hang${k}`),
          timeoutMs: HANG_TIMEOUT_MS,
          maxAttempts: 2,
        })
      );
    }
    const { committedAt, perDoc } = await writeLoad('hang');

    const { p50, max } = await healthyLatencies('/healthy', committedAt);
    console.log(`[isolation] beside hanging receivers: healthy p50 ${p50} ms, max ${max} ms`);
    expect(p50).toBeLessThan(bounds.p50);
    expect(max).toBeLessThan(bounds.max);

    // Two attempts per delivery, each cut by the timeout; the receiver saw every one.
    await hanging.waitFor((reqs) => reqs.length >= SLOW * WRITES * 2, 120_000);
    for (const h of hooks) {
      const logs = await eventually(async () => {
        const l = await logsOf(h.id);
        return l.length === WRITES && l.every((x) => x.status === 'exhausted') && l;
      }, 20_000);
      for (const l of logs) {
        expect(l.attempts).toBe(2);
        expect(l.attemptLog.map((a: any) => a.error)).toEqual([
          expect.stringMatching(/timeout|timed out/i),
          expect.stringMatching(/timeout|timed out/i),
        ]);
      }
    }
    // First attempts in order per document (a failed delivery waiting for its retry may be
    // overtaken: docs/architecture.md, "Ordering").
    for (let k = 0; k < SLOW; k++) {
      const firsts = new Map<string, ReceivedRequest>();
      for (const r of hanging.requests.filter((x) => x.url === `/hang${k}`))
        firsts.set(
          r.headers['webhook-id'] as string,
          firsts.get(r.headers['webhook-id'] as string) ?? r
        );
      expectAllInOrder([...firsts.values()], `/hang${k}`, perDoc);
    }
  }, 180_000);
});
