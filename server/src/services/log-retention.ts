import type { Core } from '@strapi/strapi';
import { CONTEXT_UID, LOG_UID, getPluginConfig } from '../plugin';
import { getService } from '../utils/get-service';
import { affected, tableFor } from '../outbox/rows';
import { createLease } from '../retention/lease';
import { PURGE_PACING, nextBatchSize, pauseAfter } from '../retention/batches';

/** Records the retention purge deletes once expired. */
const FINISHED = ['delivered', 'exhausted'];
/** The purge renews its lease every quarter of this; an instance gone mid-purge holds it this long. */
const PURGE_LEASE_MS = 60_000;

/**
 * The request log's retention purge (docs/scaling.md, "Request-log retention"), part of the
 * `logs` service: finished records past `logRetentionDays`, then the captured changes no
 * record refers to any more. Its pacing and lease are `retention/`.
 */
export const logRetention = (strapi: Core.Strapi) => {
  /**
   * Captured changes (content-types/context) older than the cutoff that no request-log record
   * refers to any more, in batches (the records go first, above; a context is never younger
   * than its records).
   */
  const purgeContexts = async (cutoff: Date) => {
    const c = tableFor(strapi, CONTEXT_UID);
    const l = tableFor(strapi, LOG_UID);
    const knex = (strapi.db as any).connection;
    for (;;) {
      const ids = (
        await knex(c.name)
          .select('id')
          .where(c.col('createdAt'), '<', cutoff)
          .whereNotExists(
            knex(l.name)
              .select('id')
              .whereRaw('?? = ??', [
                `${l.name}.${l.col('contextKey')}`,
                `${c.name}.${c.col('contextKey')}`,
              ])
          )
          .limit(PURGE_PACING.startRows)
      ).map((r: { id: number }) => r.id);
      if (!ids.length) return;
      await knex(c.name).whereIn('id', ids).del();
      if (ids.length < PURGE_PACING.startRows) return;
    }
  };

  return {
    /**
     * Delete finished records older than `logRetentionDays` (pending/failed are kept), in
     * short batches paced so document writes are not held up, on one instance at a time
     * (docs/scaling.md, "Request-log retention"). `leased: false`: another instance holds the
     * job's lease (it is purging), nothing was done here.
     */
    async purgeExpired(now = Date.now()) {
      const days = getPluginConfig(strapi).logRetentionDays;
      if (!days) return { count: 0, leased: false };
      const lease = createLease(strapi, 'log-retention', getService(strapi, 'engine').instanceId);
      if (!(await lease.acquire(PURGE_LEASE_MS))) return { count: 0, leased: false };
      const t = tableFor(strapi, LOG_UID);
      const knex = (strapi.db as any).connection;
      const expired = (qb: any) =>
        qb
          .whereIn(t.col('status'), FINISHED)
          .where(t.col('createdAt'), '<', new Date(now - days * 86400_000));
      let count = 0;
      let rows = PURGE_PACING.startRows;
      let renewedAt = Date.now();
      try {
        for (;;) {
          const t0 = performance.now();
          // Ids first, then a DELETE by id (portable: PostgreSQL has no DELETE … LIMIT, MySQL no
          // LIMIT in a subquery of the table deleted from). It re-checks the status, so a record
          // requeued in between (retry) stays, through LOWER(): on a bare `status IN` SQLite
          // walks the status index over every expired row instead of looking the ids up
          // (measured: under 1,000 rows/s from a log of a million).
          const ids = (await knex(t.name).select('id').where(expired).limit(rows)).map(
            (r: { id: number }) => r.id
          );
          if (!ids.length) break;
          const finished = knex.raw(`LOWER(??) IN (${FINISHED.map(() => '?').join(', ')})`, [
            t.col('status'),
            ...FINISHED,
          ]);
          count += affected(await knex(t.name).whereIn('id', ids).where(finished).del());
          const ms = performance.now() - t0;
          if (ids.length < rows) break;
          rows = nextBatchSize(rows, ms);
          await new Promise((r) => setTimeout(r, pauseAfter(ms)));
          if (Date.now() - renewedAt > PURGE_LEASE_MS / 4) {
            // Lost: this process stalled past the lease and another instance took the job over.
            if (!(await lease.renew(PURGE_LEASE_MS))) break;
            renewedAt = Date.now();
          }
        }
        await purgeContexts(new Date(now - days * 86400_000));
      } finally {
        // Otherwise it frees itself when it expires.
        await lease.release().catch(() => {});
      }
      return { count, leased: true };
    },
  };
};
