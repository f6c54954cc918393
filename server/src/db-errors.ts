/**
 * The database going away (a restart, a failover, a lock held by another process) as opposed
 * to a query that is wrong: the first is waited out (the worker backs off, the admin API
 * answers 503), the second is a bug to log. docs/scaling.md, "Database restarts and failover".
 */

/** PostgreSQL SQLSTATEs of a connection going away: admin/crash shutdown, cannot connect now. */
const PG_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Node socket errors, mysql/mysql2 and better-sqlite3 codes of the same kind. */
const CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_RECOVERY',
  'SQLITE_LOCKED',
]);
/** Driver messages without a code (pg's client, knex's pool and transactions). */
const MESSAGES = [
  /Connection terminated/i,
  /Connection ended unexpectedly/i,
  /Client has encountered a connection error and is not queryable/i,
  /Knex: Timeout acquiring a connection/i,
  /Can't add new command when connection is in closed state/i,
  /database is locked/i,
];

/**
 * Whether `err` (or an error it wraps: `cause`, Strapi's `originalError`/`details`) says the
 * database is unreachable or busy rather than that the statement failed. Pure.
 */
export function isConnectionError(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (
    let e: any = err;
    e && typeof e === 'object' && !seen.has(e);
    e = e.cause ?? e.originalError ?? e.details?.error
  ) {
    seen.add(e);
    const code = typeof e.code === 'string' ? e.code : '';
    if (PG_CODES.has(code) || code.startsWith('08') || CODES.has(code)) return true;
    if (e.name === 'KnexTimeoutError' && /acquir/i.test(String(e.message))) return true;
    // mysql2: an error that closed the connection.
    if (e.fatal === true) return true;
    if (MESSAGES.some((re) => re.test(String(e.message ?? '')))) return true;
  }
  return false;
}

/** A short reason for the log: the error's code and first line. */
export function describeDbError(err: unknown): string {
  const e = err as any;
  const message = String(e?.message ?? err).split('\n')[0];
  // knex prefixes the SQL ("select … - terminating connection …"): keep the driver's part.
  const reason = message.includes(' - ') ? message.slice(message.lastIndexOf(' - ') + 3) : message;
  return e?.code && !reason.includes(e.code) ? `${e.code}: ${reason}` : reason;
}

/**
 * One line when the database goes away and one when it is back, however many calls fail in
 * between (each worker step, each delivery outcome, the index refresh).
 */
export function createOutageLog(
  log: { warn(msg: string): void; info(msg: string): void },
  now: () => number = Date.now
) {
  let since: number | null = null;
  return {
    get down() {
      return since !== null;
    },
    /** A call failed with a connection error (isConnectionError). */
    failed(err: unknown) {
      if (since !== null) return;
      since = now();
      log.warn(
        `[document-webhooks] database unavailable (${describeDbError(err)}): deliveries paused, retrying with backoff`
      );
    },
    /** A call succeeded. */
    succeeded() {
      if (since === null) return;
      const s = ((now() - since) / 1000).toFixed(1);
      since = null;
      log.info(`[document-webhooks] database available again after ${s} s: deliveries resume`);
    },
  };
}
