import type { Core } from '@strapi/strapi';
import { splitReady } from '../../dispatch/fan-out';
import { buildContext, type EventContext } from '../../render/context';
import type { RenderedRequest } from '../../render/request';
import type { ClaimedEvent, Outbox } from '../../outbox/outbox';
import type { WebhookRow } from '../../definitions/types';
import { queueTransaction, tableFor } from '../../outbox/rows';
import { isConnectionError } from '../../db-errors';
import { randomUUID } from 'node:crypto';
import { CONTEXT_UID, LOG_UID } from '../../plugin';
import type { Health } from './health';
import { definitionVersion } from './log-rows';
import { createPartPlanner } from './plan-part';
import type { Windows, WindowJoinRow } from './windows';
import { createTitles } from './titles';
import { BACKFILL_EVENT } from '../../contracts/webhooks';

/**
 * The plan of one (outbox record, webhook) part: condition, then render, run in the
 * background. Kept across fan-out batches until written, so a render that outlasts a batch
 * is not done again (docs/architecture.md, "Fairness").
 */
export interface PlanTask {
  key: string;
  /** The definition version (`updatedAt`) it was planned with. */
  version: string;
  done: boolean;
  /** The log row to insert, or null (condition false). */
  create: Record<string, unknown> | null;
  promise: Promise<void>;
  at: number;
  /** The worker is to be woken when it finishes (it was left in the outbox unfinished). */
  wakes: boolean;
  /** The webhook's plan it queued behind (null: none was running). */
  after: PlanTask | null;
}

/** One captured event's planning: a task per webhook, some maybe still running. */
export interface FanOutPlan {
  ev: ClaimedEvent;
  tasks: Map<number, PlanTask>;
  /** Tasks started for this batch (not carried over from an earlier one). */
  fresh: PlanTask[];
}

/**
 * How long a fan-out batch waits for the plans it started before writing what is ready: a
 * slow webhook's part of a record is left in the outbox, the others' deliveries go ahead.
 */
const FAN_OUT_WAIT_MS = 100;
/** Planned parts kept this long at most when their record is not claimed again here. */
const PLAN_TTL_MS = 10 * 60_000;

export interface PlannerDeps {
  /** Render a webhook's request (the webhook is the render processes' fair-share key). */
  render: (row: WebhookRow, context: EventContext, createdAt: string) => Promise<RenderedRequest>;
  health: Health;
  outbox: () => Outbox;
  /** A part left unfinished in the outbox is done: the worker may write it. */
  wake: () => void;
  windows: Windows;
}

/** The captured-context row of an outbox record (content-types/context). */
const contextRow = (ev: ClaimedEvent, contextKey: string, now: Date) => ({
  contextKey,
  event: ev.event,
  contentType: ev.uid,
  targetDocumentId: ev.documentId,
  targetLocale: ev.locale,
  doc: ev.doc,
  previous: ev.previous,
  user: ev.user,
  occurredAt: ev.occurredAt,
  createdAt: now,
  updatedAt: now,
});

/** Fan-out: captured events → the deliveries to insert (docs/architecture.md, "Life of a change", step 2). */
export function createPlanner(strapi: Core.Strapi, deps: PlannerDeps) {
  const modelName = (uid: string) => (strapi.getModel(uid as any) as any)?.modelName ?? uid;
  /**
   * Planned (record, webhook) parts, by `record id:webhook id:document:capture time` (SQLite
   * may give a deleted record's id to a new one).
   */
  const planned = new Map<string, PlanTask>();
  /** Per webhook, the last of its plans: one webhook plans one part at a time, in record order. */
  const chains = new Map<number, PlanTask>();
  const titles = createTitles(strapi);

  const planPart = createPartPlanner(strapi, deps);

  const startPart = (
    key: string,
    version: string,
    ev: ClaimedEvent,
    row: WebhookRow,
    context: EventContext,
    title: Promise<string | null>
  ): PlanTask => {
    const after = chains.get(row.id) ?? null;
    const task: PlanTask = {
      key,
      version,
      done: false,
      create: null,
      promise: Promise.resolve(),
      at: Date.now(),
      wakes: false,
      after,
    };
    task.promise = (after ? after.promise : Promise.resolve())
      .then(async () => planPart(ev, row, version, context, await title))
      .then(
        (create) => {
          task.create = create;
        },
        (err) => {
          task.create = null;
          strapi.log.error(
            `[document-webhooks] planning outbox record ${ev.id} for webhook ${row.id} failed: ${(err as Error)?.message ?? err}`
          );
        }
      )
      .finally(() => {
        task.done = true;
        task.after = null;
        if (chains.get(row.id) === task) chains.delete(row.id);
        if (task.wakes) deps.wake();
      });
    chains.set(row.id, task);
    planned.set(key, task);
    return task;
  };
  return {
    /**
     * Start planning one captured event's deliveries (current definitions; per webhook the
     * condition then the render, in the background): no write. Parts already planned for this
     * record by an earlier batch (same definition version) are taken over, not done again. A
     * throw here concerns this record only.
     */
    async fanOut(ev: ClaimedEvent, webhooksById: Map<number, WebhookRow>): Promise<FanOutPlan> {
      const rows = (ev.webhookIds ?? [])
        .map((id) => webhooksById.get(id))
        .filter((r): r is WebhookRow => Boolean(r));
      let context: EventContext | null = null;
      // Once per record, for all its webhooks' log rows (never rejects: titles.ts).
      let title: Promise<string | null> | null = null;
      const tasks = new Map<number, PlanTask>();
      const fresh: PlanTask[] = [];
      for (const row of rows) {
        const key = `${ev.id}:${row.id}:${ev.documentId}:${ev.occurredAt}`;
        const version = definitionVersion(row);
        let task = planned.get(key);
        // The definition as it is now: a webhook disabled or changed meanwhile no longer fires,
        // except for a part already planned (e.g. the render that got the webhook paused: its
        // log row says why).
        // A backfill (docs/events.md, entry.backfill) is sent whatever events the webhook listens to.
        const listens =
          (ev.event as string) === BACKFILL_EVENT || (row.events ?? []).includes(ev.event);
        if (!row.enabled || !listens || row.contentType !== ev.uid) {
          if (task?.done) tasks.set(row.id, task);
          continue;
        }
        if (task && task.version !== version) task = undefined;
        if (!task) {
          context ??= buildContext({
            event: ev.event,
            uid: ev.uid,
            model: modelName(ev.uid),
            doc: ev.doc,
            previous: ev.previous,
            documentId: ev.documentId,
            locale: ev.locale,
            user: ev.user,
          });
          title ??= titles.of(ev.uid, ev.doc);
          task = startPart(key, version, ev, row, context, title);
          fresh.push(task);
        }
        tasks.set(row.id, task);
      }
      return { ev, tasks, fresh };
    },

    /**
     * Wait for the plans a batch started, FAN_OUT_WAIT_MS at most (slow ones go on meanwhile).
     * Plans queued behind a webhook's backlog from earlier batches are not waited for: that
     * webhook is slow, and the others' deliveries go ahead at once.
     */
    async awaitFanOuts(plans: FanOutPlan[]): Promise<void> {
      const waited = new Set<PlanTask>();
      for (const plan of plans) {
        for (const task of plan.fresh)
          if (!task.after || task.after.done || waited.has(task.after)) waited.add(task);
      }
      if (!waited.size) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...waited].map((t) => t.promise)),
        new Promise<void>((r) => (timer = setTimeout(r, FAN_OUT_WAIT_MS))),
      ]);
      clearTimeout(timer);
    },

    /** Outbox records with parts still being planned here: the next claim makes room for them. */
    pendingFanOuts(): number {
      const now = Date.now();
      const records = new Set<string>();
      for (const [key, task] of planned) {
        if (task.done && now - task.at > PLAN_TTL_MS) planned.delete(key);
        else if (!task.done) records.add(key.slice(0, key.indexOf(':')));
      }
      return records.size;
    },

    /** Forget planned parts (engine stop: the renders end with the renderer). */
    forgetFanOuts() {
      planned.clear();
      chains.clear();
    },

    /**
     * Write what a batch's plans have ready, in one transaction: per record, the deliveries of
     * the webhooks whose part is ready (splitReady: plan done, and earlier records of the same
     * document done for that webhook); a record with nothing left is deleted, one with parts
     * left keeps only those webhooks and is released for a later batch (its unfinished parts
     * wake the worker when done). Only records still leased to `token` are written. If the
     * batch transaction fails, each record is retried in its own transaction, so one that
     * cannot be written does not hold back the others (it keeps its lease, and is tried again
     * when that runs out). Resolves to the ids of the records that moved on.
     */
    async commitFanOuts(plans: FanOutPlan[], token: string): Promise<number[]> {
      if (!plans.length) return [];
      const t = tableFor(strapi, LOG_UID);
      const split = splitReady(
        plans.map((p) => ({
          id: p.ev.id,
          document: `${p.ev.uid}\u0000${p.ev.documentId}`,
          webhookIds: [...p.tasks.keys()],
        })),
        (recordId, webhookId) =>
          Boolean(plans.find((p) => p.ev.id === recordId)?.tasks.get(webhookId)?.done)
      );
      for (const plan of plans) {
        for (const id of split.get(plan.ev.id)?.remaining ?? []) {
          const task = plan.tasks.get(id) as PlanTask;
          if (!task.done) task.wakes = true;
        }
      }
      const readyOf = (plan: FanOutPlan) =>
        (split.get(plan.ev.id)?.ready ?? []).map((id) => plan.tasks.get(id) as PlanTask);
      const write = async (batch: FanOutPlan[]) =>
        queueTransaction(strapi, async (db) => {
          const now = new Date();
          const whole = batch
            .filter((p) => !split.get(p.ev.id)?.remaining.length)
            .map((p) => p.ev.id);
          const done: Set<number> = whole.length
            ? await deps.outbox().complete(whole, token, db)
            : new Set();
          for (const plan of batch) {
            const remaining = split.get(plan.ev.id)?.remaining ?? [];
            if (remaining.length && (await deps.outbox().keep(plan.ev.id, remaining, token, db)))
              done.add(plan.ev.id);
          }
          const rows: Record<string, unknown>[] = [];
          const joins: WindowJoinRow[] = [];
          const contexts: Record<string, unknown>[] = [];
          for (const plan of batch) {
            if (!done.has(plan.ev.id)) continue;
            // The captured change once for all its deliveries (docs/scaling.md, "Captured
            // contexts"); a window keeps its changes itself (windows.ts).
            let contextKey: string | null = null;
            for (const task of readyOf(plan)) {
              if (!task.create) continue;
              if (task.create.window) {
                joins.push(task.create as WindowJoinRow);
                continue;
              }
              if (task.create.contextKey !== null && !contextKey) {
                contextKey = randomUUID();
                contexts.push(contextRow(plan.ev, contextKey, now));
              }
              rows.push({
                ...task.create,
                contextKey: task.create.contextKey === null ? null : contextKey,
                createdAt: now,
                updatedAt: now,
              });
            }
          }
          await tableFor(strapi, CONTEXT_UID).insert(db, contexts);
          await t.insert(db, rows);
          if (joins.length) await deps.windows.join(db, joins, now);
        });
      const written = (batch: FanOutPlan[]) => {
        for (const plan of batch) for (const task of readyOf(plan)) planned.delete(task.key);
      };
      const moved = (batch: FanOutPlan[]) =>
        batch
          .filter((p) => readyOf(p).length > 0 || !split.get(p.ev.id)?.remaining.length)
          .map((p) => p.ev.id);
      try {
        await write(plans);
        written(plans);
        return moved(plans);
      } catch (err) {
        // One by one cannot help when the database is away: the records keep their leases.
        if (plans.length === 1 || isConnectionError(err)) throw err;
        strapi.log.warn(
          `[document-webhooks] fan-out of ${plans.length} outbox records in one transaction failed (${(err as Error)?.message ?? err}); writing them one by one`
        );
      }
      const done: number[] = [];
      for (const plan of plans) {
        try {
          await write([plan]);
          written([plan]);
          done.push(...moved([plan]));
        } catch (err) {
          const ev = plan.ev;
          strapi.log.error(
            `[document-webhooks] fan-out of outbox record ${ev.id} (${ev.event} ${ev.uid} ${ev.documentId}) failed: ${(err as Error)?.message ?? err}`
          );
        }
      }
      return done;
    },
  };
}

export type Planner = ReturnType<typeof createPlanner>;
