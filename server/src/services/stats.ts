import type { Core } from '@strapi/strapi';
import { LOG_UID, WEBHOOK_UID } from '../plugin';
import type { WebhookStats } from '../contracts/webhooks';
import { STATS_RANGES, type WebhookSeries } from '../contracts/stats';
import { binCase, bucketStarts, isRange, latencyBinSql, toBuckets } from '../stats/series';
import { tableFor } from '../outbox/rows';
import { NotFoundError, WebhookValidationError } from '../errors';
import { toId } from '../ids';

const FINISHED = ['delivered', 'failed', 'exhausted'];

/**
 * Per-webhook health for the list page: last delivery, the 24 h success rate and the backlog
 * (a slow receiver's shows here: docs/scaling.md, "Isolation"). A few
 * indexed counts per webhook through the query engine, so every database dialect agrees.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async all(): Promise<Record<number, WebhookStats>> {
    const q = strapi.db.query(LOG_UID as any);
    const since = new Date(Date.now() - 86400_000);
    const ids = (
      (await strapi.db.query(WEBHOOK_UID as any).findMany({ select: ['id'] })) as any[]
    ).map((r) => r.id);
    const out: Record<number, WebhookStats> = {};
    await Promise.all(
      ids.map(async (webhookId: number) => {
        const base = { webhookId, event: { $ne: 'test' } };
        const recent = { ...base, createdAt: { $gte: since } };
        const [last, total, delivered, finished, queued] = await Promise.all([
          q.findOne({ where: base, orderBy: { id: 'desc' }, select: ['status', 'updatedAt'] }),
          q.count({ where: recent }),
          q.count({ where: { ...recent, status: 'delivered' } }),
          q.count({ where: { ...recent, status: { $in: ['delivered', 'failed', 'exhausted'] } } }),
          q.count({ where: { webhookId, status: { $in: ['pending', 'failed'] } } }),
        ]);
        out[webhookId] = {
          lastStatus: (last as any)?.status ?? null,
          lastAt: (last as any)?.updatedAt ? new Date((last as any).updatedAt).toISOString() : null,
          total24h: total,
          delivered24h: delivered,
          successRate24h: finished > 0 ? delivered / finished : null,
          queued,
        };
      })
    );
    return out;
  },

  /**
   * Deliveries of one webhook per bucket of `range` (docs/api.md, "Delivery statistics"): one
   * query, grouped by bucket, status and latency bin, so at most buckets × 3 × ~110 rows come
   * back whatever the number of deliveries. The `dw_logs_webhook_stats_idx` index (webhook,
   * createdAt, status, event, durationMs) covers it: SQLite never reads the table, PostgreSQL
   * scans the index only where VACUUM has marked the pages all-visible. Per row the bin is
   * arithmetic and the bucket a 5-deep `CASE` over the bucket starts: a ~110-bin `CASE` per row
   * cost PostgreSQL most of its 30d time (docs/benchmarks.md, "Delivery statistics"). Plain
   * knex: that is SQL the query engine cannot express; dates are bound as the plugin's other
   * knex statements bind them (outbox/rows.ts), so the bucket bounds compare as stored.
   */
  async series(
    id: unknown,
    query: Record<string, unknown>,
    now = Date.now()
  ): Promise<WebhookSeries> {
    const unknown = Object.keys(query).find((k) => k !== 'range');
    if (unknown)
      throw new WebhookValidationError([
        { path: [unknown], message: `${unknown} is not a known query parameter (range)` },
      ]);
    const range = query.range ?? '24h';
    if (!isRange(range))
      throw new WebhookValidationError([
        { path: ['range'], message: `range must be one of: ${STATS_RANGES.join(', ')}` },
      ]);
    const webhookId = toId(id);
    const exists = webhookId
      ? await strapi.db
          .query(WEBHOOK_UID as any)
          .findOne({ where: { id: webhookId }, select: ['id'] })
      : null;
    if (!exists) throw new NotFoundError(`webhook ${String(id)} not found`);

    const t = tableFor(strapi, LOG_UID);
    const knex = (strapi.db as any).connection;
    const { starts, end } = bucketStarts(range, now);
    const created = knex.ref(t.col('createdAt')).toQuery();
    const duration = knex.ref(t.col('durationMs')).toQuery();
    const bucket = binCase(
      created,
      starts.map((s) => new Date(s)),
      (v, b) => (b.push(v), '?')
    );
    const rows = await knex(t.name)
      .select(
        knex.raw(`${bucket.sql} AS bucket`, bucket.bindings),
        knex.raw('?? AS status', [t.col('status')]),
        knex.raw(`${latencyBinSql(duration)} AS bin`),
        knex.raw('COUNT(*) AS n')
      )
      .where(t.col('webhookId'), webhookId)
      .where(t.col('createdAt'), '>=', new Date(starts[0]))
      .where(t.col('createdAt'), '<', new Date(end))
      .whereIn(t.col('status'), FINISHED)
      .whereNot(t.col('event'), 'test')
      .groupByRaw('1, 2, 3');
    return {
      range,
      buckets: toBuckets(
        starts,
        rows.map((r: any) => ({
          bucket: Number(r.bucket),
          status: r.status,
          bin: Number(r.bin),
          count: Number(r.n),
        }))
      ),
    };
  },
});
