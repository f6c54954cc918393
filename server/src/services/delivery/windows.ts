import type { Core } from '@strapi/strapi';
import {
  absorb,
  openWindow,
  closesAt,
  windowDelivery,
  type CoalesceSettings,
  type Joining,
  type WindowState,
} from '../../coalesce/window';
import { buildContext, type EventContext } from '../../render/context';
import type { RenderedRequest } from '../../render/request';
import type { WebhookRow } from '../../definitions/types';
import { affected, queueDb, tableFor, type Db } from '../../outbox/rows';
import { LOG_UID, OUTBOX_UID } from '../../plugin';

/**
 * A matching change of a coalescing webhook, as the planner hands it to the fan-out's write:
 * the log row it would open (newLogRow) plus what it joins a window with.
 */
export interface WindowJoinRow extends Record<string, unknown> {
  webhookId: number;
  window: { settings: CoalesceSettings; key: string; change: Joining };
}

/** How often a join is tried again when another instance joined the same window meanwhile. */
const JOIN_TRIES = 5;

/**
 * Coalescing windows on the request log (docs/events.md, "Bursts: coalescing windows"): an
 * open window is a `pending` log row that has not been tried (`attempts` 0, not leased) with
 * its state in `coalesce` and `nextAttemptAt` = when it closes, so the delivery claim takes it
 * then, like any due delivery. Durable by construction (no timers), and sent once: the claim
 * that sends it renders the request from the state it read and stores it (`seal`) on
 * condition that no change joined since; a join is a conditional UPDATE that fails once the
 * request is stored, so a later change opens a new window.
 */
export function createWindows(
  strapi: Core.Strapi,
  deps: {
    render: (row: WebhookRow, context: EventContext, createdAt: string) => Promise<RenderedRequest>;
  }
) {
  const t = () => tableFor(strapi, LOG_UID);
  const modelName = (uid: string) => (strapi.getModel(uid as any) as any)?.modelName ?? uid;

  /** The newest open window of (webhook, key): pending, never tried, not sealed. */
  const findOpen = async (db: Db, webhookId: number, key: string) => {
    const c = t();
    const rows = await db.run(
      db(c.name)
        .select(['id', c.col('coalesce'), c.col('changeCount')])
        .where(c.col('webhookId'), webhookId)
        .where(c.col('windowKey'), key)
        .where(c.col('status'), 'pending')
        .where(c.col('attempts'), 0)
        .whereNull(c.col('requestBody'))
        .orderBy('id', 'desc')
        .limit(1)
    );
    const row = rows?.[0] ? c.fromRow(rows[0]) : null;
    return row?.coalesce
      ? {
          id: Number(row.id),
          changeCount: Number(row.changeCount),
          state: row.coalesce as WindowState,
        }
      : null;
  };

  /** What a window's row says about it besides its state. */
  const summary = (state: WindowState) => {
    const last = state.changes[state.changes.length - 1];
    return {
      coalesce: state,
      changeCount: state.changes.length,
      nextAttemptAt: closesAt(state),
      event: state.by === 'webhook' ? 'batch' : last.event,
      user: last.user ?? null,
    };
  };

  /** Join one window's changes (same webhook and key, capture order) to its open window, or open windows for them. */
  const joinGroup = async (db: Db, group: WindowJoinRow[], now: Date) => {
    const c = t();
    const { settings, key } = group[0].window;
    const changes = group.map((j) => j.window.change);
    let rest = changes;
    for (let tries = 0; tries < JOIN_TRIES && rest === changes; tries++) {
      const open = await findOpen(db, group[0].webhookId, key);
      if (!open) break;
      const { state, taken } = absorb(open.state, changes);
      if (!taken) break;
      // Conditional on the row as read: not sealed since (then it is being sent, and these
      // changes open a new window) and not joined by another instance (then read again). A
      // lease alone does not stop a join: a claim that finds the window still joining gives
      // it back unsent (see `seal`).
      const res = await db.run(
        db(c.name)
          .where('id', open.id)
          .where(c.col('changeCount'), open.changeCount)
          .where(c.col('attempts'), 0)
          .whereNull(c.col('requestBody'))
          .update(c.toRow({ ...summary(state), updatedAt: now }))
      );
      if (affected(res) > 0) rest = changes.slice(taken);
    }
    const rows: Record<string, unknown>[] = [];
    while (rest.length) {
      const { state, taken } = absorb(openWindow(settings, [rest[0]]), rest.slice(1));
      const { window: _w, ...base } = group[changes.length - rest.length];
      rows.push({
        ...base,
        ...summary(state),
        status: 'pending',
        windowKey: key,
        targetDocumentId: settings.by === 'webhook' ? null : rest[0].documentId,
        targetLocale: settings.by === 'webhook' ? null : rest[0].locale,
        // A window over many documents has no one title; one per document keeps its document's.
        documentTitle: settings.by === 'webhook' ? null : base.documentTitle,
        createdAt: now,
        updatedAt: now,
      });
      rest = rest.slice(taken + 1);
    }
    await c.insert(db, rows);
  };

  return {
    /**
     * Join coalescing changes (capture order) to their windows, in the fan-out's transaction
     * `db`, so the outbox records go away with their changes joined or not at all.
     */
    async join(db: Db, joins: WindowJoinRow[], now: Date) {
      const groups = new Map<string, WindowJoinRow[]>();
      for (const j of joins) {
        const id = `${j.webhookId}\u0000${j.window.key}`;
        const group = groups.get(id);
        if (group) group.push(j);
        else groups.set(id, [j]);
      }
      for (const group of groups.values()) await joinGroup(db, group, now);
    },

    /**
     * Changes captured before the window closed may still wait in the outbox (a fan-out
     * backlog, e.g. during a bulk publish: the worker yields to the writes): the window waits
     * for them rather than leave them to a window of their own, for its maximum wait past its
     * close at most (so a record that cannot be fanned out does not hold it back for ever).
     */
    async stillJoining(webhookId: number, state: WindowState, now = new Date()): Promise<boolean> {
      const close = closesAt(state);
      if (now.getTime() > close.getTime() + state.maxWaitSeconds * 1000) return false;
      const o = tableFor(strapi, OUTBOX_UID);
      let q = (strapi.db as any)
        .connection(o.name)
        .select({ webhookIds: o.col('webhookIds') })
        .where(o.col('occurredAt'), '<', close)
        .orderBy('id', 'asc')
        .limit(500);
      // A window per document waits for that document's changes only.
      const first = state.changes[0];
      if (state.by === 'document' && first)
        q = q
          .where(o.col('contentType'), first.uid)
          .where(o.col('targetDocumentId'), first.documentId);
      const rows = await q;
      return rows.some((r: Record<string, unknown>) => {
        const ids = o.fromRow(r).webhookIds;
        return Array.isArray(ids) && ids.map(Number).includes(webhookId);
      });
    },

    /**
     * Store the request rendered from `state` on the leased window row, on condition that no
     * change joined since `state` was read (same change count) and the lease is still ours:
     * from then on no change joins it. False: it changed (or was taken over); the claim gives
     * it back and the next one reads it again.
     */
    async seal(
      log: { id: number; leaseOwner: string | null },
      state: WindowState,
      req: RenderedRequest,
      version: string
    ): Promise<boolean> {
      const c = t();
      const db = queueDb(strapi);
      const res = await db.run(
        db(c.name)
          .where('id', log.id)
          .where(c.col('leaseOwner'), log.leaseOwner)
          .where(c.col('changeCount'), state.changes.length)
          .whereNull(c.col('requestBody'))
          .update(
            c.toRow({
              requestUrl: req.url,
              requestMethod: req.method,
              requestBody: req.body,
              webhookVersion: version,
              updatedAt: new Date(),
            })
          )
      );
      return affected(res) > 0;
    },

    /** The request a closed window sends, rendered with the webhook's current definition. */
    render(row: WebhookRow, state: WindowState): Promise<RenderedRequest> {
      const d = windowDelivery(state);
      const context = buildContext({
        event: d.event,
        uid: d.uid,
        model: modelName(d.uid),
        doc: d.doc,
        previous: d.previous,
        documentId: d.documentId,
        locale: d.locale,
        user: d.user as EventContext['user'],
        changes: d.changes,
      });
      return deps.render(row, context, d.createdAt);
    },
  };
}

export type Windows = ReturnType<typeof createWindows>;
