/**
 * Delivery engine, issue 3: outcomes of an attempt. 5xx then 2xx (failed → delivered, same
 * webhook-id), attempt budget exhausted, 3xx is a failure and is not followed, Retry-After is
 * honoured, 410 disables the webhook, and a per-webhook timeout cuts a slow receiver.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import {
  eventually,
  startReceiver,
  type Receiver,
  type ReceivedRequest,
} from '../helpers/receiver';
import { postWebhook, logsOf as logsOfWebhook, at } from '../helpers/api';

const Q = 'api::quotation.quotation';

let app: TestApp;
let rx: Receiver;
/** Per-path answers; anything else gets 200. */
const answers = new Map<
  string,
  (
    r: ReceivedRequest,
    n: number
  ) => { status?: number; headers?: Record<string, string>; body?: string; delayMs?: number }
>();
const counts = new Map<string, number>();

const createWebhook = (def: Record<string, unknown>) =>
  postWebhook(app, { contentType: Q, events: ['entry.create'], ...def });
const logsOf = (webhookId: number) => logsOfWebhook(app, webhookId);
const logOf = async (webhookId: number, documentId: string) =>
  (await logsOf(webhookId)).find((l) => l.documentId === documentId);
const ofDoc = (path: string, documentId: string) => (reqs: ReceivedRequest[]) =>
  at(path)(reqs).filter((r) => JSON.parse(r.body).documentId === documentId);
const create = async (customer: string) =>
  (await app.strapi.documents(Q).create({ data: { customer } })).documentId as string;

beforeAll(async () => {
  rx = await startReceiver();
  rx.respond((r) => {
    const n = (counts.get(r.url) ?? 0) + 1;
    counts.set(r.url, n);
    return answers.get(r.url)?.(r, n) ?? { status: 200, body: 'ok' };
  });
  app = await bootStrapi({ config: { retrySchedule: [0.2, 0.4, 0.8] } });
});

// Also when a test fails half-way: its webhooks must not fire into the next test.
afterEach(() => disableWebhooks(app));

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('retries', () => {
  it('500 then 200: failed (attempt 1, next attempt scheduled) then delivered, same webhook-id', async () => {
    // The second answer is slow, so the `failed` state stays observable until it completes.
    answers.set('/flaky', (_r, n) =>
      n === 1 ? { status: 500, body: 'down' } : { status: 200, body: 'back', delayMs: 800 }
    );
    const hook = await createWebhook({ url: rx.url('/flaky') });
    const id = await create('Flaky');

    const failed = await eventually(async () => {
      const l = await logOf(hook.id, id);
      return l?.status === 'failed' ? l : null;
    });
    expect(failed).toMatchObject({
      attempts: 1,
      error: 'HTTP 500',
      responseStatus: 500,
      responseBody: 'down',
    });
    expect(failed.attemptLog).toEqual([
      {
        at: expect.any(String),
        status: 500,
        durationMs: expect.any(Number),
        error: 'HTTP 500',
        method: 'POST',
        url: rx.url('/flaky'),
      },
    ]);
    expect(failed.nextAttemptAt).toEqual(expect.any(String));
    // Schedule [0.2, …] with ±20 % jitter.
    const wait = Date.parse(failed.nextAttemptAt) - Date.parse(failed.attemptLog[0].at);
    expect(wait).toBeGreaterThanOrEqual(150);
    expect(wait).toBeLessThanOrEqual(300);

    const delivered = await eventually(async () => {
      const l = await logOf(hook.id, id);
      return l?.status === 'delivered' ? l : null;
    });
    expect(delivered).toMatchObject({
      attempts: 2,
      error: null,
      responseStatus: 200,
      responseBody: 'back',
      nextAttemptAt: null,
    });
    expect(delivered.attemptLog.map((a: any) => [a.status, a.error])).toEqual([
      [500, 'HTTP 500'],
      [200, null],
    ]);
    const reqs = ofDoc('/flaky', id)(rx.requests);
    expect(reqs).toHaveLength(2);
    expect(reqs[1].headers['webhook-id']).toBe(reqs[0].headers['webhook-id']);
    expect(reqs[1].body).toBe(reqs[0].body);
    expect(reqs[1].at - reqs[0].at).toBeGreaterThanOrEqual(150);
    // Success clears the failure streak.
    const row = await app.strapi.db
      .query('plugin::document-webhooks.webhook')
      .findOne({ where: { id: hook.id } });
    expect(row.failingSince).toBeNull();
  });

  it('maxAttempts exhausted: exactly maxAttempts requests, then exhausted with no next attempt', async () => {
    answers.set('/down', (r) =>
      JSON.parse(r.body).entry.customer === 'Down'
        ? { status: 502, body: 'bad gateway' }
        : { status: 200 }
    );
    const hook = await createWebhook({ url: rx.url('/down'), maxAttempts: 3 });
    const id = await create('Down');
    const exhausted = await eventually(async () => {
      const l = await logOf(hook.id, id);
      return l?.status === 'exhausted' ? l : null;
    });
    expect(exhausted).toMatchObject({
      attempts: 3,
      error: 'HTTP 502',
      nextAttemptAt: null,
      responseStatus: 502,
    });
    expect(exhausted.attemptLog).toHaveLength(3);
    // Barrier on the same webhook: later deliveries go through, the exhausted one is not retried.
    const okId = await create('Up');
    await rx.waitFor((reqs) => ofDoc('/down', okId)(reqs).length === 1);
    expect(ofDoc('/down', id)(rx.requests)).toHaveLength(3);
    expect((await logOf(hook.id, id)).status).toBe('exhausted');
  });

  it('3xx is a failed attempt and the redirect is not followed', async () => {
    answers.set('/moved', () => ({
      status: 302,
      headers: { location: rx.url('/moved-target') },
      body: '',
    }));
    const hook = await createWebhook({ url: rx.url('/moved'), maxAttempts: 1 });
    const id = await create('Moved');
    const l = await eventually(async () => {
      const x = await logOf(hook.id, id);
      return x?.status === 'exhausted' ? x : null;
    });
    expect(l.responseStatus).toBe(302);
    expect(l.error).toMatch(/302/);
    expect(l.error).toMatch(/redirect/i);
    // Barrier: a later delivery to another path has arrived; the redirect target never did.
    await createWebhook({ url: rx.url('/after-moved') });
    await create('After moved');
    await rx.waitFor((reqs) => at('/after-moved')(reqs).length === 1);
    expect(at('/moved-target')(rx.requests)).toEqual([]);
    expect(ofDoc('/moved', id)(rx.requests)).toHaveLength(1);
  });

  it('Retry-After pushes the next attempt out beyond the schedule', async () => {
    answers.set('/busy', (_r, n) =>
      n === 1 ? { status: 503, headers: { 'retry-after': '1' }, body: 'busy' } : { status: 200 }
    );
    const hook = await createWebhook({ url: rx.url('/busy') });
    const id = await create('Busy');
    const failed = await eventually(async () => {
      const l = await logOf(hook.id, id);
      return l?.status === 'failed' ? l : null;
    });
    expect(failed.error).toBe('HTTP 503');
    expect(
      Date.parse(failed.nextAttemptAt) - Date.parse(failed.attemptLog[0].at)
    ).toBeGreaterThanOrEqual(990);
    const [first, second] = await rx.waitFor((reqs) =>
      ofDoc('/busy', id)(reqs).length === 2 ? ofDoc('/busy', id)(reqs) : undefined
    );
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    await eventually(async () => (await logOf(hook.id, id))?.status === 'delivered');
  });
});

describe('410 Gone and timeouts', () => {
  it('410 disables the webhook and exhausts the delivery', async () => {
    answers.set('/gone', () => ({ status: 410, body: 'gone' }));
    const hook = await createWebhook({ url: rx.url('/gone') });
    const id = await create('Gone');
    const l = await eventually(async () => {
      const x = await logOf(hook.id, id);
      return x?.status === 'exhausted' ? x : null;
    });
    expect(l).toMatchObject({ attempts: 1, responseStatus: 410, nextAttemptAt: null });
    const def = await app.api('GET', `/document-webhooks/webhooks/${hook.id}`);
    expect(def.body.data.enabled).toBe(false);
    expect(def.body.data.disabledReason).toMatch(/410/);
    // Disabled: later documents no longer produce deliveries for it (barrier on another webhook).
    await createWebhook({ url: rx.url('/after-gone') });
    const laterId = await create('After gone');
    await rx.waitFor((reqs) => ofDoc('/after-gone', laterId)(reqs).length === 1);
    expect(at('/gone')(rx.requests)).toHaveLength(1);
    expect(await logOf(hook.id, laterId)).toBeUndefined();
  });

  it('a receiver slower than timeoutMs fails the attempt with a timeout error', async () => {
    answers.set('/slow', () => ({ status: 200, body: 'late', delayMs: 2000 }));
    const hook = await createWebhook({ url: rx.url('/slow'), timeoutMs: 300, maxAttempts: 1 });
    const id = await create('Slow');
    const l = await eventually(async () => {
      const x = await logOf(hook.id, id);
      return x?.status === 'exhausted' ? x : null;
    });
    expect(l.error).toMatch(/timeout/i);
    expect(l.error).toMatch(/300 ms/);
    expect(l.responseStatus).toBeNull();
    expect(l.durationMs).toBeGreaterThanOrEqual(250);
    expect(l.durationMs).toBeLessThan(1500);
  });

  it('a response body still streaming at the deadline is a timeout too', async () => {
    // Headers and a first chunk at once, then nothing: only the overall deadline can end it.
    const sockets = new Set<import('node:net').Socket>();
    const stalling = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial...');
      });
    });
    stalling.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    try {
      const hook = await createWebhook({
        url: `http://127.0.0.1:${(stalling.address() as AddressInfo).port}/stall`,
        timeoutMs: 400,
        maxAttempts: 1,
      });
      const id = await create('Stalled body');
      const l = await eventually(async () => {
        const x = await logOf(hook.id, id);
        return x?.status === 'exhausted' ? x : null;
      });
      expect(l.error).toMatch(/timeout/i);
      expect(l.durationMs).toBeLessThan(2000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => stalling.close(() => resolve()));
    }
  });

  it('the logged response body is capped at maxResponseBodyBytes (20480 by default)', async () => {
    answers.set('/big', () => ({ status: 200, body: 'x'.repeat(100_000) }));
    const hook = await createWebhook({ url: rx.url('/big') });
    const id = await create('Big answer');
    const l = await eventually(async () => {
      const x = await logOf(hook.id, id);
      return x?.status === 'delivered' ? x : null;
    });
    expect(l.responseBody).toBe('x'.repeat(20480));
  });
});

describe('concurrency', () => {
  it('never has more than perWebhookConcurrency (4) deliveries of one webhook in flight', async () => {
    const HOLD = 500;
    let active = 0;
    let peak = 0;
    answers.set('/concurrency', () => {
      active += 1;
      peak = Math.max(peak, active);
      setTimeout(() => (active -= 1), HOLD);
      return { status: 200, delayMs: HOLD };
    });
    const hook = await createWebhook({ url: rx.url('/concurrency') });
    // One delivery in flight first, then a burst: each commit wakes the worker while it runs.
    await create('Conc 0');
    await rx.waitFor((reqs) => at('/concurrency')(reqs).length === 1);
    for (let i = 1; i <= 8; i++) await create(`Conc ${i}`);
    await eventually(
      async () => (await logsOf(hook.id)).filter((l) => l.status === 'delivered').length === 9
    );
    expect(at('/concurrency')(rx.requests)).toHaveLength(9);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(4);
  });
});

describe('fan-out isolation', () => {
  // The fault injected into the planner comes out again, also when the test fails.
  let restorePlanner: (() => void) | null = null;
  afterEach(() => {
    restorePlanner?.();
    restorePlanner = null;
  });

  it('an outbox record that cannot be fanned out does not hold back later ones', async () => {
    await createWebhook({ url: rx.url('/isolation') });
    // The planner the worker uses (built once by the plugin's composition root).
    const planner = app.strapi.plugin('document-webhooks').service('delivery').planner;
    const original = planner.fanOut;
    restorePlanner = () => {
      planner.fanOut = original;
    };
    let poisonId = '';
    // Fault injection: fan-out of one record fails (e.g. its log row cannot be written).
    planner.fanOut = async (ev: any, hooks: any) => {
      if (ev.documentId === poisonId) throw new Error('injected fan-out failure');
      return original.call(planner, ev, hooks);
    };
    await app.strapi.db.transaction(async () => {
      // Same transaction: both records are claimed in one batch, the poisoned one first.
      poisonId = (await app.strapi.documents(Q).create({ data: { customer: 'Poison' } }))
        .documentId;
      await app.strapi.documents(Q).create({ data: { customer: 'Healthy' } });
    });
    const healthy = await rx.waitFor((reqs) =>
      at('/isolation')(reqs).find((r) => JSON.parse(r.body).entry.customer === 'Healthy')
    );
    expect(healthy).toBeDefined();
    // The poisoned record is still in the outbox, to be tried again when its lease runs out.
    const left = await app.strapi.db
      .query('plugin::document-webhooks.outbox-event')
      .findMany({ where: { targetDocumentId: poisonId } });
    expect(left).toHaveLength(1);
    expect(
      at('/isolation')(rx.requests).some((r) => JSON.parse(r.body).documentId === poisonId)
    ).toBe(false);
  });
});
