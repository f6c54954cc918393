import type { Core } from '@strapi/strapi';
import { OUTBOX_UID } from '../plugin';
import type { WebhookEvent } from '../definitions/events';
import { createClaimer } from './claim';

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
  return {
    async enqueue(records: OutboxRecord[]) {
      if (!records.length) return;
      // One multi-row INSERT (joins the write's transaction); `create` would read each row back.
      await q().createMany({
        data: records.map((r) => ({
          event: r.event,
          contentType: r.uid,
          targetDocumentId: r.documentId,
          targetLocale: r.locale,
          webhookIds: r.webhookIds,
          doc: r.doc,
          previous: r.previous,
          user: r.user,
          occurredAt: r.occurredAt,
        })),
      });
    },

    /**
     * Lease up to `limit` records to `token` (claim.ts: SKIP LOCKED on PostgreSQL/MySQL, a
     * conditional update on SQLite), so two instances never both win.
     */
    async claim(token: string, limit: number, leaseMs: number): Promise<ClaimedEvent[]> {
      const ids = await claimer.claimOutbox(token, limit, leaseMs);
      if (!ids.length) return [];
      const rows = await q().findMany({ where: { id: { $in: ids }, leaseOwner: token }, orderBy: { id: 'asc' } });
      return rows.map((r: any) => ({
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

    /** Delete a fanned-out record if we still hold its lease; false = another instance took it over. */
    async complete(id: number, token: string): Promise<boolean> {
      const res = await q().deleteMany({ where: { id, leaseOwner: token } });
      return (res?.count ?? 0) > 0;
    },

    async count(): Promise<number> {
      return q().count({});
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
