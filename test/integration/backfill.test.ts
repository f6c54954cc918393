/**
 * Backfill (issue 20; docs/api.md, `POST /webhooks/:id/backfill`): one `entry.backfill`
 * delivery per existing document of the webhook's content type (published versions by
 * default, drafts on request), the condition applied, through the outbox and the delivery
 * worker; progress readable; RBAC needs both `update` and `test`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { postWebhook, at } from '../helpers/api';

const Q = 'api::quotation.quotation';
const P = '/document-webhooks';

let app: TestApp;
let rx: Receiver;
/** documentId → { state, published } of the documents made before the webhooks. */
const docs = new Map<string, { state: string; published: boolean }>();

const createWebhook = (def: Record<string, unknown>) =>
  postWebhook(app, { contentType: Q, events: ['entry.delete'], ...def });
const finished = (id: number) =>
  eventually(async () => {
    const res = await app.api('GET', `${P}/webhooks/${id}/backfill`);
    return res.body.data?.job?.state === 'done' ? res.body.data : null;
  }, 30_000);

beforeAll(async () => {
  rx = await startReceiver();
  app = await bootStrapi();
  const states = [
    'Open',
    'Draft',
    'Open',
    'Lost',
    'Open',
    'Open',
    'Draft',
    'Open',
    'Ordered',
    'Open',
    'Open',
    'Lost',
  ];
  for (const [i, state] of states.entries()) {
    const d = await app.strapi.documents(Q).create({ data: { customer: `Backfill ${i}`, state } });
    // Every third one stays a draft only.
    const published = i % 3 !== 2;
    if (published) await app.strapi.documents(Q).publish({ documentId: d.documentId });
    docs.set(d.documentId, { state, published });
  }
});

afterEach(() => disableWebhooks(app));

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('backfill', () => {
  it('sends each matching published document once, as entry.backfill, and reports its progress', async () => {
    const hook = await createWebhook({
      url: rx.url('/backfill/published'),
      condition: 'doc.state == "Open"',
    });
    const expected = [...docs]
      .filter(([, d]) => d.published && d.state === 'Open')
      .map(([id]) => id)
      .sort();
    expect(expected.length).toBeGreaterThan(2);

    const info = await app.api('GET', `${P}/webhooks/${hook.id}/backfill`);
    expect(info.status).toBe(200);
    expect(info.body.data).toEqual({
      documents: [...docs.values()].filter((d) => d.published).length,
      job: null,
    });

    const res = await app.api('POST', `${P}/webhooks/${hook.id}/backfill`, {});
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.data.queued).toBe([...docs.values()].filter((d) => d.published).length);

    await rx.waitFor((reqs) => at('/backfill/published')(reqs).length >= expected.length);
    const done = await finished(hook.id);
    expect(done.job).toMatchObject({
      state: 'done',
      status: 'published',
      total: res.body.data.queued,
      queued: res.body.data.queued,
      error: null,
    });
    // Nothing more comes: every outbox record is fanned out once the logs show all of them.
    await eventually(
      async () =>
        (await app.strapi.plugin('document-webhooks').service('engine').outbox().count()) === 0
    );
    const logs = (await app.api('GET', `${P}/logs?webhook=${hook.id}&pageSize=100`)).body
      .data as any[];
    await eventually(
      async () =>
        (await app.api('GET', `${P}/logs?webhook=${hook.id}&status=delivered`)).body.meta.pagination
          .total === expected.length
    );

    const got = at('/backfill/published')(rx.requests).map((r) => JSON.parse(r.body));
    expect(got.map((b) => b.documentId).sort()).toEqual(expected);
    for (const b of got) {
      expect(b).toMatchObject({ event: 'entry.backfill', uid: Q, previous: null });
      expect(b.entry.state).toBe('Open');
      expect(b.entry.publishedAt).toEqual(expect.any(String));
    }
    expect(logs.every((l) => l.event === 'entry.backfill')).toBe(true);
  });

  it('status "draft" sends the draft versions; bad options are refused naming the field', async () => {
    const hook = await createWebhook({
      url: rx.url('/backfill/drafts'),
      condition: 'doc.state == "Lost"',
    });
    const lost = [...docs]
      .filter(([, d]) => d.state === 'Lost')
      .map(([id]) => id)
      .sort();
    const res = await app.api('POST', `${P}/webhooks/${hook.id}/backfill`, { status: 'draft' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.data.queued).toBe(docs.size);
    await rx.waitFor((reqs) => at('/backfill/drafts')(reqs).length >= lost.length);
    await finished(hook.id);
    const got = at('/backfill/drafts')(rx.requests).map((r) => JSON.parse(r.body));
    expect(got.map((b) => b.documentId).sort()).toEqual(lost);
    for (const b of got) expect(b.entry.publishedAt).toBeNull();

    for (const [body, field] of [
      [{ status: 'archived' }, 'status'],
      [{ locale: 'fr' }, 'locale'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      const bad = await app.api('POST', `${P}/webhooks/${hook.id}/backfill`, body);
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.errors[0].path).toEqual([field]);
    }
    await app.api('PUT', `${P}/webhooks/${hook.id}`, { enabled: false });
    const disabled = await app.api('POST', `${P}/webhooks/${hook.id}/backfill`, {});
    expect(disabled.status).toBe(400);
    expect(disabled.body.error.details.errors[0].path).toEqual(['enabled']);
    expect((await app.api('POST', `${P}/webhooks/999999/backfill`, {})).status).toBe(404);
  });

  it('needs both the update and the test permission (403 with one of them)', async () => {
    const hook = await createWebhook({
      url: rx.url('/backfill/rbac'),
      condition: 'doc.customer == "Backfill 0"',
    });
    const stamp = Date.now();
    const full = (a: string) => `plugin::document-webhooks.${a}`;
    const updateOnly = await app.createAdmin(`backfill-update-${stamp}@test.local`, [
      full('read'),
      full('update'),
    ]);
    const testOnly = await app.createAdmin(`backfill-test-${stamp}@test.local`, [
      full('read'),
      full('test'),
    ]);
    const both = await app.createAdmin(`backfill-both-${stamp}@test.local`, [
      full('update'),
      full('test'),
    ]);
    for (const token of [updateOnly, testOnly]) {
      expect((await app.api('POST', `${P}/webhooks/${hook.id}/backfill`, {}, token)).status).toBe(
        403
      );
      expect(
        (await app.api('DELETE', `${P}/webhooks/${hook.id}/backfill`, undefined, token)).status
      ).toBe(403);
    }
    expect(
      (await app.api('GET', `${P}/webhooks/${hook.id}/backfill`, undefined, updateOnly)).body.data
        .job
    ).toBeNull();
    const ok = await app.api('POST', `${P}/webhooks/${hook.id}/backfill`, {}, both);
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    await rx.waitFor((reqs) => at('/backfill/rbac')(reqs).length === 1);
    await finished(hook.id);
  });
});
