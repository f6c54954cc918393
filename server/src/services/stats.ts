import type { Core } from '@strapi/strapi';
import { LOG_UID, WEBHOOK_UID } from '../plugin';
import type { WebhookStats } from '../contracts/webhooks';

/**
 * Per-webhook health for the list page: last delivery, the 24 h success rate and the backlog
 * (a slow receiver's shows here: docs/scaling.md, "Isolation"). A few
 * indexed counts per webhook through the query engine, so every database dialect agrees.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async all(): Promise<Record<number, WebhookStats>> {
    const q = strapi.db.query(LOG_UID as any);
    const since = new Date(Date.now() - 86400_000);
    const ids = ((await strapi.db.query(WEBHOOK_UID as any).findMany({ select: ['id'] })) as any[]).map((r) => r.id);
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
});
