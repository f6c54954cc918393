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
import { affected, queueTransaction, tableFor, type Db } from '../../outbox/rows';
import { LOG_UID, OUTBOX_UID } from '../../plugin';

/**
 * A matching change of a coalescing webhook, as the planner hands it to the fan-out's write:
 * the log row it would open (newLogRow) plus what it joins a window with.
 */
export interface WindowJoinRow extends Record<string, unknown> {
  webhookId: number;
  window: { settings: CoalesceSettings; key: string; change: Joining };
}

interface OpenWindow {
  id: number;
  changeCount: number;
  state: WindowState;
}

const groupId = (webhookId: number, key: string) => `${webhookId}\u0000${key}`;

/** How often a join is tried again when another instance joined the same window meanwhile. */
const JOIN_TRIES = 5;

/**
 * Coalescing windows on the request log (docs/events.md, "Bursts: coalescing windows"): an
 * open window is a `pending` log row that has not been tried (`attempts` 0, not sealed) with
 * its state in `coalesce` and `nextAttemptAt` = when it closes, so the delivery claim takes it
 * then, like any due delivery. Durable by construction (no timers), and sent once: the claim
 * that sends it seals it (`seal`) on condition that no change joined since it read the state,
 * then renders the request from that state; a join is a conditional UPDATE that fails once
 * the window is sealed, so a later change opens a new window.
 */
export function createWindows(
  strapi: Core.Strapi,
  deps: {
    render: (row: WebhookRow, context: EventContext, createdAt: string) => Promise<RenderedRequest>;
  }
) {
  const t = () => tableFor(strapi, LOG_UID);
  const modelName = (uid: string) => (strapi.getModel(uid as any) as any)?.modelName ?? uid;

  /**
   * The newest open window (pending, never tried, not sealed) of each (webhook, key) asked for,
   * by `groupId`: one read for a whole fan-out batch (per 500 keys).
   */
  const findOpen = async (db: Db, wanted: { webhookId: number; key: string }[]) => {
    const c = t();
    const open = new Map<string, OpenWindow>();
    const webhookIds = [...new Set(wanted.map((w) => w.webhookId))];
    const keys = [...new Set(wanted.map((w) => w.key))];
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await db.run(
        db(c.name)
          .select([
            'id',
            c.col('webhookId'),
            c.col('windowKey'),
            c.col('coalesce'),
            c.col('changeCount'),
          ])
          .whereIn(c.col('webhookId'), webhookIds)
          .whereIn(c.col('windowKey'), keys.slice(i, i + 500))
          .where(c.col('status'), 'pending')
          .where(c.col('attempts'), 0)
          .whereNull(c.col('requestBody'))
          .orderBy('id', 'desc')
      );
      for (const raw of rows ?? []) {
        const row = c.fromRow(raw);
        const id = groupId(Number(row.webhookId), String(row.windowKey));
        if (!row.coalesce || open.has(id)) continue;
        open.set(id, {
          id: Number(row.id),
          changeCount: Number(row.changeCount),
          state: row.coalesce as WindowState,
        });
      }
    }
    return open;
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

  /**
   * Join one window's changes (same webhook and key, capture order) to its open window (`open`:
   * as read for the batch); resolves to the rows of the windows they open instead.
   */
  const joinGroup = async (
    db: Db,
    group: WindowJoinRow[],
    now: Date,
    open: OpenWindow | null
  ): Promise<Record<string, unknown>[]> => {
    const c = t();
    const { webhookId } = group[0];
    const { settings, key } = group[0].window;
    const changes = group.map((j) => j.window.change);
    let rest = changes;
    for (let tries = 0; tries < JOIN_TRIES && rest === changes; tries++) {
      if (tries > 0)
        open = (await findOpen(db, [{ webhookId, key }])).get(groupId(webhookId, key)) ?? null;
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
    return rows;
  };

  return {
    /**
     * Join coalescing changes (capture order) to their windows, in the fan-out's transaction
     * `db`, so the outbox records go away with their changes joined or not at all.
     */
    async join(db: Db, joins: WindowJoinRow[], now: Date) {
      const groups = new Map<string, WindowJoinRow[]>();
      for (const j of joins) {
        const id = groupId(j.webhookId, j.window.key);
        const group = groups.get(id);
        if (group) group.push(j);
        else groups.set(id, [j]);
      }
      const open = await findOpen(
        db,
        [...groups.values()].map((g) => ({ webhookId: g[0].webhookId, key: g[0].window.key }))
      );
      const rows: Record<string, unknown>[] = [];
      for (const [id, group] of groups)
        rows.push(...(await joinGroup(db, group, now, open.get(id) ?? null)));
      await t().insert(db, rows);
    },

    /**
     * Seal the due windows a claim leased, in one transaction (one commit for a claim's
     * windows, as the outcomes' group commit): from then on no change joins them, and each
     * request is rendered from the state read with the claim. Per window one conditional
     * UPDATE (the request body set to '', the request itself is stored with the attempt's
     * outcome), which fails when a change joined since the state was read (same change count),
     * when the lease is no longer ours, or while a change of the window's document (by
     * webhook: of its content type) captured before the window closes still waits in the
     * outbox: a fan-out backlog, e.g. during a bulk write the worker yields to the writes.
     * That wait lasts the window's maximum wait past its close at most, so a record that
     * cannot be fanned out does not hold it back for ever. Resolves to the ids sealed; the
     * others are given back by their claim, to be looked at again.
     */
    async seal(
      leased: { id: number; leaseOwner: string | null; state: WindowState }[],
      now = new Date()
    ): Promise<Set<number>> {
      const sealed = new Set<number>();
      if (!leased.length) return sealed;
      const c = t();
      const o = tableFor(strapi, OUTBOX_UID);
      await queueTransaction(strapi, async (db) => {
        for (const { id, leaseOwner, state } of leased) {
          const close = closesAt(state);
          let q = db(c.name)
            .where('id', id)
            .where(c.col('leaseOwner'), leaseOwner)
            .where(c.col('changeCount'), state.changes.length)
            .whereNull(c.col('requestBody'));
          const first = state.changes[0];
          if (first && now.getTime() <= close.getTime() + state.maxWaitSeconds * 1000) {
            // Any record of the document, whichever webhooks it is for: it is fanned out soon.
            q = q.whereNotExists((sub: any) => {
              sub
                .select(o.col('occurredAt'))
                .from(o.name)
                .where(o.col('contentType'), first.uid)
                .where(o.col('occurredAt'), '<', close);
              if (state.by === 'document') sub.where(o.col('targetDocumentId'), first.documentId);
            });
          }
          const res = await db.run(q.update(c.toRow({ requestBody: '', updatedAt: now })));
          if (affected(res) > 0) sealed.add(id);
        }
      });
      return sealed;
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
