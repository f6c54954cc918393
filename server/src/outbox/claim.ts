import type { Core } from '@strapi/strapi';
import { LOG_UID, OUTBOX_UID } from '../plugin';
import { isConnectionError } from '../db-errors';
import {
  affected,
  dbClient,
  listOf,
  listValues,
  queueDb,
  queueTransaction,
  tableFor,
  type Db,
  type Table,
} from './rows';

/**
 * Dialect-specific leasing of the two queues (outbox events and due deliveries), for several
 * Strapi instances sharing one database:
 *
 * - PostgreSQL and MySQL 8 / MariaDB ≥ 10.6: candidates are selected `FOR UPDATE SKIP LOCKED`
 *   inside a transaction, so concurrent instances take disjoint rows instead of contending
 *   for the same ones; the lease is written in the same transaction.
 * - SQLite (one writer at a time) and older MySQL/MariaDB: a conditional UPDATE; the lease
 *   condition is re-checked by the UPDATE itself, so two instances never both win a row.
 *
 * In both cases a lease is a deadline (`leaseUntil`): a row whose lease expired (its instance
 * died or hung) is claimable again. Rows are read back by their `leaseOwner` token.
 *
 * Queries go through knex with the column names of Strapi's metadata, and page through the
 * queues: every call reads at most a bounded number of rows.
 */

const DUE = ['pending', 'failed'];

/** `items` in slices of at most 500: the bound values of one `IN (…)` stay well under every database's limit. */
function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += 500) out.push(items.slice(i, i + 500));
  return out;
}

export interface DeliveryClaimOptions {
  /** Webhooks at their concurrency cap in this instance: skip their rows. */
  busy: Set<number>;
  /** At most this many rows of one webhook in flight in this instance. */
  perWebhookConcurrency: number;
  /** Deliveries already in flight here per webhook id: they count against the cap. */
  inFlight?: Map<number, number>;
}

export type LockingMode = 'skip-locked' | 'conditional-update';

export function createClaimer(strapi: Core.Strapi) {
  const knex = () => (strapi.db as any).connection;
  const client = dbClient(strapi);

  const columns = (uid: string): Table => tableFor(strapi, uid);

  let mode: LockingMode | null = null;
  /** SKIP LOCKED where the server has it: PostgreSQL ≥ 9.5, MySQL ≥ 8.0, MariaDB ≥ 10.6. */
  async function lockingMode(): Promise<LockingMode> {
    if (mode) return mode;
    if (client === 'postgres') mode = 'skip-locked';
    else if (client === 'mysql') {
      let version = '';
      try {
        const res = await knex().raw('SELECT VERSION() AS v');
        const rows = Array.isArray(res) ? res[0] : res?.rows;
        version = String(rows?.[0]?.v ?? '');
      } catch (err) {
        // Unreachable now: decide on a later claim rather than settle for the fallback for good.
        if (isConnectionError(err)) throw err;
        version = '';
      }
      const m = /^(\d+)\.(\d+)/.exec(version);
      const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
      const maria = /mariadb/i.test(version);
      const ok = maria ? major > 10 || (major === 10 && minor >= 6) : major >= 8;
      mode = ok ? 'skip-locked' : 'conditional-update';
    } else mode = 'conditional-update';
    return mode;
  }

  /** `lease_until IS NULL OR lease_until < now` (`now`: the value or its stand-in, see `Db.runShaped`). */
  const leaseFree = (c: Table, now: unknown) => (qb: any) =>
    qb.whereNull(c.col('leaseUntil')).orWhere(c.col('leaseUntil'), '<', now);

  /**
   * Run `pick` on candidate rows and write the lease on the ids it returns. With SKIP LOCKED
   * the candidates stay locked (so invisible to other instances) until the lease is written.
   * `extra` (a name for its statement's shape, and a condition) narrows the lease's UPDATE.
   */
  async function lease<R>(
    c: Table,
    candidates: (db: Db, lock: boolean) => Promise<R[]>,
    pick: (db: Db, rows: R[]) => Promise<number[]> | number[],
    extra: [string, (qb: any) => any],
    token: string,
    leaseMs: number,
    now: Date
  ): Promise<number[]> {
    const m = await lockingMode();
    // Resolves to the ids asked for when at least one was leased; the caller reads them back
    // by id *and* `leaseOwner` (a conditional update may have lost some to another instance).
    const write = async (db: Db, ids: number[]) => {
      if (!ids.length) return [];
      const res = await db.runShaped(
        `${c.name}:lease:${extra[0]}:${ids.length}`,
        { ...listValues('id', ids), now, token, until: new Date(now.getTime() + leaseMs) },
        (v) =>
          db(c.name)
            .whereIn('id', listOf(v, 'id', ids.length))
            .where(leaseFree(c, v('now')))
            .where(extra[1])
            .update({ [c.col('leaseOwner')]: v('token'), [c.col('leaseUntil')]: v('until') })
      );
      return affected(res) > 0 ? ids : [];
    };
    const lock = m === 'skip-locked';
    const db = queueDb(strapi);
    if (!lock && !db.holdsConnection) return write(db, await pick(db, await candidates(db, false)));
    // SQLite's adapter holds its one connection for each statement anyway: in a transaction
    // it is acquired once for the claim, not per statement.
    return queueTransaction(strapi, async (trx) =>
      write(trx, await pick(trx, await candidates(trx, lock)))
    );
  }

  return {
    lockingMode,

    /**
     * Epoch ms of the earliest unleased due-or-future delivery: one ordered range scan per
     * status on (status, next_attempt_at), stopping at the first unleased row. `status IN (…)`
     * over both would sort every queued row (measured: the main per-iteration cost with a
     * 100k backlog).
     */
    async nextDueAt(): Promise<number | null> {
      const c = columns(LOG_UID);
      let best: number | null = null;
      for (const status of DUE) {
        // ORDER BY … LIMIT 1, not MIN(): with the extra `lease_owner IS NULL` term SQLite's MIN
        // aggregates every row of the status (a table lookup each: measured 1/s drains with a
        // 100k backlog), where the ordered index scan stops at the first unleased row.
        const row = await knex()(c.name)
          .select({ next: c.col('nextAttemptAt') })
          .where(c.col('status'), status)
          .whereNull(c.col('leaseOwner'))
          .whereNotNull(c.col('nextAttemptAt'))
          .orderBy(c.col('nextAttemptAt'), 'asc')
          .limit(1)
          .first();
        const t = row?.next == null ? null : new Date(row.next).getTime();
        if (t !== null && !Number.isNaN(t) && (best === null || t < best)) best = t;
      }
      return best;
    },

    /**
     * Lease up to `limit` outbox records, oldest first; resolves to the ids tried (see `lease`).
     * A record is skipped this round while an older record of the same document (same
     * content type and document id) is leased elsewhere (or by an earlier claim here): fanning
     * it out first would create its deliveries before the older change's, and the delivery
     * claim orders a document's deliveries by their creation.
     */
    async claimOutbox(token: string, limit: number, leaseMs: number): Promise<number[]> {
      const c = columns(OUTBOX_UID);
      const now = new Date();
      const [typeC, docC, leaseC] = ['contentType', 'targetDocumentId', 'leaseUntil'].map((a) =>
        c.col(a)
      );
      type Cand = { id: number; type: string | null; doc: string | null };
      return lease<Cand>(
        c,
        async (db, lock) => {
          const rows = await db.runShaped(`${c.name}:candidates:${limit}:${lock}`, { now }, (v) => {
            const q = db(c.name)
              .select({ id: 'id', type: typeC, doc: docC })
              .where(leaseFree(c, v('now')))
              .orderBy('id', 'asc')
              .limit(limit);
            return lock ? q.forUpdate().skipLocked() : q;
          });
          return rows.map((r: any) => ({
            id: Number(r.id),
            type: r.type ?? null,
            doc: r.doc ?? null,
          }));
        },
        async (db, rows) => {
          const docs = [...new Set(rows.map((r) => r.doc).filter((d): d is string => Boolean(d)))];
          // Oldest record still leased (unexpired) per (content type, document) among these documents.
          const oldestLeased = new Map<string, number>();
          const key = (t: string | null, d: string | null) => `${t}\u0000${d}`;
          for (const chunk of chunks(docs)) {
            const leased = await db.runShaped(
              `${c.name}:oldest-leased:${chunk.length}`,
              { ...listValues('doc', chunk), now },
              (v) =>
                db(c.name)
                  .select({ type: typeC, doc: docC })
                  .min({ id: 'id' })
                  .whereIn(docC, listOf(v, 'doc', chunk.length))
                  .where(leaseC, '>=', v('now'))
                  .groupBy(typeC, docC)
            );
            for (const r of leased)
              oldestLeased.set(key(r.type ?? null, r.doc ?? null), Number(r.id));
          }
          return rows
            .filter((r) => {
              if (!r.doc) return true;
              const older = oldestLeased.get(key(r.type, r.doc));
              return older === undefined || older > r.id;
            })
            .map((r) => r.id);
        },
        ['all', () => {}],
        token,
        leaseMs,
        now
      );
    },

    /**
     * Lease up to `limit` due deliveries: oldest due first, at most one per (webhook,
     * document) in flight at a time (across instances: rows leased elsewhere count), at most
     * `perWebhookConcurrency` per webhook, webhooks in `busy` skipped.
     */
    async claimDeliveries(
      token: string,
      limit: number,
      leaseMs: number,
      opts: DeliveryClaimOptions
    ): Promise<number[]> {
      const c = columns(LOG_UID);
      const now = new Date();
      const [idC, webhookC, docC, statusC, nextC, leaseC] = [
        'id',
        'webhookId',
        'targetDocumentId',
        'status',
        'nextAttemptAt',
        'leaseUntil',
      ].map((a) => (a === 'id' ? 'id' : c.col(a)));
      const busy = [...opts.busy];
      // Look a little past `limit`: some candidates share a (webhook, document) or belong to a
      // webhook that reaches its cap in this claim. Not much further: every row read costs
      // (measured: reading 4 × `limit` was the claim's largest statement), and a webhook at
      // its cap is left out of the next claim's scan altogether (`busy`).
      const window = Math.min(limit * 2, 1000);
      type Cand = { id: number; webhookId: number; doc: string | null; next: number };
      return lease<Cand>(
        c,
        async (db, lock) => {
          // One query per status, each an ordered range scan of the (status, next_attempt_at)
          // index, merged here: `status IN (…) ORDER BY next_attempt_at` would sort every due row.
          const rows: Cand[] = [];
          for (const status of DUE) {
            const found = await db.runShaped(
              `${c.name}:candidates:${window}:${busy.length}:${lock}`,
              { status, now, ...listValues('busy', busy) },
              (v) => {
                let q = db(c.name)
                  .select({ id: idC, webhookId: webhookC, doc: docC, next: nextC })
                  .where(statusC, v('status'))
                  .where(nextC, '<=', v('now'))
                  .where(leaseFree(c, v('now')))
                  .orderBy([
                    { column: nextC, order: 'asc' },
                    { column: idC, order: 'asc' },
                  ])
                  .limit(window);
                if (busy.length) q = q.whereNotIn(webhookC, listOf(v, 'busy', busy.length));
                return lock ? q.forUpdate().skipLocked() : q;
              }
            );
            for (const r of found)
              rows.push({
                id: Number(r.id),
                webhookId: Number(r.webhookId),
                doc: r.doc ?? null,
                next: new Date(r.next).getTime(),
              });
          }
          rows.sort((a, b) => a.next - b.next || a.id - b.id);
          return rows.slice(0, window);
        },
        async (db, rows) => {
          if (!rows.length) return [];
          const key = (w: number, d: string | null) => `${w}:${d}`;
          const docs = [...new Set(rows.map((r) => r.doc).filter((d): d is string => Boolean(d)))];
          const taken = new Set<string>();
          // Deliveries of these documents in flight anywhere: leased and unexpired (an outcome
          // clears the lease, so no status test). A `status IN (…)` term here made SQLite, which
          // has no statistics unless ANALYZE ran, walk the (status, next_attempt_at) index over
          // the whole backlog instead of looking the documents up (measured: 5 ms per claim
          // with 30,000 queued).
          for (const chunk of chunks(docs)) {
            const inFlight = await db.runShaped(
              `${c.name}:in-flight:${chunk.length}`,
              { ...listValues('doc', chunk), now },
              (v) =>
                db(c.name)
                  .select({ webhookId: webhookC, doc: docC })
                  .whereIn(docC, listOf(v, 'doc', chunk.length))
                  .where(leaseC, '>=', v('now'))
            );
            for (const r of inFlight) taken.add(key(Number(r.webhookId), r.doc));
          }
          const perWebhook = new Map<number, number>();
          const chosen: number[] = [];
          for (const r of rows) {
            if (chosen.length >= limit) break;
            if (r.doc && taken.has(key(r.webhookId, r.doc))) continue;
            const n = perWebhook.get(r.webhookId) ?? opts.inFlight?.get(r.webhookId) ?? 0;
            if (n >= opts.perWebhookConcurrency) continue;
            if (r.doc) taken.add(key(r.webhookId, r.doc));
            perWebhook.set(r.webhookId, n + 1);
            chosen.push(r.id);
          }
          return chosen;
        },
        ['due', (qb) => qb.whereIn(statusC, DUE)],
        token,
        leaseMs,
        now
      );
    },
  };
}

export type Claimer = ReturnType<typeof createClaimer>;
