import type { Core } from '@strapi/strapi';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { TemplateRenderer } from '../render/renderer';
import { createGuardedAgents, type SsrfPolicy } from '../send/ssrf';
import { createOutbox, type Outbox } from '../outbox/outbox';
import { createClaimer } from '../outbox/claim';
import { DeliveryWorker } from '../dispatch/worker';
import type { WebhookEvent } from '../definitions/events';
import { getPluginConfig, LOG_UID, PLUGIN_ID, WEBHOOK_UID } from '../plugin';
import type { DeliveryRow } from './delivery';
import type { WebhookRow } from '../definitions/types';

/**
 * The plugin's long-lived parts: the in-memory index capture consults, the template
 * sandbox, the guarded HTTP agents, and the dispatch worker with its leases.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let claims = 0;
  const token = () => `${instanceId}:${++claims}`;
  const cfg = () => getPluginConfig(strapi);
  const logs = () => strapi.db.query(LOG_UID as any);
  const delivery = () => strapi.plugin(PLUGIN_ID).service('delivery');

  let index = new Map<string, Map<string, number[]>>();
  let renderer: TemplateRenderer | null = null;
  let agents: ReturnType<typeof createGuardedAgents> | null = null;
  let outbox: Outbox | null = null;
  let worker: DeliveryWorker<DeliveryRow> | null = null;
  let refreshTimer: NodeJS.Timeout | null = null;

  const ssrfPolicy = (): SsrfPolicy => ({ allowPrivateAddresses: cfg().allowPrivateAddresses, allowedHosts: cfg().allowedHosts });

  async function refreshIndex() {
    const rows = await strapi.db.query(WEBHOOK_UID as any).findMany({ where: { enabled: true }, select: ['id', 'contentType', 'events'] });
    const next = new Map<string, Map<string, number[]>>();
    for (const r of rows as any[]) {
      const byEvent = next.get(r.contentType) ?? new Map<string, number[]>();
      for (const ev of r.events ?? []) byEvent.set(ev, [...(byEvent.get(ev) ?? []), r.id]);
      next.set(r.contentType, byEvent);
    }
    index = next;
  }

  const claimer = createClaimer(strapi);
  const DUE = ['pending', 'failed'];

  /**
   * Lease due deliveries: at most one per (webhook, document) at a time, oldest first, so a
   * document's deliveries to one webhook keep their order; webhooks at their concurrency
   * cap are skipped so a slow receiver does not hold back the others.
   */
  async function claimDeliveries(limit: number, busy: Set<number>): Promise<DeliveryRow[]> {
    const owner = token();
    const ids = await claimer.claimDeliveries(owner, limit, cfg().leaseMs, { busy, perWebhookConcurrency: cfg().perWebhookConcurrency });
    if (!ids.length) return [];
    const rows = (await logs().findMany({ where: { id: { $in: ids }, leaseOwner: owner }, orderBy: { id: 'asc' } })) as DeliveryRow[];
    // The webhooks of the round in one query (read now, just before the sends start), rather
    // than one query per delivery.
    const hookIds = [...new Set(rows.map((r) => r.webhookId))];
    const hooks = hookIds.length ? ((await strapi.db.query(WEBHOOK_UID as any).findMany({ where: { id: { $in: hookIds } } })) as WebhookRow[]) : [];
    const byId = new Map(hooks.map((h) => [h.id, h]));
    for (const r of rows) r.webhook = byId.get(r.webhookId) ?? null;
    return rows;
  }

  async function fanOutBatch(): Promise<number> {
    const owner = token();
    const events = await outbox!.claim(owner, 50, cfg().leaseMs);
    // Plan each record outside any transaction (conditions, rendering), then write the whole
    // batch in one (delivery.commitFanOuts). One record that cannot be planned must not hold
    // back the rest of the batch (they are leased: a throw here would park them until the
    // lease expires). The failing one keeps its lease and is tried again when it runs out.
    const plans = [];
    for (const ev of events) {
      try {
        plans.push(await delivery().fanOut(ev, owner));
      } catch (err) {
        strapi.log.error(`[document-webhooks] fan-out of outbox record ${ev.id} (${ev.event} ${ev.uid} ${ev.documentId}) failed: ${(err as Error)?.message ?? err}`);
      }
    }
    return (await delivery().commitFanOuts(plans, owner)).length;
  }

  // One index-only MIN per status (claim.ts): ORDER BY over `status IN (…)` sorted the whole queue.
  const nextDueAt = (): Promise<number | null> => claimer.nextDueAt();

  return {
    instanceId,

    async start() {
      const config = cfg();
      renderer = new TemplateRenderer();
      agents = createGuardedAgents(ssrfPolicy(), { keepAlive: true, maxSockets: config.concurrency });
      outbox = createOutbox(strapi);
      await refreshIndex();
      // Other instances may change definitions: re-read them now and then (cheap, one query).
      refreshTimer = setInterval(() => refreshIndex().catch((e) => strapi.log.error(`[document-webhooks] ${e.message}`)), Math.max(config.pollIntervalMs, 1000));
      refreshTimer.unref();
      if (!config.worker) return;
      worker = new DeliveryWorker<DeliveryRow>(
        {
          fanOut: fanOutBatch,
          claim: claimDeliveries,
          deliver: (item) => delivery().deliver(item),
          release: async (items) => {
            await logs().updateMany({
              where: { id: { $in: items.map((i) => i.id) }, leaseOwner: { $in: [...new Set(items.map((i) => i.leaseOwner))] } },
              data: { leaseOwner: null, leaseUntil: null },
            });
          },
          nextDueAt,
          onError: (err) => strapi.log.error(`[document-webhooks] worker: ${(err as Error)?.stack ?? err}`),
        },
        { concurrency: config.concurrency, perWebhookConcurrency: config.perWebhookConcurrency, pollIntervalMs: config.pollIntervalMs }
      );
      worker.start();
    },

    async stop() {
      if (refreshTimer) clearInterval(refreshTimer);
      refreshTimer = null;
      await worker?.stop();
      worker = null;
      // Outcomes of deliveries that ended during the stop, still waiting for their group commit.
      await delivery().flushOutcomes();
      await renderer?.close();
      renderer = null;
      agents?.httpAgent.destroy();
      agents?.httpsAgent.destroy();
      agents = null;
    },

    /** Capture's cheap path: ids of enabled webhooks on this content type and event. */
    webhooksFor(uid: string, event: WebhookEvent): number[] {
      return index.get(uid)?.get(event) ?? [];
    },

    async definitionsChanged() {
      await refreshIndex();
    },

    wake() {
      worker?.wake();
    },

    renderer() {
      if (!renderer) renderer = new TemplateRenderer();
      return renderer;
    },
    agents() {
      if (!agents) agents = createGuardedAgents(ssrfPolicy(), { keepAlive: true });
      return agents;
    },
    outbox() {
      if (!outbox) outbox = createOutbox(strapi);
      return outbox;
    },
    ssrfPolicy,
  };
};
