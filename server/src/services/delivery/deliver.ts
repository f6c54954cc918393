import type { Core } from '@strapi/strapi';
import type { WebhookRow } from '../../definitions/types';
import type { SendResult } from '../../send/send';
import { classifyOutcome } from '../../dispatch/outcome';
import { createGroupCommit } from '../../dispatch/group-commit';
import { isConnectionError } from '../../db-errors';
import { queueBatch, tableFor } from '../../outbox/rows';
import { getPluginConfig, LOG_UID } from '../../plugin';
import type { Health } from './health';
import type { Sender } from './send-signed';
import { attemptColumns, attemptEntry, definitionVersion, type AttemptEntry } from './log-rows';
import { closesAt, type WindowState } from '../../coalesce/window';
import type { RenderedRequest } from '../../render/request';

/**
 * A queued delivery is sent only if its lease outlives the request by this much; otherwise it
 * is given back (another instance could take it over mid-request and send it twice).
 */
const LEASE_MARGIN_MS = 5000;

export interface DeliveryRow {
  id: number;
  webhookId: number;
  status: string;
  messageId: string;
  attempts: number;
  attemptLog: AttemptEntry[] | null;
  requestUrl: string;
  requestMethod: string;
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  /** The captured change it renders from (null: a test send, or a condition that failed). */
  contextKey: string | null;
  /** The webhook definition version it was rendered with (null: not rendered). */
  webhookVersion: string | null;
  leaseOwner: string | null;
  /** ISO time the lease runs out. */
  leaseUntil: string | null;
  /** A coalescing window's state (windows.ts); its request is rendered at its first attempt. */
  coalesce?: WindowState | null;
  /** A window sealed by its claim for this attempt (`sealWindows`): no change joins it now. */
  sealed?: boolean;
  /** The webhook as read with the claim (null: deleted). */
  webhook: WebhookRow | null;
}

/**
 * Whether an attempt renders the request again (docs/architecture.md, "Recovery"): not
 * rendered yet (a window that just closed, or a render that failed), or rendered with another
 * version of the webhook. A row without a captured context or window state (rows from before
 * contexts were kept) is sent as stored.
 */
export const needsRender = (
  log: Pick<DeliveryRow, 'contextKey' | 'webhookVersion' | 'requestBody' | 'coalesce'>,
  currentVersion: string
): boolean =>
  log.coalesce
    ? log.requestBody == null || log.webhookVersion !== currentVersion
    : Boolean(log.contextKey) && log.webhookVersion !== currentVersion;

/**
 * The attempt history before this attempt. When the stored request is replaced by a new
 * render, the last attempt keeps the request it sent (headers and body), so the history shows
 * what each attempt sent while the row shows the latest.
 */
function historyBefore(log: DeliveryRow, replacing: boolean): AttemptEntry[] {
  const history = log.attemptLog ?? [];
  if (!replacing || !history.length || log.requestBody === null) return history;
  const last = history[history.length - 1];
  return [
    ...history.slice(0, -1),
    { ...last, requestHeaders: log.requestHeaders ?? {}, requestBody: log.requestBody },
  ];
}

/** A delivery outcome waiting for its group commit. */
interface PendingOutcome {
  log: DeliveryRow;
  data: Record<string, unknown>;
  /** The webhook and the attempt's result, for the health update (none when nothing was sent). */
  health: { row: WebhookRow; result: SendResult } | null;
}

export interface DelivererDeps {
  sender: Sender;
  /** Render a delivery again from its captured context with the webhook as it is now. */
  rerender: (row: WebhookRow, contextKey: string) => Promise<RenderedRequest>;
  health: Health;
  waitForWrites: () => Promise<void> | null;
  definitionsChanged: () => Promise<void>;
  renderWindow: (row: WebhookRow, state: WindowState) => Promise<RenderedRequest>;
  /** Close due windows to joins (windows.ts, `seal`): the ids sealed. */
  sealWindows: (
    leased: { id: number; leaseOwner: string | null; state: WindowState }[]
  ) => Promise<Set<number>>;
}

/** A window that could not be sealed (changes still being fanned out) is looked at again this much later. */
const WINDOW_RECHECK_MS = 250;

/** One leased delivery at a time: prepare → call (send-signed.ts) → handle outcome (dispatch/outcome.ts) → group commit. */
export function createDeliverer(strapi: Core.Strapi, deps: DelivererDeps) {
  const cfg = () => getPluginConfig(strapi);

  /**
   * Outcomes that finish together are written together (dispatch/group-commit.ts): each
   * `UPDATE … WHERE id AND leaseOwner`, so an outcome whose lease was taken over is dropped —
   * one statement for the group on a server database, one transaction on SQLite (`queueBatch`)
   * — then the webhooks' health in completion order. A delivery resolves once its
   * outcome is committed, so the worker counts it in flight (and its row stays leased) until then.
   */
  const outcomes = createGroupCommit<PendingOutcome>({
    waitForWrites: deps.waitForWrites,
    // The database away: none of them can be written now (their leases keep the deliveries;
    // they are sent again once the leases run out).
    failsAll: isConnectionError,
    async write(batch) {
      const t = tableFor(strapi, LOG_UID);
      const now = new Date();
      const { warnings, disabled } = await queueBatch(strapi, async (db) => {
        await t.updateEachWhereIdAnd(
          db,
          'leaseOwner',
          batch.map((o) => ({
            id: o.log.id,
            value: o.log.leaseOwner,
            data: { ...o.data, updatedAt: now },
          }))
        );
        return deps.health.recordAttempts(
          db,
          batch.flatMap((o) => (o.health ? [o.health] : []))
        );
      });
      for (const w of warnings) strapi.log.warn(w);
      if (disabled) await deps.definitionsChanged();
    },
  });

  /** One attempt: send, then hand the outcome to `finish` (the group commit). */
  const attempt = async (
    log: DeliveryRow,
    finish: (data: Record<string, unknown>, health?: PendingOutcome['health']) => Promise<void>
  ): Promise<void> => {
    const row = log.webhook;
    if (!row)
      return finish({ status: 'exhausted', error: 'The webhook was deleted', nextAttemptAt: null });
    if (!row.enabled) {
      return finish({
        status: 'exhausted',
        error: `The webhook is disabled${row.disabledReason ? `: ${row.disabledReason}` : ''}`,
        nextAttemptAt: null,
      });
    }
    const attempts = (log.attempts ?? 0) + 1;
    const stored = {
      method: log.requestMethod,
      url: log.requestUrl,
      headers: log.requestHeaders ?? {},
      body: log.requestBody ?? '',
    };
    // Recovery (docs/architecture.md): the webhook changed since this was rendered, or its
    // render failed → render again (a window from its changes, a delivery from its captured
    // change) with the current definition; otherwise the stored request goes out as it is.
    const version = definitionVersion(row);
    let req: RenderedRequest = stored;
    let rendered: Record<string, unknown> = {};
    const windowState = log.coalesce ?? null;
    // A window its claim did not seal (sealWindows) may still take changes: it is not closed
    // yet by the changes it has (put back until it closes), or changes captured before its
    // close still wait in the outbox, or one joined since it was read (looked at again soon).
    if (windowState && log.requestBody == null && !log.sealed) {
      const close = closesAt(windowState);
      return finish({
        nextAttemptAt:
          close.getTime() > Date.now() ? close : new Date(Date.now() + WINDOW_RECHECK_MS),
      });
    }
    if (needsRender(log, version)) {
      try {
        req = windowState
          ? await deps.renderWindow(row, windowState)
          : await deps.rerender(row, log.contextKey as string);
        deps.health.rendered(row);
      } catch (err) {
        // The database away while reading the captured change: the lease keeps the delivery.
        if (isConnectionError(err)) throw err;
        await deps.health.failed(row, err);
        // Rendering is deterministic: it fails again until the webhook is fixed (then retried by hand).
        const error = `Not sent: rendering with the current webhook failed: ${(err as Error).message}`;
        const none = { status: null, headers: {}, body: null, durationMs: 0, error };
        return finish({
          status: 'exhausted',
          attempts,
          attemptLog: [...historyBefore(log, false), attemptEntry(none, error, null, null)],
          nextAttemptAt: null,
          webhookVersion: null,
          error,
        });
      }
      rendered = {
        requestUrl: req.url,
        requestMethod: req.method,
        requestBody: req.body,
        webhookVersion: version,
      };
    }
    const { result: pending, loggedHeaders, note } = deps.sender.send(row, req, log.messageId);
    const result = await pending;
    const outcome = classifyOutcome(result, {
      attemptsMade: attempts,
      maxAttempts: row.maxAttempts ?? 8,
      schedule: cfg().retrySchedule,
    });
    const error = outcome.kind === 'delivered' ? null : outcome.reason;
    if (error)
      strapi.log.debug(
        `[document-webhooks] delivery ${log.id} to webhook ${row.id} failed: ${error}`
      );
    return finish(
      {
        status: outcome.kind,
        attempts,
        attemptLog: [
          ...historyBefore(log, 'requestUrl' in rendered),
          attemptEntry(result, error, note, req),
        ],
        nextAttemptAt: outcome.kind === 'failed' ? outcome.nextAttemptAt : null,
        ...rendered,
        ...attemptColumns(result, loggedHeaders, error),
      },
      { row, result }
    );
  };

  return {
    /**
     * Seal the closed windows among claimed deliveries (windows.ts, `seal`), all in one
     * transaction; a window not sealed is given back by its attempt.
     */
    async sealWindows(rows: DeliveryRow[]): Promise<void> {
      const now = Date.now();
      const due = rows.flatMap((r) =>
        r.coalesce && r.requestBody == null && closesAt(r.coalesce).getTime() <= now
          ? [{ id: r.id, leaseOwner: r.leaseOwner, state: r.coalesce }]
          : []
      );
      if (!due.length) return;
      const sealed = await deps.sealWindows(due);
      for (const r of rows) r.sealed = sealed.has(r.id);
    },

    /**
     * One attempt of a leased delivery, then its outcome recorded (if we still hold the
     * lease). `sent` is called when the HTTP exchange is over (the worker's slot is free);
     * the promise resolves once the outcome is committed.
     */
    async deliver(log: DeliveryRow, sent: () => void = () => {}): Promise<void> {
      // Counted as sending until its outcome is queued: the group commit waits for the other
      // deliveries in flight rather than committing each outcome alone.
      outcomes.sending += 1;
      let queued = false;
      const finish = (data: Record<string, unknown>, health: PendingOutcome['health'] = null) => {
        queued = true;
        outcomes.sending -= 1;
        sent();
        return outcomes.record({
          log,
          data: { ...data, leaseOwner: null, leaseUntil: null },
          health,
        });
      };
      // Enough lease left for the request? (Half the lease at most: with a lease shorter than
      // the timeout, which the docs advise against, the request may outlive it anyway.)
      const needMs = Math.min(
        (log.webhook?.timeoutMs ?? cfg().defaultTimeoutMs) + LEASE_MARGIN_MS,
        cfg().leaseMs / 2
      );
      if (log.leaseUntil && Date.parse(log.leaseUntil) - Date.now() < needMs) {
        // Waited too long in the local queue: give it back untouched rather than risk a takeover mid-request.
        return finish({});
      }
      try {
        return await attempt(log, finish);
      } finally {
        if (!queued) {
          outcomes.sending -= 1;
          outcomes.nudge();
        }
      }
    },

    /** Write the outcomes still waiting for their group commit (engine stop). */
    flush: () => outcomes.flush(),
  };
}

export type Deliverer = ReturnType<typeof createDeliverer>;
