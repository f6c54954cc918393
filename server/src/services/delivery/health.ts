import type { Core } from '@strapi/strapi';
import type { WebhookRow } from '../../definitions/types';
import type { SendResult } from '../../send/send';
import { isSuccess } from '../../dispatch/outcome';
import { affected, tableFor, type Db } from '../../outbox/rows';
import { getPluginConfig, WEBHOOK_UID } from '../../plugin';

/**
 * Webhook health: the failure streak and auto-disable (410 Gone, `autoDisableAfterHours`),
 * and the pause of a webhook whose renders keep hitting the sandbox limits
 * (`pauseAfterLimitHits`, docs/security.md). Webhook rows come from the shared cache
 * (webhook-cache.ts) and are never mutated: what this instance learnt since a row was read is
 * kept here, by row object.
 */
export function createHealth(
  strapi: Core.Strapi,
  deps: { definitionsChanged: () => Promise<void> }
) {
  const cfg = () => getPluginConfig(strapi);
  const table = () => tableFor(strapi, WEBHOOK_UID);
  /** The streak start as last written here for a row object (null: ended); else the row's own. */
  const failingSince = new WeakMap<WebhookRow, string | null>();
  /** Per webhook, renders/conditions in a row that hit a sandbox limit (reset by a success). */
  const limitHits = new Map<number, number>();
  /** Webhook rows (as read) that were paused: their queued plans are not run. */
  const pausedRows = new WeakMap<WebhookRow, string>();

  const streakOf = (row: WebhookRow) =>
    failingSince.has(row) ? failingSince.get(row) : row.failingSince;

  /**
   * Track continuous failure; disable on 410 Gone or after `autoDisableAfterHours`. `row` was
   * read before the attempt, and other deliveries to the same webhook run concurrently, so
   * the streak is kept with conditional updates and read back fresh rather than trusted from
   * `row` (a success that raced a failure must still end the streak). Resolves to undefined,
   * or when the webhook was disabled the warning to log ('' if another delivery did it).
   */
  const update = async (trx: Db, row: WebhookRow, r: SendResult): Promise<string | undefined> => {
    const now = new Date();
    const w = table();
    const since = w.col('failingSince');
    if (isSuccess(r)) {
      await trx(w.name)
        .where('id', row.id)
        .whereNotNull(since)
        .update({ [since]: null });
      failingSince.set(row, null);
      return undefined;
    }
    let disabledReason: string | null = null;
    if (r.status === 410) {
      disabledReason = `Disabled on ${now.toISOString()}: the receiver answered 410 Gone`;
    } else {
      // Start a streak unless one is running.
      await trx(w.name)
        .where('id', row.id)
        .whereNull(since)
        .update(w.toRow({ failingSince: now }));
      // Deliveries claimed with this row object see the streak (a later success must end it).
      failingSince.set(row, streakOf(row) ?? now.toISOString());
      const fresh = await trx(w.name).where('id', row.id).first(since);
      const t = fresh?.[since] != null ? new Date(w.fromRow(fresh).failingSince).getTime() : NaN;
      if (
        cfg().autoDisableAfterHours > 0 &&
        Number.isFinite(t) &&
        now.getTime() - t >= cfg().autoDisableAfterHours * 3600_000
      ) {
        disabledReason = `Disabled on ${now.toISOString()}: deliveries failed continuously since ${new Date(t).toISOString()}`;
      }
    }
    if (disabledReason) {
      // Only the first of concurrent failures disables (and warns).
      const res = await trx(w.name)
        .where('id', row.id)
        .where(w.col('enabled'), true)
        .update(w.toRow({ enabled: false, disabledReason, updatedAt: now }));
      return affected(res) > 0
        ? `[document-webhooks] webhook ${row.id} "${row.name}": ${disabledReason}`
        : '';
    }
    return undefined;
  };

  return {
    /**
     * The health updates of a group commit's attempts, in completion order, with its outcomes
     * (`queueBatch`: one transaction on SQLite; on a server database each conditional update
     * stands alone, which they are written to allow). A run of successes of one webhook needs
     * one update only, and so does a run of failures other than 410 (the first starts the
     * streak, the same clock decides auto-disable for all): a hanging receiver's timeouts end
     * together. Resolves to the warnings to log once committed and whether a webhook was
     * disabled.
     */
    async recordAttempts(
      trx: Db,
      attempts: { row: WebhookRow; result: SendResult }[]
    ): Promise<{ warnings: string[]; disabled: boolean }> {
      const warnings: string[] = [];
      let disabled = false;
      const last = new Map<number, 'success' | 'failure'>();
      for (const { row, result } of attempts) {
        if (isSuccess(result)) {
          // Nothing to end if no streak was running when the webhook was read (with the claim).
          if (last.get(row.id) === 'success' || streakOf(row) == null) continue;
          last.set(row.id, 'success');
        } else if (result.status !== 410) {
          if (last.get(row.id) === 'failure') continue;
          last.set(row.id, 'failure');
        } else last.delete(row.id);
        const warning = await update(trx, row, result);
        if (warning !== undefined) disabled = true;
        if (warning) warnings.push(warning);
      }
      return { warnings, disabled };
    },

    /** The reason this row's webhook was paused, if it was. */
    paused: (row: WebhookRow): string | undefined => pausedRows.get(row),

    /** A render went through: the run of limit hits is over. */
    rendered(row: WebhookRow) {
      limitHits.delete(row.id);
    },

    /**
     * A render or condition failed; if a sandbox limit stopped it, count it. A webhook whose
     * renders keep hitting the limits is paused like an auto-disabled one (enabled false,
     * `disabledReason`), so it stops taking render time from the others.
     */
    async failed(row: WebhookRow, err: unknown) {
      if (!(err as { limit?: string } | null)?.limit) return;
      const hits = (limitHits.get(row.id) ?? 0) + 1;
      limitHits.set(row.id, hits);
      const after = cfg().pauseAfterLimitHits;
      if (after <= 0 || hits < after || pausedRows.has(row)) return;
      const now = new Date();
      const disabledReason = `Paused on ${now.toISOString()}: ${hits} renders or conditions in a row hit the sandbox limits (last: ${(err as Error).message})`;
      pausedRows.set(row, disabledReason);
      limitHits.delete(row.id);
      const w = table();
      const res = await (strapi.db as any)
        .connection(w.name)
        .where('id', row.id)
        .where(w.col('enabled'), true)
        .update(w.toRow({ enabled: false, disabledReason, updatedAt: now }));
      if (affected(res) > 0)
        strapi.log.warn(`[document-webhooks] webhook ${row.id} "${row.name}": ${disabledReason}`);
      await deps.definitionsChanged();
    },
  };
}

export type Health = ReturnType<typeof createHealth>;
