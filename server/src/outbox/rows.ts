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
   * `UPDATE … SET data WHERE id = ? AND <attribute> = ?` on `db`. The SQL is compiled once per
   * set of columns: knex builds every query anew (~0.1 ms for a dozen columns, once per
   * delivery outcome).
   */
  updateWhereIdAnd(db: Db, id: number, attribute: string, value: unknown, data: Record<string, unknown>): Promise<unknown>;
  /** The rows `ids` still leased to `owner`, by id, as attributes (`attributes`: only those). */
  selectLeased(db: Db, ids: number[], owner: string, attributes?: string[]): Promise<Record<string, any>[]>;
  /** INSERT rows (attributes) on `db`. */
  insert(db: Db, data: Record<string, unknown>[]): Promise<void>;
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
  const inserts = new Map<string, { sql: string; order: string[] }>();
  return {
    name: meta.tableName,
    col,
    updateWhereIdAnd(db, id, attribute, value, data) {
      const row = this.toRow(data);
      const cols = Object.keys(row);
      const key = `${attribute}|${cols.join(',')}`;
      let sql = compiled.get(key);
      if (sql === undefined) {
        // Placeholders only: the values below are bound in the same order (SET …, then WHERE).
        sql = db(meta.tableName).where('id', 0).where(col(attribute), '').update(row).toSQL().sql as string;
        compiled.set(key, sql);
      }
      return db.runSql(sql, [...cols.map((c) => row[c]), id, value]);
    },
    async insert(db, data) {
      const rows = data.map((d) => this.toRow(d));
      if (!db.prepared) {
        for (let i = 0; i < rows.length; i += 100) await db.run(db(meta.tableName).insert(rows.slice(i, i + 100)));
        return;
      }
      // Prepared: one single-row INSERT per set of columns, run once per row (knex compiles a
      // multi-row INSERT into a long UNION ALL, column by column, every time).
      for (const row of rows) {
        const key = `insert|${Object.keys(row).join(',')}`;
        let insert = inserts.get(key);
        if (!insert) {
          // Compiled with each column's name as its value: the bindings then give the order
          // knex puts the columns in.
          const { sql, bindings } = db(meta.tableName).insert(Object.fromEntries(Object.keys(row).map((c) => [c, c]))).toSQL();
          inserts.set(key, (insert = { sql, order: bindings as string[] }));
        }
        await db.runSql(insert.sql, insert.order.map((c) => row[c]));
      }
    },
    async selectLeased(db, ids, owner, attributes) {
      const rows: Record<string, unknown>[] = await db.runShaped(
        `${meta.tableName}:leased:${ids.length}:${attributes ?? '*'}`,
        { ...listValues('id', ids), owner },
        (v) => {
          const q = db(meta.tableName).whereIn('id', listOf(v, 'id', ids.length)).where(col('leaseOwner'), v('owner')).orderBy('id', 'asc');
          return attributes ? q.select(attributes.map(col)) : q;
        }
      );
      return rows.map((r) => this.fromRow(r));
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
 * Where the worker's statements run. `db(table)` makes a knex builder and `db.run(builder)`
 * runs it: the rows of a SELECT, the affected rows of an UPDATE or DELETE (`affected`).
 *
 * On better-sqlite3 with its one pooled connection (Strapi's SQLite setup), `run` takes the
 * SQL knex compiles and runs it as a statement prepared once per connection, and a queue
 * transaction is a BEGIN … COMMIT on that connection: knex prepares every statement anew,
 * goes through its pool and runner for each, and builds a transaction object per
 * transaction (measured: a quarter of the CPU a drain spent in the database layer, and more
 * than half of what knex allocated).
 * With one connection, holding it keeps every other statement of the process out, as a knex
 * transaction does. Other databases, or a SQLite pool of several connections: plain knex.
 */
export interface Db {
  (table: string): any;
  run(builder: any): Promise<any>;
  /** Run compiled SQL with positional bindings (`?`). */
  runSql(sql: string, bindings: unknown[]): Promise<any>;
  /**
   * Run the statement `build` makes, with `values` bound by name: `build(v)` puts `v(name)`
   * where a value goes. On the prepared path it is built and compiled once per `shape`, and
   * later runs only bind (measured: knex building and compiling the claim's statements was
   * ~4 % of a drain's CPU). `shape` names the call site and everything else the SQL depends
   * on (list lengths, limits, flags). Elsewhere it is built with the values each time.
   */
  runShaped(shape: string, values: Record<string, unknown>, build: (v: (name: string) => unknown) => any): Promise<any>;
  /** Statements run prepared (better-sqlite3), so many small ones are cheap. */
  prepared: boolean;
}

const knexOf = (strapi: Core.Strapi) => (strapi.db as any).connection;

/** better-sqlite3 on one connection (a pool of one, or a transaction's): the prepared path applies. */
function preparedPath(k: any): boolean {
  return k.client?.driverName === 'better-sqlite3' && (k.client.transacting === true || k.client.pool?.max === 1);
}

/** The worker's statements outside a transaction. */
export const queueDb = (strapi: Core.Strapi): Db => dbOf(knexOf(strapi));

/**
 * A knex instance, or a knex transaction (the capture's insert runs in the document write's
 * transaction: a knex transaction's client hands out its own connection), as a Db.
 */
export function dbOf(k: any): Db {
  if (preparedPath(k)) {
    return preparedDb(k, shapesOf(k), async (sql, bindings) => {
      const conn = await k.client.acquireConnection();
      try {
        return runOn(conn, sql, bindings);
      } finally {
        k.client.releaseConnection(conn);
      }
    });
  }
  const db = ((table: string) => k(table)) as Db;
  db.prepared = false;
  db.run = async (builder) => builder;
  db.runSql = async (sql, bindings) => k.raw(sql, bindings);
  db.runShaped = async (_shape, values, build) => build((name) => valueOf(values, name));
  return db;
}

/** A Db whose builders come from `k` and whose statements run through `runSql`. */
function preparedDb(k: any, shapes: Shapes, runSql: Db['runSql']): Db {
  const db = ((table: string) => k(table)) as Db;
  db.prepared = true;
  db.runSql = runSql;
  db.run = (builder) => {
    const { sql, bindings } = builder.toSQL();
    return runSql(sql, bindings);
  };
  db.runShaped = async (shape, values, build) => {
    let compiled = shapes.get(shape);
    if (!compiled) {
      // Built once with a stand-in string per named value: where each stand-in lands among
      // the bindings gives the order to bind the values in. Other bindings (a limit) are kept.
      const { sql, bindings } = build((name) => STAND_IN + name).toSQL();
      const slots = (bindings as unknown[]).map((b) => (typeof b === 'string' && b.startsWith(STAND_IN) ? { name: b.slice(STAND_IN.length) } : { value: b }));
      if (shapes.size >= MAX_STATEMENTS) shapes.delete(shapes.keys().next().value as string);
      shapes.set(shape, (compiled = { sql, slots }));
    }
    return runSql(
      compiled.sql,
      compiled.slots.map((slot) => ('name' in slot ? valueOf(values, slot.name) : slot.value))
    );
  };
  return db;
}

/** Compiled statements by shape, per knex instance (one database, so one SQL per shape). */
type Shapes = Map<string, { sql: string; slots: ({ name: string } | { value: unknown })[] }>;
const shapesByKnex = new WeakMap<object, Shapes>();
function shapesOf(k: any): Shapes {
  // By the client's config: a transaction's client shares it with its knex instance.
  const key = k.client.config;
  let shapes = shapesByKnex.get(key);
  if (!shapes) shapesByKnex.set(key, (shapes = new Map()));
  return shapes;
}
const STAND_IN = '\u0000dw:';

/** Values for a list bound by `runShaped`: `name0`, `name1`, … (see `listOf`). */
export const listValues = (name: string, items: readonly unknown[]): Record<string, unknown> =>
  Object.fromEntries(items.map((item, i) => [name + i, item]));
/** The stand-ins of a list of `n` values (`listValues`), for a `build` of `runShaped`. */
export const listOf = (v: (name: string) => unknown, name: string, n: number): unknown[] => Array.from({ length: n }, (_, i) => v(name + i));

function valueOf(values: Record<string, unknown>, name: string) {
  if (!(name in values)) throw new Error(`[document-webhooks] no value for "${name}"`);
  return values[name];
}

/**
 * A transaction of the delivery worker on the queue tables. On MySQL/MariaDB it runs at READ
 * COMMITTED: at InnoDB's default REPEATABLE READ, `SELECT … FOR UPDATE SKIP LOCKED` and
 * `DELETE`s also lock the gaps they scan (up to the end of the table), and a document write
 * inserting its outbox row meanwhile could deadlock and fail (seen in the integration suite
 * with concurrent writes). The worker's statements only touch the rows they name, so it needs
 * no gap locks. PostgreSQL and SQLite have no gap locks: default isolation.
 */
export async function queueTransaction<R>(strapi: Core.Strapi, cb: (db: Db) => Promise<R>): Promise<R> {
  const knex = knexOf(strapi);
  if (!preparedPath(knex)) {
    return knex.transaction((trx: any) => cb(dbOf(trx)), dbClient(strapi) === 'mysql' ? { isolationLevel: 'read committed' } : undefined);
  }
  const conn = await knex.client.acquireConnection();
  try {
    // IMMEDIATE: the write lock is taken at BEGIN, so another process on the same file cannot
    // make this transaction fail halfway when it first writes.
    runOn(conn, 'BEGIN IMMEDIATE', []);
    try {
      // Builders made here run on this connection, also when awaited directly.
      const onConn = (table: string) => knex(table).connection(conn);
      const result = await cb(preparedDb(onConn, shapesOf(knex), async (sql, bindings) => runOn(conn, sql, bindings)));
      runOn(conn, 'COMMIT', []);
      return result;
    } catch (err) {
      if (conn.inTransaction) runOn(conn, 'ROLLBACK', []);
      throw err;
    }
  } finally {
    knex.client.releaseConnection(conn);
  }
}

/** Strapi's database client: 'sqlite', 'postgres' or 'mysql' (MySQL and MariaDB). */
export function dbClient(strapi: Core.Strapi): string {
  const db = strapi.db as any;
  return db.dialect?.client ?? db.config?.connection?.client ?? 'sqlite';
}

/** Prepared statements per better-sqlite3 connection, the oldest dropped past this many. */
const MAX_STATEMENTS = 500;
const statements = new WeakMap<object, Map<string, any>>();

/**
 * Run `sql` on a better-sqlite3 connection as a prepared statement: rows for a statement that
 * returns data, else the number of rows changed. Bindings as knex formats them for this driver.
 */
function runOn(conn: any, sql: string, bindings: unknown[]) {
  let cache = statements.get(conn);
  if (!cache) statements.set(conn, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = conn.prepare(sql);
    if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value as string);
    cache.set(sql, stmt);
  }
  const values = bindings.map((b) => (b instanceof Date ? b.valueOf() : typeof b === 'boolean' ? Number(b) : b));
  return stmt.reader ? stmt.all(values) : stmt.run(values).changes;
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
