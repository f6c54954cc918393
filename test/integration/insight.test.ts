/**
 * Issue 17, "Insight at a glance": `GET /webhooks/:id/stats` (deliveries and latency per
 * bucket, docs/api.md "Delivery statistics") from real deliveries and from rows placed at
 * known times; the request log's `documentTitle` (the Content Manager's main field) and its
 * search by document.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, testDb, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { postWebhook } from '../helpers/api';
import { latencyBin, latencyBinSql } from '../../server/src/stats/series';

const Q = 'api::quotation.quotation';
const P = '/document-webhooks';
const H = 3_600_000;

let app: TestApp;
let rx: Receiver;

const createWebhook = (def: Record<string, unknown>) =>
  postWebhook(app, { contentType: Q, events: ['entry.create'], ...def });
const stats = async (id: number, query = '') => {
  const res = await app.api('GET', `${P}/webhooks/${id}/stats${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data as {
    range: string;
    buckets: {
      start: string;
      delivered: number;
      failed: number;
      exhausted: number;
      p50Ms: number | null;
      p95Ms: number | null;
    }[];
  };
};
const logsOf = async (webhook: number) =>
  (await app.api('GET', `${P}/logs?webhook=${webhook}&pageSize=100`)).body.data as any[];

/** Log rows written directly, at chosen times and latencies. */
let seq = 0;
async function insertLogs(
  rows: {
    webhookId: number;
    at: number;
    status: string;
    durationMs: number | null;
    event?: string;
  }[]
) {
  const knex = app.strapi.db.connection;
  await knex('document_webhooks_logs').insert(
    rows.map((r) => ({
      webhook_id: r.webhookId,
      webhook_name: 'placed',
      event: r.event ?? 'entry.create',
      content_type: Q,
      target_document_id: `placed-${++seq}`,
      status: r.status,
      message_id: `msg_placed_${seq}_${Date.now()}`,
      attempts: 1,
      duration_ms: r.durationMs,
      created_at: new Date(r.at),
      updated_at: new Date(r.at),
    }))
  );
}

beforeAll(async () => {
  rx = await startReceiver();
  rx.respond((r) =>
    r.url === '/fail' ? { status: 500, body: 'no' } : { status: 200, body: 'ok' }
  );
  // Failed deliveries wait 30 s before their retry: they stay `failed` for the test.
  app = await bootStrapi({ config: { retrySchedule: [30, 30, 30] } });
});

afterEach(() => disableWebhooks(app));

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe(`GET /webhooks/:id/stats on ${testDb()}`, () => {
  it('counts real deliveries by status in the current bucket, with their latency', async () => {
    const ok = await createWebhook({ url: rx.url('/ok') });
    const retrying = await createWebhook({ url: rx.url('/fail'), maxAttempts: 3 });
    const givingUp = await createWebhook({ url: rx.url('/fail'), maxAttempts: 1 });
    for (let i = 0; i < 3; i++)
      await app.strapi.documents(Q).create({ data: { customer: `Insight ${i}` } });
    await eventually(async () => {
      const done = (await logsOf(ok.id)).filter((l) => l.status === 'delivered').length === 3;
      const failed = (await logsOf(retrying.id)).filter((l) => l.status === 'failed').length === 3;
      const exhausted =
        (await logsOf(givingUp.id)).filter((l) => l.status === 'exhausted').length === 3;
      return done && failed && exhausted;
    }, 30_000);
    // A test send is left out.
    expect((await app.api('POST', `${P}/webhooks/${ok.id}/test`, {})).status).toBe(200);

    const durations = (await logsOf(ok.id))
      .filter((l) => l.event !== 'test')
      .map((l) => l.durationMs as number);
    const day = await stats(ok.id);
    expect(day.range).toBe('24h');
    expect(day.buckets).toHaveLength(24);
    const last = day.buckets.at(-1)!;
    // The deliveries were created in this hour or, right at its turn, in the one before.
    const recent = day.buckets.slice(-2);
    expect(recent.reduce((n, b) => n + b.delivered, 0)).toBe(3);
    expect(
      day.buckets
        .slice(0, -2)
        .every((b) => b.delivered + b.failed + b.exhausted === 0 && b.p50Ms === null)
    ).toBe(true);
    const timed = recent.find((b) => b.delivered > 0)!;
    expect(timed.p95Ms).not.toBeNull();
    expect(timed.p95Ms!).toBeGreaterThanOrEqual(timed.p50Ms!);
    expect(timed.p95Ms!).toBeLessThanOrEqual(Math.ceil(Math.max(...durations) * 1.1) + 1);
    expect(Date.parse(last.start) % H).toBe(0);
    expect(Date.parse(last.start)).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - Date.parse(last.start)).toBeLessThan(H);

    const sum = (s: Awaited<ReturnType<typeof stats>>, k: 'delivered' | 'failed' | 'exhausted') =>
      s.buckets.reduce((n, b) => n + b[k], 0);
    expect(sum(await stats(retrying.id, '?range=7d'), 'failed')).toBe(3);
    const month = await stats(givingUp.id, '?range=30d');
    expect(month.range).toBe('30d');
    expect(month.buckets).toHaveLength(30);
    expect(month.buckets.at(-1)!.exhausted).toBe(3);
    expect(sum(month, 'delivered') + sum(month, 'failed')).toBe(0);
  });

  it('puts placed rows in their buckets: hourly and daily, percentiles per bucket, others left out', async () => {
    const hook = await createWebhook({ url: rx.url('/ok'), enabled: false });
    const other = await createWebhook({ url: rx.url('/ok'), enabled: false });
    const now = Date.now();
    const hourStart = Math.floor(now / H) * H;
    // Three hours back: latencies 1..10 ms (exact below 20 ms: p50 5, p95 10); five hours
    // back: one failed and one exhausted without a timed attempt; and rows that must not count.
    const three = hourStart - 3 * H + 60_000;
    const five = hourStart - 5 * H + 60_000;
    await insertLogs([
      ...Array.from({ length: 10 }, (_, i) => ({
        webhookId: hook.id,
        at: three + i,
        status: 'delivered',
        durationMs: i + 1,
      })),
      { webhookId: hook.id, at: five, status: 'failed', durationMs: null },
      { webhookId: hook.id, at: five + 1, status: 'exhausted', durationMs: 25_000 },
      { webhookId: hook.id, at: three, status: 'pending', durationMs: null },
      { webhookId: hook.id, at: three, status: 'delivered', durationMs: 9_000, event: 'test' },
      { webhookId: other.id, at: three, status: 'delivered', durationMs: 9_000 },
      { webhookId: hook.id, at: hourStart - 30 * H, status: 'delivered', durationMs: 1 },
      { webhookId: hook.id, at: hourStart - 40 * 24 * H, status: 'delivered', durationMs: 1 },
    ]);

    const day = await stats(hook.id, '?range=24h');
    const bucketOf = (t: number) =>
      day.buckets.find((b) => Date.parse(b.start) <= t && t < Date.parse(b.start) + H);
    expect(bucketOf(three)).toEqual({
      start: new Date(three - 60_000).toISOString(),
      delivered: 10,
      failed: 0,
      exhausted: 0,
      p50Ms: 5,
      p95Ms: 10,
    });
    const b5 = bucketOf(five)!;
    expect([b5.failed, b5.exhausted, b5.delivered]).toEqual([1, 1, 0]);
    // Only the exhausted one was timed: 25 s, within its 10 % bin.
    expect(Math.abs(b5.p50Ms! - 25_000)).toBeLessThanOrEqual(2_500);
    expect(day.buckets.reduce((n, b) => n + b.delivered + b.failed + b.exhausted, 0)).toBe(12);

    // Daily buckets start at UTC midnight; the row 30 hours back is in the week, the 40 days old one nowhere.
    const week = await stats(hook.id, '?range=7d');
    expect(week.buckets).toHaveLength(7);
    expect(week.buckets.every((b) => b.start.endsWith('T00:00:00.000Z'))).toBe(true);
    expect(week.buckets.reduce((n, b) => n + b.delivered, 0)).toBe(11);
    const dayOf = (t: number) =>
      week.buckets.find(
        (b) => b.start === new Date(Math.floor(t / (24 * H)) * 24 * H).toISOString()
      )!;
    expect(dayOf(hourStart - 30 * H).delivered).toBeGreaterThanOrEqual(1);
    expect((await stats(hook.id, '?range=30d')).buckets.reduce((n, b) => n + b.delivered, 0)).toBe(
      11
    );
  });

  it('bins latencies in the database exactly as the percentile math expects', async () => {
    // Every duration up to past two minutes through the SQL the stats query runs (LN and FLOOR
    // of this database), against latencyBin: a bin edge read differently would skew p50/p95.
    const digits = Array.from({ length: 10 }, (_, d) => `SELECT ${d} AS d`).join(' UNION ALL ');
    const places = [1, 10, 100, 1_000, 10_000]
      .map((p, i) => `${i ? ' + ' : ''}p${i}.d * ${p}`)
      .join('');
    const joins = [0, 1, 2, 3, 4].map((i) => `(${digits}) p${i}`).join(' CROSS JOIN ');
    const res = await app.strapi.db.connection.raw(
      `SELECT x, ${latencyBinSql('x')} AS b FROM (SELECT ${places} + t.d * 100000 AS x FROM ${joins}
       CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 AS d) t) n WHERE x <= 130000`
    );
    // pg answers { rows }, mysql2 [rows, fields], better-sqlite3 the rows.
    const rows: { x: number | string; b: number | string }[] =
      res.rows ?? (Array.isArray(res[0]) ? res[0] : res);
    expect(rows).toHaveLength(130_001);
    expect(rows.filter((r) => Number(r.b) !== latencyBin(Number(r.x)))).toEqual([]);

    // And through the API: 21 ms is in [20, 22), 22 ms (on an edge) in [22, 25), each read
    // as its bin's middle.
    const hook = await createWebhook({ url: rx.url('/ok'), enabled: false });
    const hourStart = Math.floor(Date.now() / H) * H;
    await insertLogs([
      { webhookId: hook.id, at: hourStart - 2 * H, status: 'delivered', durationMs: 21 },
      { webhookId: hook.id, at: hourStart - 3 * H, status: 'delivered', durationMs: 22 },
    ]);
    const day = await stats(hook.id, '?range=24h');
    const at = (t: number) => day.buckets.find((b) => b.start === new Date(t).toISOString())!;
    expect([at(hourStart - 2 * H).p50Ms, at(hourStart - 3 * H).p50Ms]).toEqual([21, 24]);
  });

  it('refuses an unknown range or parameter naming it, and answers 404 for an unknown webhook', async () => {
    const hook = await createWebhook({ url: rx.url('/ok'), enabled: false });
    for (const [query, path] of [
      ['?range=1h', 'range'],
      ['?range=24H', 'range'],
      ['?range[$ne]=x', 'range'],
      ['?range=24h&range=7d', 'range'],
      ['?since=2026-01-01', 'since'],
    ]) {
      const res = await app.api('GET', `${P}/webhooks/${hook.id}/stats${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.name).toBe('ValidationError');
      expect(res.body.error.details.errors[0].path, query).toEqual([path]);
    }
    expect((await app.api('GET', `${P}/webhooks/999999/stats`)).status).toBe(404);
    expect((await app.api('GET', `${P}/webhooks/abc/stats`)).status).toBe(404);
  });
});

describe(`request log: documentTitle and search by document on ${testDb()}`, () => {
  const A = 'api::article.article';
  const cm = () => app.strapi.plugin('content-manager').service('content-types');
  /** Sets the type's main field; returns the one it had. */
  const writeMainField = async (uid: string, mainField: string): Promise<string> => {
    const config = await cm().findConfiguration({ uid });
    await cm().updateConfiguration(
      { uid },
      { ...config, settings: { ...config.settings, mainField } }
    );
    return config.settings.mainField;
  };
  /** Main fields as they were before a test changed them: put back after it, whatever its outcome. */
  const mainFields = new Map<string, string>();
  const setMainField = async (uid: string, mainField: string) => {
    const was = await writeMainField(uid, mainField);
    if (!mainFields.has(uid)) mainFields.set(uid, was);
  };
  afterEach(async () => {
    for (const [uid, mainField] of mainFields) await writeMainField(uid, mainField);
    mainFields.clear();
  });

  it('records the main field set in "Configure the view", from the snapshot, and finds the row by title or documentId', async () => {
    // Before any article is delivered (main fields are cached for a few seconds).
    await setMainField(A, 'slug');
    const hook = await createWebhook({ contentType: A, url: rx.url('/fail'), maxAttempts: 1 });
    const quotes = await createWebhook({ url: rx.url('/ok') });
    const stamp = Date.now().toString(36);
    const article = await app.strapi
      .documents(A)
      .create({ data: { title: `Title ${stamp}`, slug: `slug-${stamp}` }, locale: 'fr' });
    const quote = await app.strapi.documents(Q).create({ data: { customer: `Customer ${stamp}` } });
    const row = await eventually(
      async () =>
        (await logsOf(hook.id)).find(
          (l) => l.documentId === article.documentId && l.status === 'exhausted'
        ),
      30_000
    );
    expect(row.documentTitle).toBe(`slug-${stamp}`);
    expect(row.locale).toBe('fr');
    // The quotation's main field is whatever the Content Manager says it is (its default here).
    const quoteField = (await cm().findConfiguration({ uid: Q })).settings.mainField;
    const quoteRow = await eventually(
      async () => (await logsOf(quotes.id)).find((l) => l.documentId === quote.documentId),
      30_000
    );
    expect(quoteRow.documentTitle).toBe(String((quote as any)[quoteField] ?? quote.documentId));

    const search = async (q: string) => {
      const res = await app.api('GET', `${P}/logs?document=${encodeURIComponent(q)}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return (res.body.data as any[]).map((l) => l.id);
    };
    // Part of the title, any case; the exact documentId; nothing for a neighbour's.
    expect(await search(`SLUG-${stamp}`)).toEqual([row.id]);
    expect(await search(article.documentId)).toEqual([row.id]);
    expect(await search(article.documentId.slice(0, 8))).toEqual([]);
    // Combined with the other filters.
    expect(
      (
        await app.api('GET', `${P}/logs?document=${stamp}&webhook=${hook.id}&status=exhausted`)
      ).body.data.map((l: any) => l.id)
    ).toEqual([row.id]);
    expect(
      (await app.api('GET', `${P}/logs?document=${stamp}&webhook=${quotes.id}`)).body.data.map(
        (l: any) => l.id
      )
    ).toEqual([quoteRow.id]);
  });

  it('refuses a nested or overlong document search, naming the parameter', async () => {
    for (const query of [
      'document[$ne]=x',
      'document=a&document=b',
      `document=${'x'.repeat(256)}`,
    ]) {
      const res = await app.api('GET', `${P}/logs?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.details.errors[0].path).toEqual(['document']);
    }
  });
});
