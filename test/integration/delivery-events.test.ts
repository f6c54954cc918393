/**
 * Delivery engine, issue 3: every document event reaches the receiver exactly once per action
 * (Document Service, REST and Content Manager), with docs/events.md's `doc`/`previous` semantics,
 * without private attributes; the plugin's own content types and content types without
 * webhooks never reach the outbox; a rolled-back write delivers nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import {
  eventually,
  startReceiver,
  type Receiver,
  type ReceivedRequest,
} from '../helpers/receiver';

const Q = 'api::quotation.quotation';
const SECRET_NOTE = 'TOP-SECRET-internal-note-7f3a';

let app: TestApp;
let rx: Receiver;
let webhookId: number;

const payload = (r: ReceivedRequest) => JSON.parse(r.body);
const forDoc = (documentId: string) => (reqs: ReceivedRequest[]) =>
  reqs.filter((r) => r.url === '/events' && payload(r).documentId === documentId);
const eventsOf = (documentId: string) =>
  forDoc(documentId)(rx.requests).map((r) => payload(r).event);

/** Wait for the `n`-th delivery of `event` for a document and return its parsed payload. */
const waitEvent = (documentId: string, event: string, n = 1) =>
  rx.waitFor((reqs) => {
    const hits = forDoc(documentId)(reqs).filter((r) => payload(r).event === event);
    return hits.length >= n ? payload(hits[n - 1]) : undefined;
  });

/** Triggers a create on a fresh document and waits for it: every earlier delivery has had its chance. */
const barrier = async () => {
  const doc = await app.strapi.documents(Q).create({ data: { customer: 'Barrier' } });
  await waitEvent(doc.documentId, 'entry.create');
  return doc.documentId as string;
};

/**
 * Every row ever inserted into the outbox, recorded by a database trigger into a side table
 * (the worker deletes outbox rows within milliseconds, so counting them proves nothing). A
 * trigger's insert is part of the writing transaction: rolled back with it.
 */
async function installOutboxAudit() {
  const knex = app.strapi.db.connection;
  await knex.schema.createTable('dw_test_outbox_audit', (t: any) => {
    t.increments('seq');
    t.string('content_type');
    t.string('event');
  });
  const client = String(app.strapi.db.dialect.client);
  if (client === 'sqlite') {
    await knex.raw(`CREATE TRIGGER dw_test_outbox_audit_t AFTER INSERT ON document_webhooks_outbox
      BEGIN INSERT INTO dw_test_outbox_audit (content_type, event) VALUES (NEW.content_type, NEW.event); END`);
  } else if (client === 'postgres') {
    await knex.raw(`CREATE FUNCTION dw_test_outbox_audit_f() RETURNS trigger AS $$
      BEGIN INSERT INTO dw_test_outbox_audit (content_type, event) VALUES (NEW.content_type, NEW.event); RETURN NEW; END $$ LANGUAGE plpgsql`);
    await knex.raw(
      `CREATE TRIGGER dw_test_outbox_audit_t AFTER INSERT ON document_webhooks_outbox FOR EACH ROW EXECUTE FUNCTION dw_test_outbox_audit_f()`
    );
  } else {
    await knex.raw(`CREATE TRIGGER dw_test_outbox_audit_t AFTER INSERT ON document_webhooks_outbox FOR EACH ROW
      INSERT INTO dw_test_outbox_audit (content_type, event) VALUES (NEW.content_type, NEW.event)`);
  }
}

const outboxAudit = async (): Promise<{ contentType: string; event: string }[]> => {
  const rows = await app.strapi.db
    .connection('dw_test_outbox_audit')
    .select('content_type', 'event')
    .orderBy('seq');
  return rows.map((r: any) => ({ contentType: r.content_type, event: r.event }));
};

const logsOf = async (documentId: string) => {
  const res = await app.api('GET', `/document-webhooks/logs?webhook=${webhookId}&pageSize=100`);
  expect(res.status).toBe(200);
  return (res.body.data as any[]).filter((l) => l.documentId === documentId);
};

beforeAll(async () => {
  rx = await startReceiver();
  app = await bootStrapi();
  await installOutboxAudit();
  const res = await app.api('POST', '/document-webhooks/webhooks', {
    name: 'All quotation events',
    contentType: Q,
    events: [
      'entry.create',
      'entry.update',
      'entry.delete',
      'entry.publish',
      'entry.unpublish',
      'entry.draft-discard',
    ],
    url: rx.url('/events'),
  });
  expect(res.status).toBe(201);
  webhookId = res.body.data.id;
});

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('Document Service events', () => {
  it('delivers create, update, publish, unpublish, discardDraft and delete once each, with doc/previous', async () => {
    const docs = app.strapi.documents(Q);
    const created = await docs.create({
      data: {
        customer: 'ACME',
        title: 'Q-1',
        state: 'Draft',
        grandTotal: 10,
        items: [{ item: 'Bolt', qty: 2, rate: 5 }],
        internalNotes: SECRET_NOTE,
      },
    });
    const id: string = created.documentId;

    const c = await waitEvent(id, 'entry.create');
    expect(c).toMatchObject({
      event: 'entry.create',
      uid: Q,
      model: 'quotation',
      documentId: id,
      previous: null,
    });
    expect(c.entry).toMatchObject({
      documentId: id,
      customer: 'ACME',
      title: 'Q-1',
      state: 'Draft',
      publishedAt: null,
    });
    expect(c.entry.items).toEqual([expect.objectContaining({ item: 'Bolt', qty: 2, rate: 5 })]);

    await docs.update({ documentId: id, data: { state: 'Open', title: 'Q-1b' } });
    const u = await waitEvent(id, 'entry.update');
    expect(u.entry).toMatchObject({ state: 'Open', title: 'Q-1b', publishedAt: null });
    expect(u.previous).toMatchObject({ documentId: id, state: 'Draft', title: 'Q-1' });

    await docs.publish({ documentId: id });
    const p1 = await waitEvent(id, 'entry.publish');
    expect(p1.entry).toMatchObject({ documentId: id, state: 'Open', title: 'Q-1b' });
    expect(p1.entry.publishedAt).toEqual(expect.any(String));
    // First publication: there was no published version before.
    expect(p1.previous).toBeNull();

    await docs.update({ documentId: id, data: { state: 'Replied' } });
    await waitEvent(id, 'entry.update', 2);
    await docs.publish({ documentId: id });
    const p2 = await waitEvent(id, 'entry.publish', 2);
    expect(p2.entry).toMatchObject({ state: 'Replied' });
    expect(p2.previous).toMatchObject({ state: 'Open' });
    expect(p2.previous.publishedAt).toEqual(expect.any(String));

    await docs.unpublish({ documentId: id });
    const un = await waitEvent(id, 'entry.unpublish');
    // As Strapi says it (docs/events.md): the published version that was removed.
    expect(un.entry).toMatchObject({ documentId: id, state: 'Replied' });
    expect(un.entry.publishedAt).toEqual(expect.any(String));
    expect(un.previous).toBeNull();

    // Discard: publish again, change the draft, discard the change.
    await docs.publish({ documentId: id });
    await waitEvent(id, 'entry.publish', 3);
    await docs.update({ documentId: id, data: { state: 'Lost' } });
    await waitEvent(id, 'entry.update', 3);
    await docs.discardDraft({ documentId: id });
    const dd = await waitEvent(id, 'entry.draft-discard');
    // The draft after (a copy of the published version) and the draft that was discarded.
    expect(dd.entry).toMatchObject({ documentId: id, state: 'Replied', publishedAt: null });
    expect(dd.previous).toMatchObject({ documentId: id, state: 'Lost', publishedAt: null });

    await docs.delete({ documentId: id });
    const d = await waitEvent(id, 'entry.delete');
    // One event for the document (two rows): the published version, as receivers indexed it.
    expect(d.entry).toMatchObject({ documentId: id, state: 'Replied' });
    expect(d.entry.publishedAt).toEqual(expect.any(String));
    expect(d.previous).toBeNull();

    await barrier();
    // Exactly one delivery per action, in order (the delete removed two rows: still one delivery).
    expect(eventsOf(id)).toEqual([
      'entry.create',
      'entry.update',
      'entry.publish',
      'entry.update',
      'entry.publish',
      'entry.unpublish',
      'entry.publish',
      'entry.update',
      'entry.draft-discard',
      'entry.delete',
    ]);
    // Private attributes never leave: not in what was received, not in the request log.
    for (const r of forDoc(id)(rx.requests)) {
      expect(r.body).not.toContain(SECRET_NOTE);
      expect(r.body).not.toContain('internalNotes');
    }
    const logs = await logsOf(id);
    expect(logs).toHaveLength(10);
    for (const l of logs) {
      expect(l.status).toBe('delivered');
      expect(JSON.stringify(l)).not.toContain(SECRET_NOTE);
      // No HTTP request around a Document Service call: no acting user.
      expect(l.user).toBeNull();
    }
  });

  it('create and update with status "published" also yield entry.publish', async () => {
    const docs = app.strapi.documents(Q);
    const created = await docs.create({
      data: { customer: 'Pub', state: 'Open' },
      status: 'published',
    });
    const id: string = created.documentId;
    const c = await waitEvent(id, 'entry.create');
    expect(c.entry).toMatchObject({ state: 'Open', publishedAt: null });
    const p = await waitEvent(id, 'entry.publish');
    expect(p.entry).toMatchObject({ state: 'Open' });
    expect(p.entry.publishedAt).toEqual(expect.any(String));
    expect(p.previous).toBeNull();

    await docs.update({ documentId: id, data: { state: 'Ordered' }, status: 'published' });
    const u = await waitEvent(id, 'entry.update');
    expect(u.previous).toMatchObject({ state: 'Open' });
    expect(u.entry).toMatchObject({ state: 'Ordered' });
    const p2 = await waitEvent(id, 'entry.publish', 2);
    expect(p2.entry).toMatchObject({ state: 'Ordered' });
    expect(p2.previous).toMatchObject({ state: 'Open' });

    await barrier();
    expect(eventsOf(id)).toEqual([
      'entry.create',
      'entry.publish',
      'entry.update',
      'entry.publish',
    ]);
  });
  it('clone (the Content Manager\'s "Duplicate") is an entry.create of the new document', async () => {
    const docs = app.strapi.documents(Q);
    const source = await docs.create({
      data: { customer: 'Source Co', state: 'Open', items: [{ item: 'Gear', qty: 1, rate: 9 }] },
    });
    await waitEvent(source.documentId, 'entry.create');
    const cloned = await docs.clone({ documentId: source.documentId, data: { title: 'Copy' } });
    const cloneId: string = cloned.documentId;
    expect(cloneId).not.toBe(source.documentId);
    const c = await waitEvent(cloneId, 'entry.create');
    expect(c.entry).toMatchObject({
      documentId: cloneId,
      customer: 'Source Co',
      title: 'Copy',
      state: 'Open',
    });
    expect(c.previous).toBeNull();

    // Over HTTP, as the Content Manager does it.
    const res = await app.api(
      'POST',
      `/content-manager/collection-types/${Q}/clone/${source.documentId}`,
      { customer: 'Source Co', title: 'CM copy' }
    );
    expect(res.status).toBe(200);
    const cmCloneId: string = res.body.data.documentId;
    const cm = await waitEvent(cmCloneId, 'entry.create');
    expect(cm.entry).toMatchObject({ title: 'CM copy' });

    await barrier();
    expect(eventsOf(source.documentId)).toEqual(['entry.create']);
    expect(eventsOf(cloneId)).toEqual(['entry.create']);
    expect(eventsOf(cmCloneId)).toEqual(['entry.create']);
  });
});

describe('REST and Content Manager', () => {
  it('POST/PUT/DELETE /api/quotations with an API token deliver create+publish, update+publish, delete', async () => {
    const token = await app.strapi
      .service('admin::api-token')
      .create({ name: `rest-${Date.now()}`, type: 'full-access', lifespan: null });
    const rest = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${app.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token.accessKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const created = await rest('POST', '/api/quotations', {
      data: { customer: 'REST Co', state: 'Open', internalNotes: SECRET_NOTE },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.data.documentId;
    // The REST API publishes by default: create, then publish.
    const c = await waitEvent(id, 'entry.create');
    expect(c.entry).toMatchObject({ customer: 'REST Co', state: 'Open' });
    await waitEvent(id, 'entry.publish');

    const updated = await rest('PUT', `/api/quotations/${id}`, { data: { state: 'Ordered' } });
    expect(updated.status).toBe(200);
    const u = await waitEvent(id, 'entry.update');
    expect(u.previous).toMatchObject({ state: 'Open' });
    expect(u.entry).toMatchObject({ state: 'Ordered' });
    await waitEvent(id, 'entry.publish', 2);

    const deleted = await rest('DELETE', `/api/quotations/${id}`);
    expect(deleted.status).toBe(204);
    const d = await waitEvent(id, 'entry.delete');
    expect(d.entry).toMatchObject({ documentId: id, state: 'Ordered' });
    expect(d.entry.publishedAt).toEqual(expect.any(String));

    await barrier();
    expect(eventsOf(id)).toEqual([
      'entry.create',
      'entry.publish',
      'entry.update',
      'entry.publish',
      'entry.delete',
    ]);
    for (const r of forDoc(id)(rx.requests)) expect(r.body).not.toContain(SECRET_NOTE);
    // An API token is not a user: `user` stays null rather than borrowing the token's id.
    for (const l of await logsOf(id)) expect(l.user).toBeNull();
  });

  it('Content Manager update and publish over HTTP carry the admin user', async () => {
    const me = await app.api('GET', '/admin/users/me');
    expect(me.status).toBe(200);
    const admin = { id: me.body.data.id, email: me.body.data.email };

    const doc = await app.strapi
      .documents(Q)
      .create({ data: { customer: 'CM Co', state: 'Draft' } });
    const id: string = doc.documentId;
    await waitEvent(id, 'entry.create');

    const base = `/content-manager/collection-types/${Q}/${id}`;
    const put = await app.api('PUT', base, { customer: 'CM Co', state: 'Open' });
    expect(put.status).toBe(200);
    const u = await waitEvent(id, 'entry.update');
    expect(u.previous).toMatchObject({ state: 'Draft' });
    expect(u.entry).toMatchObject({ state: 'Open' });

    const pub = await app.api('POST', `${base}/actions/publish`, {
      customer: 'CM Co',
      state: 'Open',
    });
    expect(pub.status).toBe(200);
    const p = await waitEvent(id, 'entry.publish');
    expect(p.entry).toMatchObject({ state: 'Open' });
    expect(p.entry.publishedAt).toEqual(expect.any(String));

    await barrier();
    // The Content Manager's publish saves the form first (an update, as Strapi's own events say), then publishes.
    expect(eventsOf(id)).toEqual(['entry.create', 'entry.update', 'entry.update', 'entry.publish']);
    const logs = await eventually(async () => {
      const l = await logsOf(id);
      return l.length === 4 && l.every((x) => x.status === 'delivered') ? l : null;
    });
    const byEvent = (ev: string) => logs.filter((l) => l.event === ev);
    for (const l of [...byEvent('entry.update'), ...byEvent('entry.publish')])
      expect(l.user).toEqual(admin);
    expect(byEvent('entry.create')[0].user).toBeNull();
  });
});

describe('what never reaches the outbox', () => {
  it('a rolled-back transaction writes no outbox row, no log row and delivers nothing', async () => {
    const before = (await outboxAudit()).length;
    let rolledBackId: string | undefined;
    await expect(
      app.strapi.db.transaction(async () => {
        const d = await app.strapi.documents(Q).create({ data: { customer: 'Rollback Ltd' } });
        rolledBackId = d.documentId;
        throw new Error('rollback');
      })
    ).rejects.toThrow('rollback');
    expect(rolledBackId).toEqual(expect.any(String));
    expect(await app.strapi.db.query(Q).count({ where: { documentId: rolledBackId } })).toBe(0);

    const barrierId = await barrier();
    // The trigger's own insert was rolled back with the write; only the barrier's create remains.
    const audit = (await outboxAudit()).slice(before);
    expect(audit).toEqual([{ contentType: Q, event: 'entry.create' }]);
    expect(forDoc(rolledBackId!)(rx.requests)).toEqual([]);
    expect(rx.requests.some((r) => r.body.includes('Rollback Ltd'))).toBe(false);
    expect(await logsOf(rolledBackId!)).toEqual([]);
    expect(await logsOf(barrierId)).toHaveLength(1);
  });

  it("content types without a webhook and the plugin's own content types write no outbox row", async () => {
    // A definition aimed at the plugin's log type cannot be created through the API...
    const refused = await app.api('POST', '/document-webhooks/webhooks', {
      name: 'Self',
      contentType: 'plugin::document-webhooks.log',
      events: ['entry.create'],
      url: rx.url('/self'),
    });
    expect(refused.status).toBe(400);
    // ...and even one planted in the database (index refreshed) is ignored by capture.
    await app.strapi.db.query('plugin::document-webhooks.webhook').create({
      data: {
        name: 'Planted',
        enabled: true,
        contentType: 'plugin::document-webhooks.log',
        events: ['entry.create', 'entry.update'],
        url: rx.url('/self'),
        dynamicUrl: false,
        method: 'POST',
        bodyType: 'default',
        formFields: [],
        headers: [],
        timeoutMs: 5000,
        maxAttempts: 1,
      },
    });
    await app.strapi.plugin('document-webhooks').service('engine').definitionsChanged();
    expect(
      app.strapi
        .plugin('document-webhooks')
        .service('engine')
        .webhooksFor('plugin::document-webhooks.log', 'entry.create')
    ).not.toEqual([]);

    const before = (await outboxAudit()).length;
    const log = await app.strapi
      .documents('plugin::document-webhooks.log')
      .create({ data: { event: 'manual', status: 'delivered' } });
    await app.strapi
      .documents('plugin::document-webhooks.log')
      .update({ documentId: log.documentId, data: { status: 'exhausted' } });
    // article has no webhook at all.
    const article = await app.strapi
      .documents('api::article.article')
      .create({ data: { title: 'No hooks here' } });
    await app.strapi.documents('api::article.article').publish({ documentId: article.documentId });

    await barrier();
    expect((await outboxAudit()).slice(before)).toEqual([
      { contentType: Q, event: 'entry.create' },
    ]);
    expect(rx.requests.some((r) => r.url === '/self')).toBe(false);
    expect(rx.requests.some((r) => r.body.includes('No hooks here'))).toBe(false);
  });
});
