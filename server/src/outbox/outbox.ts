import type { Core } from '@strapi/strapi';
import { OUTBOX_UID } from '../plugin';
import type { WebhookEvent } from '../definitions/events';
import { createClaimer } from './claim';
import { affected, dbOf, queueDb, tableFor, type Db } from './rows';

/** One captured document change, waiting to be fanned out to the webhooks listed. */
export interface OutboxRecord {
  event: WebhookEvent;
  uid: string;
  documentId: string;
  locale: string | null;
  webhookIds: number[];
  doc: Record<string, unknown> | null;
  previous: Record<string, unknown> | null;
  user: { id: number | string; email: string | null } | null;
  occurredAt: string;
}

export interface ClaimedEvent extends OutboxRecord {
  id: number;
}

/**
 * The durable queue between capture and dispatch. Records are inserted in the document
 * write's transaction and leased by one instance at a time; a lease that expires (dead
 * instance) makes the record claimable again.
 */
export function createOutbox(strapi: Core.Strapi) {
  const q = () => strapi.db.query(OUTBOX_UID as any);
  const claimer = createClaimer(strapi);
  const t = () => tableFor(strapi, OUTBOX_UID);
  return {
    /** Insert in the write's knex transaction `trx` (plain knex: rows.ts says why). */
    async enqueue(records: OutboxRecord[], trx: any) {
      if (!records.length) return;
      const now = new Date();
      await t().insert(
        dbOf(trx, strapi),
        records.map((r) => ({
          event: r.event,
          contentType: r.uid,
          targetDocumentId: r.documentId,
          targetLocale: r.locale,
          webhookIds: r.webhookIds,
          doc: r.doc,
          previous: r.previous,
          user: r.user,
          occurredAt: r.occurredAt,
          createdAt: now,
          updatedAt: now,
        }))
      );
    },

    /**
     * Lease up to `limit` records to `token` (claim.ts: SKIP LOCKED on PostgreSQL/MySQL, a
     * conditional update on SQLite), so two instances never both win.
     */
    async claim(token: string, limit: number, leaseMs: number): Promise<ClaimedEvent[]> {
      const ids = await claimer.claimOutbox(token, limit, leaseMs);
      if (!ids.length) return [];
      const rows = await t().selectLeased(queueDb(strapi), ids, token);
      return rows.map((r) => ({
        id: r.id,
        event: r.event,
        uid: r.contentType,
        documentId: r.targetDocumentId,
        locale: r.targetLocale ?? null,
        webhookIds: r.webhookIds ?? [],
        doc: r.doc ?? null,
        previous: r.previous ?? null,
        user: r.user ?? null,
        occurredAt: r.occurredAt,
      }));
    },

    /**
     * Delete fanned-out records we still hold the lease of, in the queue transaction `db` that
     * also inserts their deliveries; resolves to the ids deleted (the others were taken over by
     * another instance). Two statements for the batch, not one per record.
     */
    async complete(ids: number[], token: string, db: Db): Promise<Set<number>> {
      const owner = t().col('leaseOwner');
      const mine = (
        await db.run(db(t().name).select('id').whereIn('id', ids).where(owner, token))
      ).map((r: any) => Number(r.id));
      if (!mine.length) return new Set();
      const n = affected(await db.run(db(t().name).whereIn('id', mine).where(owner, token).del()));
      // A lease taken over between the two statements: the caller's transaction must not commit.
      if (n !== mine.length)
        throw new Error(
          `outbox records changed hands during fan-out (${n} of ${mine.length} deleted)`
        );
      return new Set(mine);
    },

    /**
     * A record fanned out in part: keep only `webhookIds` (the parts not written yet) and
     * release it for a later batch, in the queue transaction `db` that inserts the written
     * parts' deliveries. Resolves to false when the lease was taken over meanwhile.
     */
    async keep(id: number, webhookIds: number[], token: string, db: Db): Promise<boolean> {
      const row = t().toRow({
        webhookIds,
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: new Date(),
      });
      return (
        affected(
          await db.run(db(t().name).where('id', id).where(t().col('leaseOwner'), token).update(row))
        ) > 0
      );
    },

    async count(): Promise<number> {
      return q().count({});
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
