import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { bootStrapi, testDb, type TestApp } from '../helpers/strapi';

/**
 * A receiver that is down (connection refused), then answers 503, then times out, then comes
 * back: everything is delivered on the (shortened) retry schedule, and meanwhile another
 * webhook's deliveries are not held back. Runs on TEST_DB (SQLite by default).
 */
const SCHEDULE = [1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3];
const DOCS = 20;

let app: TestApp;
let healthy: Receiver;
let flaky: http.Server | null = null;
const sockets = new Set<Socket>();
let port = 0;
type Mode = 'ok' | '503' | 'hang';
let mode: Mode = '503';
const flakyHits: { at: number; mode: Mode; id: string }[] = [];

function listenFlaky(): Promise<void> {
  flaky = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      flakyHits.push({ at: Date.now(), mode, id: String(req.headers['webhook-id']) });
      if (mode === 'ok') res.end('ok');
      else if (mode === '503') {
        res.writeHead(503);
        res.end('down for maintenance');
      }
      // 'hang': never answer; the webhook's timeout cuts it off.
    });
  });
  flaky.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => flaky!.listen(port, '127.0.0.1', () => resolve()));
}

async function until<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs: number,
  intervalMs = 100
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

beforeAll(async () => {
  healthy = await startReceiver();
  // A port with nothing listening on it (yet): connection refused.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  app = await bootStrapi({
    config: {
      retrySchedule: SCHEDULE,
      pollIntervalMs: 200,
      concurrency: 10,
      perWebhookConcurrency: 2,
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await healthy?.close();
  sockets.forEach((s) => s.destroy());
  if (flaky) await new Promise<void>((r) => flaky!.close(() => r()));
});

const logs = () => app.strapi.db.query('plugin::document-webhooks.log');

describe(`receiver outage on ${testDb()}`, () => {
  it('delivers everything once the receiver is back, without holding back other webhooks', async () => {
    const mk = async (name: string, url: string) => {
      const res = await app.api('POST', '/document-webhooks/webhooks', {
        name,
        contentType: 'api::article.article',
        events: ['entry.create'],
        url,
        timeoutMs: 500,
        maxAttempts: 12,
      });
      expect(res.status).toBe(201);
      return res.body.data.id as number;
    };
    const flakyId = await mk('flaky', `http://127.0.0.1:${port}/hook`);
    const healthyId = await mk('healthy', healthy.url('/healthy'));

    const write = async (prefix: string, n: number) => {
      for (let i = 0; i < n; i++)
        await app.strapi
          .documents('api::article.article')
          .create({ data: { title: `${prefix}-${i}` } });
    };

    // 1. Connection refused: the healthy webhook gets everything at once meanwhile.
    const t0 = Date.now();
    await write('refused', DOCS / 2);
    await healthy.waitFor((r) => r.length >= DOCS / 2, 15_000);
    const refusedErrors = await until(
      'refused attempts logged',
      async () => {
        const rows = await logs().findMany({ where: { webhookId: flakyId, status: 'failed' } });
        return rows.length >= DOCS / 2 ? rows : null;
      },
      15_000
    );
    expect(refusedErrors.every((r: any) => /ECONNREFUSED|refused/i.test(String(r.error)))).toBe(
      true
    );

    // 2. Listening again but answering 503.
    mode = '503';
    await listenFlaky();
    await until(
      '503 answers',
      () => flakyHits.filter((h) => h.mode === '503').length >= DOCS / 2,
      30_000
    );

    // 3. Timeouts (the receiver never answers), and more writes: the healthy webhook keeps up.
    mode = 'hang';
    const tHang = Date.now();
    await write('hang', DOCS / 2);
    await healthy.waitFor((r) => r.length >= DOCS, 15_000);
    const healthyLag = Date.now() - tHang;
    await until('timeouts', () => flakyHits.filter((h) => h.mode === 'hang').length >= 4, 30_000);

    // 4. Back: everything arrives, following the schedule.
    mode = 'ok';
    const tBack = Date.now();
    await until(
      'all delivered to the flaky receiver',
      () => new Set(flakyHits.filter((h) => h.mode === 'ok').map((h) => h.id)).size >= DOCS,
      60_000
    );
    const recoverMs = Date.now() - tBack;
    await until(
      'settled',
      async () =>
        (await logs().count({ where: { webhookId: flakyId, status: 'delivered' } })) === DOCS,
      15_000
    );

    const rows = (await logs().findMany({
      where: { webhookId: flakyId },
      orderBy: { id: 'asc' },
    })) as any[];
    expect(rows).toHaveLength(DOCS);
    for (const [i, r] of rows.entries()) {
      expect(r.status).toBe('delivered');
      // The first batch went through the whole outage (the second may have waited its turn).
      if (i < DOCS / 2) expect(r.attempts).toBeGreaterThan(2);
      // Attempts spaced by the schedule (±20 % jitter), never faster.
      const at = r.attemptLog.map((a: any) => Date.parse(a.at));
      for (let i = 1; i < at.length; i++) {
        const planned = SCHEDULE[Math.min(i - 1, SCHEDULE.length - 1)] * 1000;
        expect(at[i] - at[i - 1], `attempt ${i + 1} of log ${r.id}`).toBeGreaterThanOrEqual(
          planned * 0.8 - 50
        );
      }
    }
    // All three failure kinds were seen and logged.
    const errors = rows.flatMap((r) =>
      r.attemptLog.map((a: any) => `${a.status ?? ''} ${a.error ?? ''}`)
    );
    expect(errors.some((e) => /ECONNREFUSED|refused/i.test(e))).toBe(true);
    expect(errors.some((e) => /^503/.test(e))).toBe(true);
    expect(errors.some((e) => /timeout|timed out|ECONNABORTED/i.test(e))).toBe(true);
    // One delivery each to the healthy webhook, and it was never waiting on the flaky one.
    expect(new Set(healthy.requests.map((r) => r.headers['webhook-id'])).size).toBe(DOCS);
    expect(await logs().count({ where: { webhookId: healthyId, status: 'delivered' } })).toBe(DOCS);
    console.log(
      `[outage] ${testDb()}: healthy webhook kept up (second batch in ${healthyLag} ms during timeouts); flaky drained ${recoverMs} ms after recovery; total ${Date.now() - t0} ms`
    );
  });
});
