/**
 * Issue 12 — nothing an admin saves can take Strapi down or stall other webhooks.
 *
 * Through the HTTP API of a real Strapi, with a real receiver on loopback:
 *  - the string-doubling template (a V8 fatal out-of-memory in one allocation) on save (400 on
 *    jsonTemplate), on test with a dynamic URL (400 on url), at delivery when only real data
 *    blows it up (`exhausted` with the reason), and after a RESTART on the same database with
 *    that record still in the outbox (no crash loop) — /_health answers throughout;
 *  - a webhook whose renders keep hitting the limits is paused with its reason;
 *  - a condition with nested filters over big data ends at its work limit, fast;
 *  - the dictsort gadget and deeply nested templates are 400s naming the field;
 *  - fairness: webhook A's renders taking 1 s each on real data do not delay webhook B.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';

const Q = 'api::quotation.quotation';
const BASE = '/document-webhooks/webhooks';

/** The template of the issue: 2^27 characters, then `upper` allocates them in one go. */
const DOUBLING =
  '{% set s = "xx" %}{% for a in "01234567890123456789012345" %}{% set s = s ~ s %}{% endfor %}{"n": {{ s|upper|length }}}';
/** The same over the title: harmless on the sample document ("sample title"), the bomb on a 26-character title. */
const DOUBLING_ON_DATA =
  '{% set s = "xx" %}{% for a in doc.title %}{% set s = s ~ s %}{% endfor %}{"n": {{ s|upper|length }}}';
const LONG_TITLE = 'abcdefghijklmnopqrstuvwxyz';

let app: TestApp;
let rx: Receiver;

/** Polls /_health every 100 ms while a test runs: every answer must be 204, none slow. */
/** What a test set up and must take down, also when it fails: run after each test, last first. */
const undo: (() => unknown)[] = [];

function watchHealth(baseUrl: () => string) {
  const failures: string[] = [];
  let worst = 0;
  let stopped = false;
  let polls = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        const res = await fetch(`${baseUrl()}/_health`, { signal: AbortSignal.timeout(5000) });
        if (res.status !== 204) failures.push(`status ${res.status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
      worst = Math.max(worst, Date.now() - started);
      polls += 1;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const stop = async () => {
    stopped = true;
    await loop;
    return { failures, worst, polls };
  };
  undo.push(stop);
  return { stop };
}

beforeAll(async () => {
  rx = await startReceiver();
  app = await bootStrapi({ config: { pauseAfterLimitHits: 3 } });
});

// Also when a test fails half-way: its webhooks must not fire into the next test.
afterEach(() => disableWebhooks(app));
afterEach(async () => {
  while (undo.length) await undo.pop()!();
});

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

const createWebhook = (body: Record<string, unknown>, on: TestApp = app) =>
  on.api('POST', BASE, {
    name: `hook ${Math.random()}`,
    contentType: Q,
    events: ['entry.create'],
    url: rx.url('/default'),
    maxAttempts: 1,
    ...body,
  });

const logsOf = async (webhookId: number, on: TestApp = app) => {
  const res = await on.api('GET', `/document-webhooks/logs?webhook=${webhookId}&pageSize=100`);
  expect(res.status).toBe(200);
  return res.body.data as any[];
};

const fieldErrors = (res: { body: any }) =>
  (res.body?.error?.details?.errors ?? []) as { path: (string | number)[]; message: string }[];

describe('renders that exhaust memory end alone (Strapi stays up)', () => {
  it('on save: the doubling template is a 400 on jsonTemplate naming the limit', async () => {
    const health = watchHealth(() => app.baseUrl);
    const res = await createWebhook({ bodyType: 'json', jsonTemplate: DOUBLING });
    const h = await health.stop();
    expect(res.status).toBe(400);
    const errors = fieldErrors(res);
    expect(errors.map((e) => e.path[0])).toEqual(['jsonTemplate']);
    expect(errors[0].message).toMatch(/memory limit|exceeded \d+ ms/);
    expect(h.failures).toEqual([]);
    expect((await fetch(`${app.baseUrl}/_health`)).status).toBe(204);
  }, 60_000);

  it('on test with a dynamic URL: 400 on url, the attempt logged as exhausted', async () => {
    const created = await createWebhook({
      dynamicUrl: true,
      url: `${rx.url('/dyn')}?n={% set s = "xx" %}{% for a in "01234567890123456789012345" %}{% set s = s ~ s %}{% endfor %}{{ s|upper|length }}`,
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const health = watchHealth(() => app.baseUrl);
    const res = await app.api('POST', `${BASE}/${id}/test`, {});
    const h = await health.stop();
    expect(res.status).toBe(400);
    expect(fieldErrors(res).map((e) => e.path[0])).toEqual(['url']);
    expect(fieldErrors(res)[0].message).toMatch(
      /URL template failed: Template rendering (exceeded the memory limit|exceeded \d+ ms)/
    );
    expect(h.failures).toEqual([]);
    const logs = await logsOf(id);
    expect(logs).toHaveLength(1);
    expect(logs[0].status).toBe('exhausted');
    expect(rx.requests.some((r) => r.url.startsWith('/dyn'))).toBe(false);
  }, 60_000);

  it('at delivery, on real data only: exhausted with the reason; other deliveries go on; paused after 3 in a row', async () => {
    const created = await createWebhook({
      bodyType: 'json',
      jsonTemplate: DOUBLING_ON_DATA,
      url: rx.url('/bomb'),
    });
    // Harmless on the sample document: accepted.
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const health = watchHealth(() => app.baseUrl);
    const docs = [];
    for (let i = 0; i < 3; i++)
      docs.push(
        (
          await app.strapi
            .documents(Q)
            .create({ data: { customer: `Bomb ${i}`, title: LONG_TITLE } })
        ).documentId
      );
    const logs = await eventually(async () => {
      const rows = await logsOf(id);
      return rows.length === 3 && rows.every((l) => l.status !== 'pending') ? rows : undefined;
    }, 60_000);
    for (const log of logs) {
      expect(log.status).toBe('exhausted');
      expect(log.error).toMatch(
        /JSON template failed: Template rendering (exceeded the memory limit \(64 MB\)|exceeded \d+ ms)/
      );
    }
    // Three limit hits in a row: the webhook is paused, with its reason.
    const hook = await eventually(async () => {
      const res = await app.api('GET', `${BASE}/${id}`);
      return res.body.data.enabled === false ? res.body.data : undefined;
    }, 10_000);
    expect(hook.disabledReason).toMatch(
      /^Paused on .*: 3 renders or conditions in a row hit the sandbox limits/
    );
    // A harmless title still renders (the render processes were restarted), and Strapi answered throughout.
    await createWebhook({ bodyType: 'json', jsonTemplate: DOUBLING_ON_DATA, url: rx.url('/fine') });
    const fine = (
      await app.strapi.documents(Q).create({ data: { customer: 'Fine', title: 'short' } })
    ).documentId;
    const got = await rx.waitFor(
      (reqs) => reqs.find((r) => r.url === '/fine' && r.headers['webhook-id']),
      30_000
    );
    expect(JSON.parse(got.body)).toEqual({ n: 2 ** 6 });
    expect(fine).toBeTruthy();
    const h = await health.stop();
    expect(h.failures).toEqual([]);
    expect(h.polls).toBeGreaterThan(3);
  }, 120_000);
});

describe('conditions are bounded by their work', () => {
  it('the nested-filter condition over big data ends at its work limit (exhausted, fast), not after minutes', async () => {
    const condition =
      'doc.items[.qty >= 0 && doc.items[.qty >= 0 && (doc.items|string)|upper == "q"]|length > 0]|length > 0';
    const created = await createWebhook({ condition, url: rx.url('/cond') });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const items = Array.from({ length: 200 }, (_, i) => ({
      item: `${i}`.padEnd(250, 'x'),
      qty: 1,
    }));
    const health = watchHealth(() => app.baseUrl);
    const started = Date.now();
    await app.strapi.documents(Q).create({ data: { customer: 'Big', items } });
    const log = await eventually(async () => (await logsOf(id))[0], 30_000);
    const h = await health.stop();
    expect(log.status).toBe('exhausted');
    expect(log.error).toMatch(/^Condition failed: Condition evaluation exceeded its work limit/);
    // Unbounded, 40 000 upper() of a 55 kB string: minutes on the event loop.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(h.failures).toEqual([]);
    expect(rx.requests.some((r) => r.url === '/cond')).toBe(false);
  }, 60_000);
});

describe('templates see only data; deep templates are 400s', () => {
  it('the dictsort gadget hands out no function: refused on save instead', async () => {
    const res = await createWebhook({
      bodyType: 'json',
      jsonTemplate:
        '{"x": "{% for pair in (doc.customer|safe)|dictsort %}{% if pair[1] is callable %}LEAK{% endif %}{% endfor %}"}',
    });
    expect(res.status).toBe(400);
    expect(fieldErrors(res).map((e) => e.path[0])).toEqual(['jsonTemplate']);
    expect(fieldErrors(res)[0].message).toMatch(/dictsort filter: val must be an object/);
  });

  it.each([
    [
      'jsonTemplate',
      'a ~ chain of 4000',
      { bodyType: 'json', jsonTemplate: `{"a": "{{ "a"${' ~ "a"'.repeat(4000)} }}"}` },
    ],
    [
      'jsonTemplate',
      'a |trim chain of 6000',
      { bodyType: 'json', jsonTemplate: `{"a": "{{ "a"${'|trim'.repeat(6000)} }}"}` },
    ],
    // (`url` is at most 4096 characters: brackets nested 2000 deep fit.)
    [
      'url',
      '2000 nested brackets in a dynamic URL',
      { dynamicUrl: true, url: `http://127.0.0.1/{{ ${'('.repeat(2000)}1${')'.repeat(2000)} }}` },
    ],
  ])('%s: %s → 400 naming the field', async (field, _name, body) => {
    const res = await createWebhook(body);
    expect(res.status).toBe(400);
    expect(fieldErrors(res).map((e) => e.path[0])).toEqual([field]);
    expect(fieldErrors(res)[0].message).toMatch(/nested too deeply/);
  });
});

describe('fairness', () => {
  const WRITES = 15;

  /** Worst commit → receiver latency of webhook B over WRITES single writes (as scripts/bench.js measures). */
  async function worstLatencyOfB(path: string, bId: number): Promise<number> {
    let worst = 0;
    for (let i = 0; i < WRITES; i++) {
      const doc = await app.strapi
        .documents(Q)
        .create({ data: { customer: `Fair ${path} ${i}`, title: 'x'.repeat(40) } });
      const committedAt = Date.now();
      const hit = await rx
        .waitFor(
          (reqs) =>
            reqs.find((r) => r.url === path && JSON.parse(r.body).documentId === doc.documentId),
          30_000
        )
        .catch(async (err) => {
          // Say where it got stuck: B's log rows for this document, and the outbox.
          const logs = (await logsOf(bId))
            .filter((l) => l.documentId === doc.documentId)
            .map((l) => `${l.status}: ${l.error}`);
          const outbox = await app.strapi.db
            .query('plugin::document-webhooks.outbox-event')
            .findMany({ select: ['id', 'webhookIds', 'leaseOwner', 'leaseUntil'] });
          const all = (await app.api('GET', `/document-webhooks/logs?pageSize=100`)).body.data
            .filter((l: any) => l.documentId === doc.documentId)
            .map((l: any) => [l.webhook, l.status, l.error]);
          const hook = (await app.api('GET', `${BASE}/${bId}`)).body.data;
          throw new Error(
            `${(err as Error).message}; write ${i}: B logs ${JSON.stringify(logs)}, outbox ${JSON.stringify(outbox)}, all logs ${JSON.stringify(all)}, B ${JSON.stringify(hook)}`
          );
        });
      worst = Math.max(worst, hit.at - committedAt);
    }
    return worst;
  }

  it("webhook A's renders taking 1 s each on real data delay webhook B by less than 1 s", async () => {
    // Nobody else listens; A is never paused here (its every render hits the 1 s time limit).
    const b = await createWebhook({
      url: rx.url('/fair-b'),
      bodyType: 'json',
      jsonTemplate: '{"documentId": {{ doc.documentId | dump }}}',
    });
    expect(b.status).toBe(201);
    const alone = await worstLatencyOfB('/fair-b', b.body.data.id);

    await app.api('PUT', `${BASE}/${b.body.data.id}`, { url: rx.url('/fair-b2') });
    // 1 s of render per event on real data (a loop over the 40-character title nested 5 deep,
    // stopped by the 1 s limit); instant on the sample document's 12-character title.
    const a = await createWebhook({
      url: rx.url('/fair-a'),
      bodyType: 'json',
      jsonTemplate:
        '{% for a in doc.title %}{% if doc.title|length > 20 %}{% for b in doc.title %}{% for c in doc.title %}{% for d in doc.title %}{% for e in doc.title %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endif %}{% endfor %}{"ok": true}',
    });
    expect(a.status).toBe(201);
    const pause = app.strapi.config.get('plugin::document-webhooks');
    const before = pause.pauseAfterLimitHits;
    pause.pauseAfterLimitHits = 0;
    undo.push(() => {
      pause.pauseAfterLimitHits = before;
    });
    const withA = await worstLatencyOfB('/fair-b2', b.body.data.id);
    // A really was slow: its renders run into the limit. B may be done before A's first
    // 1 s render is, so wait for A's log rather than read it once.
    const slowA = await eventually(
      async () =>
        (await logsOf(a.body.data.id)).find((l) => /exceeded 1000 ms/.test(l.error ?? '')),
      30_000
    );
    expect(slowA.status).toBe('exhausted');
    console.log(`fairness: B worst latency alone ${alone} ms, with A ${withA} ms`);
    expect(withA - alone).toBeLessThan(1000);
  }, 180_000);
});

describe('restart on the same database with the bomb still in the outbox', () => {
  it('is no crash loop: the record ends exhausted and /_health answers throughout', async () => {
    // One Strapi per process at a time: the shared app goes first.
    await app.stop();
    app = null as unknown as TestApp;
    // First life: no worker, so the record stays in the outbox.
    const first = await bootStrapi({ config: { worker: false } });
    // The Strapi running now, stopped after the test whatever its outcome.
    let running: TestApp | null = first;
    undo.push(() => running?.stop());
    for (const w of (await first.api('GET', BASE)).body.data)
      if (w.enabled) await first.api('PUT', `${BASE}/${w.id}`, { enabled: false });
    const created = await createWebhook(
      { bodyType: 'json', jsonTemplate: DOUBLING_ON_DATA, url: rx.url('/restart') },
      first
    );
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const bomb = (
      await first.strapi
        .documents(Q)
        .create({ data: { customer: 'Restart bomb', title: LONG_TITLE } })
    ).documentId;
    const after = (
      await first.strapi
        .documents(Q)
        .create({ data: { customer: 'Restart after', title: 'short' } })
    ).documentId;
    expect(await first.strapi.db.query('plugin::document-webhooks.outbox-event').count({})).toBe(2);
    const dbFile = first.dbFile;
    await first.stop();
    running = null;

    const app2 = await bootStrapi({ dbFile });
    running = app2;
    const health = watchHealth(() => app2.baseUrl);
    const logs = await eventually(async () => {
      const rows = await logsOf(id, app2);
      return rows.length === 2 && rows.every((l) => l.status !== 'pending') ? rows : undefined;
    }, 60_000);
    const byDoc = new Map(logs.map((l) => [l.documentId, l]));
    expect(byDoc.get(bomb)?.status).toBe('exhausted');
    expect(byDoc.get(bomb)?.error).toMatch(
      /Template rendering (exceeded the memory limit|exceeded \d+ ms)/
    );
    expect(byDoc.get(after)?.status).toBe('delivered');
    expect(await app2.strapi.db.query('plugin::document-webhooks.outbox-event').count({})).toBe(0);
    const h = await health.stop();
    expect(h.failures).toEqual([]);
  }, 180_000);
});
