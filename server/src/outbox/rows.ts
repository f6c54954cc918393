import type { Core } from '@strapi/strapi';

/**
 * Plain-knex access to one of the plugin's own tables, for the delivery hot path (claim
 * read-back, outcomes, fan-out inserts). Strapi's query layer costs ~0.1–0.3 ms of CPU per
 * call in where/select processing and row transforms (measured: with it, the worker spent
 * more time there than sending); these tables are flat (no relations, components or
 * lifecycles of ours), so mapping attribute ↔ column and the JSON/date/boolean conversions
 * Strapi's fields do is all that is needed. Column names come from Strapi's metadata.
 */
export interface Table {
  name: string;
  col(attribute: string): string;
  /** Attributes → a row for INSERT/UPDATE (unknown attributes throw: a typo must not be silently dropped). */
  toRow(data: Record<string, unknown>): Record<string, unknown>;
  /** A selected row → attributes (only the columns present). */
  fromRow(row: Record<string, unknown>): Record<string, any>;
  /**
   * `UPDATE … SET data WHERE id = ? AND <attribute> = ?` in `trx`. The SQL is compiled once per
   * set of columns and run as a raw statement: knex builds every query anew (~0.1 ms for a
   * dozen columns, once per delivery outcome).
   */
  updateWhereIdAnd(trx: any, id: number, attribute: string, value: unknown, data: Record<string, unknown>): Promise<unknown>;
  /** The rows `ids` still leased to `owner`, by id, as attributes (`attributes`: only those). */
  selectLeased(k: any, ids: number[], owner: string, attributes?: string[]): Promise<Record<string, any>[]>;
}

type Kind = 'json' | 'datetime' | 'boolean' | 'plain';

export function createTable(strapi: Core.Strapi, uid: string): Table {
  const meta = (strapi.db as any).metadata.get(uid);
  const kinds = new Map<string, Kind>();
  const columns = new Map<string, string>();
  const attributesOf = new Map<string, string>();
  for (const [name, a] of Object.entries<any>(meta.attributes)) {
    if (!a.columnName) continue;
    columns.set(name, a.columnName);
    attributesOf.set(a.columnName, name);
    kinds.set(name, a.type === 'json' ? 'json' : a.type === 'datetime' || a.type === 'timestamp' ? 'datetime' : a.type === 'boolean' ? 'boolean' : 'plain');
  }
  const col = (attribute: string) => {
    const c = columns.get(attribute);
    if (!c) throw new Error(`[document-webhooks] ${uid} has no column for "${attribute}"`);
    return c;
  };
  const compiled = new Map<string, string>();
  return {
    name: meta.tableName,
    col,
    updateWhereIdAnd(trx, id, attribute, value, data) {
      const row = this.toRow(data);
      const cols = Object.keys(row);
      const key = `${attribute}|${cols.join(',')}`;
      let sql = compiled.get(key);
      if (sql === undefined) {
        // Placeholders only: the values below are bound in the same order (SET …, then WHERE).
        sql = trx(meta.tableName).where('id', 0).where(col(attribute), '').update(row).toSQL().sql as string;
        compiled.set(key, sql);
      }
      const bindings = [...cols.map((c) => row[c]), id, value];
      if (trx.client?.driverName === 'better-sqlite3') return runPrepared(trx, sql, bindings);
      return trx.raw(sql, bindings);
    },
    async selectLeased(k, ids, owner, attributes) {
      let q = k(meta.tableName).whereIn('id', ids).where(col('leaseOwner'), owner).orderBy('id', 'asc');
      if (attributes) q = q.select(attributes.map(col));
      return (await q).map((r: Record<string, unknown>) => this.fromRow(r));
    },
    toRow(data) {
      const row: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(data)) {
        if (value === undefined) continue;
        const kind = kinds.get(name);
        // Same conversions as Strapi's JSONField/DatetimeField.toDB.
        row[col(name)] =
          value === null ? null : kind === 'json' ? (typeof value === 'object' ? JSON.stringify(value) : value) : kind === 'datetime' ? new Date(value as any) : value;
      }
      return row;
    },
    fromRow(row) {
      const out: Record<string, any> = {};
      for (const [column, value] of Object.entries(row)) {
        const name = attributesOf.get(column) ?? column;
        const kind = kinds.get(name);
        if (value == null) out[name] = value ?? null;
        else if (kind === 'json') out[name] = typeof value === 'string' ? parseJson(value) : value;
        else if (kind === 'datetime') out[name] = new Date(value as any).toISOString();
        else if (kind === 'boolean') out[name] = Boolean(value);
        else out[name] = value;
      }
      return out;
    },
  };
}

/**
 * A transaction of the delivery worker on the queue tables. On MySQL/MariaDB it runs at READ
 * COMMITTED: at InnoDB's default REPEATABLE READ, `SELECT … FOR UPDATE SKIP LOCKED` and
 * `DELETE`s also lock the gaps they scan (up to the end of the table), and a document write
 * inserting its outbox row meanwhile could deadlock and fail (seen in the integration suite
 * with concurrent writes). The worker's statements only touch the rows they name, so it needs
 * no gap locks. PostgreSQL and SQLite have no gap locks: default isolation.
 */
export function queueTransaction<R>(strapi: Core.Strapi, cb: (trx: any) => Promise<R>): Promise<R> {
  return (strapi.db as any).connection.transaction(cb, dbClient(strapi) === 'mysql' ? { isolationLevel: 'read committed' } : undefined);
}

/** Strapi's database client: 'sqlite', 'postgres' or 'mysql' (MySQL and MariaDB). */
export function dbClient(strapi: Core.Strapi): string {
  const db = strapi.db as any;
  return db.dialect?.client ?? db.config?.connection?.client ?? 'sqlite';
}

/**
 * better-sqlite3: run `sql` as a statement prepared once per connection. knex prepares every
 * statement anew (`connection.prepare` on each query); for the one statement run per delivery
 * outcome that was a measurable share of a drain. Bindings as knex formats them for this driver.
 */
const prepared = new WeakMap<object, Map<string, any>>();
async function runPrepared(trx: any, sql: string, bindings: unknown[]) {
  const conn = await trx.client.acquireConnection();
  let cache = prepared.get(conn);
  if (!cache) prepared.set(conn, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = conn.prepare(sql)));
  return stmt.run(bindings.map((b) => (b instanceof Date ? b.valueOf() : typeof b === 'boolean' ? Number(b) : b)));
}

const tables = new WeakMap<object, Map<string, Table>>();
/** The Table of `uid`, made once per Strapi instance (metadata is read on first use, after load). */
export function tableFor(strapi: Core.Strapi, uid: string): Table {
  let byUid = tables.get(strapi);
  if (!byUid) tables.set(strapi, (byUid = new Map()));
  let t = byUid.get(uid);
  if (!t) byUid.set(uid, (t = createTable(strapi, uid)));
  return t;
}

function parseJson(value: string) {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Affected-row count of a knex UPDATE/DELETE across dialects. */
export const affected = (res: unknown): number => (typeof res === 'number' ? res : Number((res as any)?.[0] ?? res ?? 0));
