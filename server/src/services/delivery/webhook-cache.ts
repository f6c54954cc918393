import type { Core } from '@strapi/strapi';
import type { WebhookRow } from '../../definitions/types';
import { WEBHOOK_UID } from '../../plugin';

/** How long a webhook row read for claims and fan-out is reused. */
const WEBHOOK_ROWS_TTL_MS = 1000;

/**
 * The webhooks with these ids, as of at most WEBHOOK_ROWS_TTL_MS ago: a claim round or
 * fan-out batch reads them in one query, and rounds that follow within the TTL reuse it
 * (measured: one query layer read per claim was ~15 % of a drain's CPU). Changes made on this
 * instance clear it at once (`forget`, on definitions changed); other instances' changes are
 * seen within the TTL. The rows are shared: nobody may mutate them (health keeps its own
 * state, health.ts).
 */
export function createWebhookCache(strapi: Core.Strapi) {
  const rows = new Map<number, { row: WebhookRow | null; at: number }>();
  return {
    async byId(ids: number[]): Promise<Map<number, WebhookRow>> {
      const now = Date.now();
      const unique = [...new Set(ids.filter((n) => Number.isInteger(n)))];
      const out = new Map<number, WebhookRow>();
      const missing: number[] = [];
      for (const id of unique) {
        const hit = rows.get(id);
        if (hit && now - hit.at < WEBHOOK_ROWS_TTL_MS) {
          if (hit.row) out.set(id, hit.row);
        } else missing.push(id);
      }
      if (missing.length) {
        const read = (await strapi.db
          .query(WEBHOOK_UID as any)
          .findMany({ where: { id: { $in: missing } } })) as WebhookRow[];
        const found = new Map(read.map((r) => [r.id, r]));
        // A deleted webhook is remembered as such too (row null).
        for (const id of missing) rows.set(id, { row: found.get(id) ?? null, at: now });
        for (const r of read) out.set(r.id, r);
        if (rows.size > 10_000) rows.clear();
      }
      return out;
    },
    forget() {
      rows.clear();
    },
  };
}

export type WebhookCache = ReturnType<typeof createWebhookCache>;
