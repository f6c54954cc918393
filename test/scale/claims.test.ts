import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, testDb, type TestApp } from '../helpers/strapi';

/**
 * Queue indexes and leases on the database of this run (TEST_DB=sqlite|postgres|mariadb):
 * the schema's indexes exist, concurrent claims are disjoint, an expired lease (a dead
 * instance's) is taken over, and a live one is not.
 */
const LOG_UID = 'plugin::document-webhooks.log';
const OUTBOX_UID = 'plugin::document-webhooks.outbox-event';

let app: TestApp;

beforeAll(async () => {
  // No worker: the test drives the claims itself.
  app = await bootStrapi({ config: { worker: false } });
});

afterAll(async () => {
  await app?.stop();
});

const logs = () => app.strapi.db.query(LOG_UID);

let batchNo = 0;
async function insertDeliveries(
  n: number,
  opts: {
    webhookId?: number;
    sameDocument?: boolean;
    leaseUntil?: Date | null;
    leaseOwner?: string | null;
  } = {}
) {
  // Distinct document ids per call: two calls within one millisecond shared them, and a live
  // lease then (rightly) held back the other call's row of the same (webhook, document).
  const now = Date.now();
  const batch = ++batchNo;
  const rows = Array.from({ length: n }, (_, i) => ({
    webhook_id: opts.webhookId ?? 1 + (i % 5),
    webhook_name: 'w',
    event: 'entry.create',
    content_type: 'api::article.article',
    target_document_id: opts.sameDocument ? 'same-doc' : `doc-${now}-${batch}-${i}`,
    status: 'pending',
    message_id: `msg_${now}_${batch}_${i}`,
    attempts: 0,
    next_attempt_at: new Date(now - 1000),
    lease_owner: opts.leaseOwner ?? null,
    lease_until: opts.leaseUntil ?? null,
    created_at: new Date(now),
    updated_at: new Date(now),
  }));
  const knex = app.strapi.db.connection;
  for (let i = 0; i < rows.length; i += 200)
    await knex('document_webhooks_logs').insert(rows.slice(i, i + 200));
}

describe(`queue on ${testDb()}`, () => {
  it('creates the queue and log indexes', async () => {
    const inspector = app.strapi.db.dialect.schemaInspector;
    const logIdx = await inspector.getIndexes('document_webhooks_logs');
    const outboxIdx = await inspector.getIndexes('document_webhooks_outbox');
    const cols = (list: any[], name: string) => list.find((i) => i.name === name)?.columns;
    expect(cols(logIdx, 'dw_logs_status_next_attempt_idx')).toEqual(['status', 'next_attempt_at']);
    expect(cols(logIdx, 'dw_logs_webhook_stats_idx')).toEqual([
      'webhook_id',
      'created_at',
      'status',
      'event',
      'duration_ms',
    ]);
    expect(cols(logIdx, 'dw_logs_target_document_idx')).toEqual(['target_document_id']);
    expect(cols(logIdx, 'dw_logs_created_idx')).toEqual(['created_at']);
    expect(cols(logIdx, 'dw_logs_status_created_idx')).toEqual(['status', 'created_at']);
    expect(cols(outboxIdx, 'dw_outbox_lease_until_idx')).toEqual(['lease_until']);
  });

  it('uses SKIP LOCKED where the server supports it', async () => {
    const { createClaimer } = await loadClaim();
    const mode = await createClaimer(app.strapi).lockingMode();
    expect(mode).toBe(testDb() === 'sqlite' ? 'conditional-update' : 'skip-locked');
  });

  it('hands disjoint deliveries to concurrent claimers, one per (webhook, document)', async () => {
    await app.strapi.db.connection('document_webhooks_logs').del();
    await insertDeliveries(300);
    await insertDeliveries(10, { webhookId: 9, sameDocument: true });
    const { createClaimer } = await loadClaim();
    const claimers = Array.from({ length: 6 }, () => createClaimer(app.strapi));
    const leased = new Map<number, string>();
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(
        claimers.map(async (c: any, i: number) => {
          const token = `t${round}-${i}`;
          const ids: number[] = await c.claimDeliveries(token, 25, 60_000, {
            busy: new Set(),
            perWebhookConcurrency: 1000,
          });
          const rows = ids.length
            ? await logs().findMany({
                where: { id: { $in: ids }, leaseOwner: token },
                select: ['id'],
              })
            : [];
          return rows.map((r: any) => [r.id, token] as const);
        })
      );
      for (const list of results) {
        for (const [id, token] of list) {
          expect(leased.has(id), `row ${id} leased twice`).toBe(false);
          leased.set(id, token);
        }
      }
    }
    // Everything of distinct documents leased; of the ten rows on one document, only one at a time.
    const sameDoc = await logs().findMany({
      where: { targetDocumentId: 'same-doc', leaseOwner: { $notNull: true } },
    });
    expect(sameDoc).toHaveLength(1);
    expect(leased.size).toBe(301);
  });

  it('takes over expired leases and leaves live ones', async () => {
    await app.strapi.db.connection('document_webhooks_logs').del();
    await insertDeliveries(5, {
      leaseOwner: 'dead-instance',
      leaseUntil: new Date(Date.now() - 1000),
    });
    await insertDeliveries(5, {
      leaseOwner: 'live-instance',
      leaseUntil: new Date(Date.now() + 60_000),
    });
    const { createClaimer } = await loadClaim();
    const ids: number[] = await createClaimer(app.strapi).claimDeliveries('me', 100, 60_000, {
      busy: new Set(),
      perWebhookConcurrency: 100,
    });
    const mine = await logs().findMany({ where: { id: { $in: ids }, leaseOwner: 'me' } });
    expect(mine).toHaveLength(5);
    expect(await logs().count({ where: { leaseOwner: 'live-instance' } })).toBe(5);
  });

  it('leases outbox records to one claimer at a time, and takes over expired ones', async () => {
    const knex = app.strapi.db.connection;
    await knex('document_webhooks_outbox').del();
    const now = Date.now();
    const base = {
      event: 'entry.create',
      content_type: 'api::article.article',
      created_at: new Date(now),
      updated_at: new Date(now),
    };
    await knex('document_webhooks_outbox').insert(
      Array.from({ length: 100 }, (_, i) => ({ ...base, target_document_id: `d${i}` }))
    );
    await knex('document_webhooks_outbox').insert({
      ...base,
      target_document_id: 'expired',
      lease_owner: 'dead',
      lease_until: new Date(now - 1),
    });
    await knex('document_webhooks_outbox').insert({
      ...base,
      target_document_id: 'live',
      lease_owner: 'live',
      lease_until: new Date(now + 60_000),
    });
    const { createClaimer } = await loadClaim();
    const seen = new Set<number>();
    // Bounded: SQLite's conditional update lets one of the three win each round.
    for (let round = 0; round < 60 && seen.size < 101; round++) {
      const lists = await Promise.all(
        [0, 1, 2].map(async (i) => {
          const token = `o${round}-${i}`;
          const ids: number[] = await createClaimer(app.strapi).claimOutbox(token, 10, 60_000);
          const rows = ids.length
            ? await app.strapi.db
                .query(OUTBOX_UID)
                .findMany({ where: { id: { $in: ids }, leaseOwner: token }, select: ['id'] })
            : [];
          return rows.map((r: any) => r.id);
        })
      );
      for (const id of lists.flat()) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    expect(seen.size).toBe(101);
    expect(await app.strapi.db.query(OUTBOX_UID).count({ where: { leaseOwner: 'live' } })).toBe(1);
  });

  it("skips a document's later outbox record while an older one of the same document is leased elsewhere", async () => {
    const knex = app.strapi.db.connection;
    await knex('document_webhooks_outbox').del();
    const now = Date.now();
    const base = { event: 'entry.update', created_at: new Date(now), updated_at: new Date(now) };
    const [older] = await knex('document_webhooks_outbox')
      .insert({
        ...base,
        content_type: 'api::article.article',
        target_document_id: 'ordered',
        lease_owner: 'other',
        lease_until: new Date(now + 60_000),
      })
      .returning('id');
    await knex('document_webhooks_outbox').insert([
      { ...base, content_type: 'api::article.article', target_document_id: 'ordered' }, // later change of the leased document
      { ...base, content_type: 'api::other.other', target_document_id: 'ordered' }, // same id, another content type
      { ...base, content_type: 'api::article.article', target_document_id: 'free' },
    ]);
    const { createClaimer } = await loadClaim();
    const claim = async (token: string) => {
      const ids: number[] = await createClaimer(app.strapi).claimOutbox(token, 10, 60_000);
      const rows = ids.length
        ? await app.strapi.db
            .query(OUTBOX_UID)
            .findMany({ where: { id: { $in: ids }, leaseOwner: token } })
        : [];
      return rows.map((r: any) => `${r.contentType}/${r.targetDocumentId}`).sort();
    };
    expect(await claim('me')).toEqual(['api::article.article/free', 'api::other.other/ordered']);
    // Once the older record is gone (fanned out by its instance), the later one is claimable.
    await knex('document_webhooks_outbox')
      .where('id', typeof older === 'object' ? older.id : older)
      .del();
    expect(await claim('me-again')).toEqual(['api::article.article/ordered']);
  });
});

// claim.ts is bundled into dist/server/index.js; the test loads its TypeScript source.
async function loadClaim(): Promise<{ createClaimer: (strapi: any) => any }> {
  return import('../../server/src/outbox/claim');
}
