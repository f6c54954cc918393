import type { Core } from '@strapi/strapi';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Outbox } from '../outbox/outbox';
import { createClaimer } from '../outbox/claim';
import { DeliveryWorker } from '../dispatch/worker';
import type { WritesGate } from '../dispatch/writes-gate';
import type { WebhookEvent } from '../definitions/events';
import { getPluginConfig, LOG_UID } from '../plugin';
import { queueDb, tableFor } from '../outbox/rows';
import { createOutageLog, isConnectionError } from '../db-errors';
import type { Resources } from './resources';
import type { WebhookIndex } from './webhook-index';
import type { WebhookCache } from './delivery/webhook-cache';
import type { Planner } from './delivery/planner';
import type { Deliverer, DeliveryRow } from './delivery/deliver';

export interface EngineDeps {
  resources: Resources;
  outbox: () => Outbox;
  cache: WebhookCache;
  index: WebhookIndex;
  gate: WritesGate;
  planner: Planner;
  deliverer: Deliverer;
  definitionsChanged: () => Promise<void>;
}

/**
 * The plugin's long-lived parts at work: the dispatch worker with its leases, the index
 * refresh, and start/stop of the renderer and agents (built in resources.ts). Its
 * collaborators are handed over by the composition root (root.ts).
 */
export function createEngine(strapi: Core.Strapi, deps: EngineDeps) {
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let claims = 0;
  const token = () => `${instanceId}:${++claims}`;
  const cfg = () => getPluginConfig(strapi);
  const { planner, deliverer, gate, index } = deps;

  let worker: DeliveryWorker<DeliveryRow> | null = null;
  let refreshTimer: NodeJS.Timeout | null = null;

  /*
   * The database away (restart, failover): every worker step, outcome and index refresh fails
   * until it is back. One line when it goes, one when it is back (docs/scaling.md); other
   * errors are logged each time.
   */
  const outage = createOutageLog({
    warn: (m) => strapi.log.warn(m),
    info: (m) => strapi.log.info(m),
  });
  const reportError = (what: string, err: unknown) => {
    if (isConnectionError(err)) outage.failed(err);
    else strapi.log.error(`[document-webhooks] ${what}: ${(err as Error)?.stack ?? err}`);
  };

  const claimer = createClaimer(strapi);
  const logT = () => tableFor(strapi, LOG_UID);
  const knex = () => (strapi.db as any).connection;
  // What a delivery needs of its log row (the response columns are not read back).
  const CLAIMED = [
    'id',
    'webhookId',
    'status',
    'messageId',
    'attempts',
    'attemptLog',
    'requestUrl',
    'requestMethod',
    'requestHeaders',
    'requestBody',
    'contextKey',
    'webhookVersion',
    'leaseOwner',
    'leaseUntil',
    'coalesce',
  ];

  /**
   * Lease due deliveries: at most one per (webhook, document) at a time, oldest first, so a
   * document's deliveries to one webhook keep their order; at most `perWebhookLimit` per
   * webhook held here, webhooks in `busy` skipped so a slow receiver does not hold back the others.
   */
  async function claimDeliveries(
    limit: number,
    busy: Set<number>,
    held: Map<number, number>,
    perWebhookLimit: number
  ): Promise<DeliveryRow[]> {
    const owner = token();
    const ids = await claimer.claimDeliveries(owner, limit, cfg().leaseMs, {
      busy,
      perWebhookConcurrency: perWebhookLimit,
      inFlight: held,
    });
    if (!ids.length) return [];
    const rows = (await logT().selectLeased(queueDb(strapi), ids, owner, CLAIMED)) as DeliveryRow[];
    // The webhooks of the round in one query (read now, just before the sends start), rather
    // than one query per delivery.
    const byId = await deps.cache.byId(rows.map((r) => r.webhookId));
    for (const r of rows) r.webhook = byId.get(r.webhookId) ?? null;
    // Coalescing windows that closed are sealed now, together (one commit per claim).
    await deliverer.sealWindows(rows);
    return rows;
  }

  /**
   * Outbox records per fan-out batch; while writes are in progress, a few only (worker.ts).
   * Records whose parts are still being planned here come back first (oldest first): room is
   * made for them on top, so new records are not crowded out by one slow webhook's backlog.
   * Resolves to how many were handled and the webhooks that got deliveries to send.
   */
  async function fanOutBatch(small: boolean): Promise<{ handled: number; webhookIds: number[] }> {
    const owner = token();
    const carried = Math.min(planner.pendingFanOuts(), 500);
    const events = await deps.outbox().claim(owner, (small ? 5 : 50) + carried, cfg().leaseMs);
    if (!events.length) return { handled: 0, webhookIds: [] };
    // Plan the records outside any transaction (conditions, rendering: per webhook, in the
    // render processes, fairly shared), wait a little, then write what is ready in one
    // transaction (planner.commitFanOuts); a slow webhook's parts stay in the outbox for a
    // later batch. One record that cannot be planned must not hold back the rest of the batch
    // (they are leased: a throw here would park them until the lease expires). The failing
    // one keeps its lease and is tried again when it runs out.
    const hooks = await deps.cache.byId(events.flatMap((ev) => ev.webhookIds ?? []));
    const plans = [];
    for (const ev of events) {
      try {
        plans.push(await planner.fanOut(ev, hooks));
      } catch (err) {
        strapi.log.error(
          `[document-webhooks] fan-out of outbox record ${ev.id} (${ev.event} ${ev.uid} ${ev.documentId}) failed: ${(err as Error)?.message ?? err}`
        );
      }
    }
    await planner.awaitFanOuts(plans);
    const done = new Set<number>(await planner.commitFanOuts(plans, owner));
    const webhookIds = new Set<number>();
    for (const p of plans)
      if (done.has(p.ev.id))
        for (const [id, task] of p.tasks)
          if (task.done && task.create?.status === 'pending') webhookIds.add(id);
    return { handled: done.size, webhookIds: [...webhookIds] };
  }

  return {
    instanceId,

    async start() {
      const config = cfg();
      // The render processes start on first use; start them now so the first delivery does not wait for them.
      const renderer = deps.resources.renderer();
      if (config.worker) renderer.warmUp();
      deps.resources.agents();
      deps.outbox();
      await index.refresh();
      // Other instances may change definitions: re-read them now and then (cheap, one query).
      // One at a time: with the database unresponsive a refresh can wait for a connection for
      // as long as knex's acquireConnectionTimeout, and they must not pile up meanwhile.
      let refreshing = false;
      refreshTimer = setInterval(
        () => {
          if (refreshing) return;
          refreshing = true;
          index
            .refresh()
            .then(
              () => outage.succeeded(),
              (err) => reportError('webhook index refresh', err)
            )
            .finally(() => (refreshing = false));
        },
        Math.max(config.pollIntervalMs, 1000)
      );
      refreshTimer.unref();
      if (!config.worker) return;
      worker = new DeliveryWorker<DeliveryRow>(
        {
          fanOut: fanOutBatch,
          claim: claimDeliveries,
          deliver: (item, sent) => deliverer.deliver(item, sent),
          release: async (items) => {
            const t = logT();
            await knex()(t.name)
              .whereIn(
                'id',
                items.map((i) => i.id)
              )
              .whereIn(t.col('leaseOwner'), [...new Set(items.map((i) => i.leaseOwner))])
              .update({ [t.col('leaseOwner')]: null, [t.col('leaseUntil')]: null });
          },
          nextDueAt: () => claimer.nextDueAt(),
          waitForWrites: gate.waitForWrites,
          writing: gate.yielding,
          onError: (err) => reportError('worker', err),
          onRecovered: () => outage.succeeded(),
        },
        {
          concurrency: config.concurrency,
          perWebhookConcurrency: config.perWebhookConcurrency,
          pollIntervalMs: config.pollIntervalMs,
        }
      );
      worker.start();
    },

    async stop() {
      if (refreshTimer) clearInterval(refreshTimer);
      refreshTimer = null;
      await worker?.stop();
      worker = null;
      // Outcomes of deliveries that ended during the stop, still waiting for their group commit.
      await deliverer.flush();
      planner.forgetFanOuts();
      await deps.resources.close();
    },

    /** A document write started (+1) or ended (-1) in this instance. */
    writing: gate.writing,
    waitForWrites: gate.waitForWrites,

    /** Capture's cheap path: ids of enabled webhooks on this content type and event. */
    webhooksFor: (uid: string, event: WebhookEvent): number[] => index.webhooksFor(uid, event),

    definitionsChanged: deps.definitionsChanged,

    wake() {
      worker?.wake();
    },

    renderer: deps.resources.renderer,
    agents: deps.resources.agents,
    outbox: deps.outbox,
    ssrfPolicy: deps.resources.ssrfPolicy,
  };
}

export type Engine = ReturnType<typeof createEngine>;
