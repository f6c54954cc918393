import type { Core } from '@strapi/strapi';
import { LOG_UID } from '../plugin';

export interface WebhookStats {
  lastStatus: string | null;
  lastAt: string | null;
  total24h: number;
  delivered24h: number;
  /** Delivered / finished (delivered + failed + exhausted) over the last 24 h; null when none. */
  successRate24h: number | null;
}

/** Per-webhook health for the list page: last delivery and the 24 h success rate. */
export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async all(): Promise<Record<number, WebhookStats>> {
    const since = new Date(Date.now() - 86400_000);
    const knex = strapi.db.connection;
    const table = strapi.db.metadata.get(LOG_UID as any).tableName;
    const col = (name: string) => (strapi.db.metadata.get(LOG_UID as any).attributes as any)[name].columnName ?? name;
    const webhookId = col('webhookId');
    const status = col('status');
    const createdAt = col('createdAt');
    const counts = await knex(table)
      .select(webhookId)
      .select(knex.raw(`count(*) as total`))
      .select(knex.raw(`sum(case when ${status} = 'delivered' then 1 else 0 end) as delivered`))
      .select(knex.raw(`sum(case when ${status} in ('delivered','failed','exhausted') then 1 else 0 end) as finished`))
      .where(createdAt, '>=', since)
      .whereNot(col('event'), 'test')
      .groupBy(webhookId);
    const lastIds = await knex(table).select(knex.raw(`max(id) as id`)).whereNot(col('event'), 'test').groupBy(webhookId);
    const last = lastIds.length
      ? await knex(table).select('id', webhookId, status, col('updatedAt')).whereIn('id', lastIds.map((r: any) => r.id))
      : [];
    const out: Record<number, WebhookStats> = {};
    const entry = (id: number) => (out[id] ??= { lastStatus: null, lastAt: null, total24h: 0, delivered24h: 0, successRate24h: null });
    for (const r of counts as any[]) {
      const e = entry(Number(r[webhookId]));
      e.total24h = Number(r.total);
      e.delivered24h = Number(r.delivered);
      e.successRate24h = Number(r.finished) > 0 ? Number(r.delivered) / Number(r.finished) : null;
    }
    for (const r of last as any[]) {
      const e = entry(Number(r[webhookId]));
      e.lastStatus = r[status];
      const at = r[col('updatedAt')];
      e.lastAt = at == null ? null : new Date(typeof at === 'string' && /^\d+$/.test(at) ? Number(at) : at).toISOString();
    }
    return out;
  },
});
