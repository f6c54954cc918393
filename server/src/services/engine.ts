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
import { queueDb, tableFor } from '../outbox/rows';
import { createOutageLog, isConnectionError } from '../db-errors';

/**
 * The plugin's long-lived parts: the in-memory index capture consults, the template
 * sandbox, the guarded HTTP agents, and the dispatch worker with its leases.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let claims = 0;
  const token = () => `${instanceId}:${++claims}`;
  const cfg = () => getPluginConfig(strapi);
  const delivery = () => strapi.plugin(PLUGIN_ID).service('delivery');

  let index = new Map<string, Map<string, number[]>>();
  let renderer: TemplateRenderer | null = null;
  let agents: ReturnType<typeof createGuardedAgents> | null = null;
  let outbox: Outbox | null = null;
  let worker: DeliveryWorker<DeliveryRow> | null = null;
  let refreshTimer: NodeJS.Timeout | null = null;

  /*
   * Document writes in progress here. Deliveries share the event loop (and on SQLite the one
   * connection) with them: measured, a worker delivering next to a run of writes made each
   * write ~1.5× slower. So the worker's steps (fan-out batch, claim, group commit) wait for a
   * moment with no write in progress, or `yieldToWritesMs` at most, so a stream of writes
   * slows deliveries down rather than the other way round.
   */
  let writes = 0;
  let writesDone: { promise: Promise<void>; resolve: () => void } | null = null;
  /** Writes are in progress and the worker is to yield to them. */
  const yielding = () => writes > 0 && cfg().yieldToWritesMs > 0;
  /** null when the worker need not wait (no promise to await on the hot path). */
  function waitForWrites(): Promise<void> | null {
    if (!yielding()) return null;
    if (!writesDone) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      writesDone = { promise, resolve };
    }
    return Promise.race([writesDone.promise, new Promise<void>((r) => setTimeout(r, cfg().yieldToWritesMs).unref())]);
  }

  /*
   * The database away (restart, failover): every worker step, outcome and index refresh fails
   * until it is back. One line when it goes, one when it is back (docs/scaling.md); other
   * errors are logged each time.
   */
  const outage = createOutageLog({ warn: (m) => strapi.log.warn(m), info: (m) => strapi.log.info(m) });
  const reportError = (what: string, err: unknown) => {
    if (isConnectionError(err)) outage.failed(err);
    else strapi.log.error(`[document-webhooks] ${what}: ${(err as Error)?.stack ?? err}`);
  };

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
  const logT = () => tableFor(strapi, LOG_UID);
  const knex = () => (strapi.db as any).connection;
  // What a delivery needs of its log row (the response columns are not read back).
  const CLAIMED = ['id', 'webhookId', 'status', 'messageId', 'attempts', 'attemptLog', 'requestUrl', 'requestMethod', 'requestHeaders', 'requestBody', 'leaseOwner', 'leaseUntil'];

  /**
   * Lease due deliveries: at most one per (webhook, document) at a time, oldest first, so a
   * document's deliveries to one webhook keep their order; at most `perWebhookLimit` per
   * webhook held here, webhooks in `busy` skipped so a slow receiver does not hold back the others.
   */
  async function claimDeliveries(limit: number, busy: Set<number>, held: Map<number, number>, perWebhookLimit: number): Promise<DeliveryRow[]> {
    const owner = token();
    const ids = await claimer.claimDeliveries(owner, limit, cfg().leaseMs, { busy, perWebhookConcurrency: perWebhookLimit, inFlight: held });
    if (!ids.length) return [];
    const rows = (await logT().selectLeased(queueDb(strapi), ids, owner, CLAIMED)) as DeliveryRow[];
    // The webhooks of the round in one query (read now, just before the sends start), rather
    // than one query per delivery.
    const byId: Map<number, WebhookRow> = await delivery().webhooksById(rows.map((r) => r.webhookId));
    for (const r of rows) r.webhook = byId.get(r.webhookId) ?? null;
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
    const carried = Math.min(delivery().pendingFanOuts(), 500);
    const events = await outbox!.claim(owner, (small ? 5 : 50) + carried, cfg().leaseMs);
    if (!events.length) return { handled: 0, webhookIds: [] };
    // Plan the records outside any transaction (conditions, rendering: per webhook, in the
    // render processes, fairly shared), wait a little, then write what is ready in one
    // transaction (delivery.commitFanOuts); a slow webhook's parts stay in the outbox for a
    // later batch. One record that cannot be planned must not hold back the rest of the batch
    // (they are leased: a throw here would park them until the lease expires). The failing
    // one keeps its lease and is tried again when it runs out.
    const hooks = await delivery().webhooksById(events.flatMap((ev) => ev.webhookIds ?? []));
    const plans = [];
    for (const ev of events) {
      try {
        plans.push(await delivery().fanOut(ev, hooks));
      } catch (err) {
        strapi.log.error(`[document-webhooks] fan-out of outbox record ${ev.id} (${ev.event} ${ev.uid} ${ev.documentId}) failed: ${(err as Error)?.message ?? err}`);
      }
    }
    await delivery().awaitFanOuts(plans);
    const done = new Set<number>(await delivery().commitFanOuts(plans, owner));
    const webhookIds = new Set<number>();
    for (const p of plans) if (done.has(p.ev.id)) for (const [id, task] of p.tasks) if (task.done && task.create?.status === 'pending') webhookIds.add(id);
    return { handled: done.size, webhookIds: [...webhookIds] };
  }

  const newRenderer = () =>
    new TemplateRenderer({ processes: cfg().renderProcesses, maxOldGenerationSizeMb: cfg().renderMemoryMb });

  return {
    instanceId,

    async start() {
      const config = cfg();
      renderer ??= newRenderer();
      // The render processes start on first use; start them now so the first delivery does not wait for them.
      if (config.worker) renderer.warmUp();
      // No socket cap per origin: the worker bounds the requests in flight (dispatch/worker.ts),
      // and a cap here would queue a healthy webhook behind hanging ones on the same host.
      agents = createGuardedAgents(ssrfPolicy(), { keepAlive: true });
      outbox = createOutbox(strapi);
      await refreshIndex();
      // Other instances may change definitions: re-read them now and then (cheap, one query).
      // One at a time: with the database unresponsive a refresh can wait for a connection for
      // as long as knex's acquireConnectionTimeout, and they must not pile up meanwhile.
      let refreshing = false;
      refreshTimer = setInterval(() => {
        if (refreshing) return;
        refreshing = true;
        refreshIndex()
          .then(() => outage.succeeded(), (err) => reportError('webhook index refresh', err))
          .finally(() => (refreshing = false));
      }, Math.max(config.pollIntervalMs, 1000));
      refreshTimer.unref();
      if (!config.worker) return;
      worker = new DeliveryWorker<DeliveryRow>(
        {
          fanOut: fanOutBatch,
          claim: claimDeliveries,
          deliver: (item, sent) => delivery().deliver(item, sent),
          release: async (items) => {
            const t = logT();
            await knex()(t.name)
              .whereIn('id', items.map((i) => i.id))
              .whereIn(t.col('leaseOwner'), [...new Set(items.map((i) => i.leaseOwner))])
              .update({ [t.col('leaseOwner')]: null, [t.col('leaseUntil')]: null });
          },
          nextDueAt: () => claimer.nextDueAt(),
          waitForWrites,
          writing: yielding,
          onError: (err) => reportError('worker', err),
          onRecovered: () => outage.succeeded(),
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
      delivery().forgetFanOuts();
      await renderer?.close();
      renderer = null;
      agents?.httpAgent.destroy();
      agents?.httpsAgent.destroy();
      agents = null;
    },

    /** A document write started (+1) or ended (-1) in this instance. */
    writing(delta: 1 | -1) {
      writes = Math.max(0, writes + delta);
      // Open the gate only if no write starts right after this one (a run of writes, an
      // import): re-checked after the pending I/O callbacks have run.
      if (writes === 0 && writesDone) {
        setImmediate(() => {
          if (writes !== 0 || !writesDone) return;
          writesDone.resolve();
          writesDone = null;
        });
      }
    },
    waitForWrites,

    /** Capture's cheap path: ids of enabled webhooks on this content type and event. */
    webhooksFor(uid: string, event: WebhookEvent): number[] {
      return index.get(uid)?.get(event) ?? [];
    },

    async definitionsChanged() {
      delivery().forgetWebhooks();
      await refreshIndex();
    },

    wake() {
      worker?.wake();
    },

    renderer() {
      if (!renderer) renderer = newRenderer();
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
