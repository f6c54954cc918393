/**
 * The SQLite adapter of the queue tables (rows.ts chooses it): on better-sqlite3 with one
 * connection (Strapi's SQLite setup: a pool of one, or a transaction's connection), the
 * worker's statements skip knex's execution. The SQL knex compiles runs as a statement
 * prepared once per connection, and a queue transaction is `BEGIN IMMEDIATE` … `COMMIT` on the
 * connection taken from knex's pool (knex prepares every statement anew, goes through its
 * pool and runner for each, and builds an object per transaction). Holding the pool's only
 * connection keeps every other statement of the process out until the commit, as a knex
 * transaction does. Measured in docs/benchmarks.md ("SQLite prepared statements").
 *
 * It relies on parts of knex and better-sqlite3 that are not their public API: knex's
 * `client.acquireConnection`/`releaseConnection`, `client.pool.max`, `client.transacting`,
 * `client.driver` (the better-sqlite3 class), `builder.connection(conn)`, the `?` bindings of
 * `toSQL()` and the way its better-sqlite3 dialect formats them; better-sqlite3's
 * `prepare`, `Statement.reader` and `inTransaction`. `missingInternals` checks them before
 * the adapter is used; test/unit/rows.test.ts fails when one changes.
 */
import type { Db } from './rows';

/** better-sqlite3 on one connection (a pool of one, or a transaction's): the adapter applies. */
export function appliesTo(k: any): boolean {
  return (
    k?.client?.driverName === 'better-sqlite3' &&
    (k.client.transacting === true || k.client.pool?.max === 1)
  );
}

/** What this adapter needs from knex and better-sqlite3 that `k` lacks, or null. */
export function missingInternals(k: any): string | null {
  const client = k.client;
  if (
    typeof client.acquireConnection !== 'function' ||
    typeof client.releaseConnection !== 'function'
  )
    return 'knex client.acquireConnection/releaseConnection';
  if (typeof k('dw_probe').connection !== 'function') return 'knex builder.connection()';
  const { sql, bindings } = k('dw_probe').where('a', 1).toSQL();
  if (sql !== 'select * from `dw_probe` where `a` = ?' || !Array.isArray(bindings))
    return 'knex toSQL() with ? bindings';
  // The conversions formatBindings repeats (knex's better-sqlite3 dialect).
  if (typeof client._formatBindings === 'function') {
    const formatted = client._formatBindings([new Date(5), true, 'x']);
    if (JSON.stringify(formatted) !== JSON.stringify(formatBindings([new Date(5), true, 'x'])))
      return "knex's better-sqlite3 binding format";
  }
  if (typeof client.driver !== 'function') return 'knex client.driver (better-sqlite3)';
  let probe: any;
  try {
    probe = new client.driver(':memory:');
    const read = probe.prepare('select ? as v');
    const write = probe.prepare('create table t (v)');
    if (read.reader !== true || write.reader !== false) return 'better-sqlite3 Statement.reader';
    if (typeof probe.inTransaction !== 'boolean') return 'better-sqlite3 Database.inTransaction';
    if (read.all([1])[0]?.v !== 1 || typeof write.run([]).changes !== 'number')
      return 'better-sqlite3 Statement.all/run';
  } catch (err) {
    return `better-sqlite3 (${(err as Error).message})`;
  } finally {
    probe?.close();
  }
  return null;
}

/** A Db on knex instance or transaction `k`, each statement on a connection taken from its client. */
export function preparedDb(k: any): Db {
  return dbOn(k, shapesOf(k), async (sql, bindings) => {
    const conn = await k.client.acquireConnection();
    try {
      return runOn(conn, sql, bindings);
    } finally {
      k.client.releaseConnection(conn);
    }
  });
}

/** A queue transaction: BEGIN IMMEDIATE … COMMIT on the pool's one connection. */
export async function preparedTransaction<R>(knex: any, cb: (db: Db) => Promise<R>): Promise<R> {
  const conn = await knex.client.acquireConnection();
  try {
    // IMMEDIATE: the write lock is taken at BEGIN, so another process on the same file cannot
    // make this transaction fail halfway when it first writes.
    runOn(conn, 'BEGIN IMMEDIATE', []);
    try {
      // Builders made here run on this connection, also when awaited directly.
      const onConn = (table: string) => knex(table).connection(conn);
      const result = await cb(
        dbOn(onConn, shapesOf(knex), async (sql, bindings) => runOn(conn, sql, bindings))
      );
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

/** A Db whose builders come from `k` and whose statements run through `runSql`. */
function dbOn(k: any, shapes: Shapes, runSql: Db['runSql']): Db {
  const db = ((table: string) => k(table)) as Db;
  db.holdsConnection = true;
  db.runSql = runSql;
  db.run = (builder) => {
    const { sql, bindings } = builder.toSQL();
    return runSql(sql, bindings);
  };
  db.insertRows = async (table, rows) => {
    // One single-row INSERT per set of columns, run once per row (knex compiles a multi-row
    // INSERT into a long UNION ALL, column by column, every time).
    for (const row of rows) {
      const key = `${table}:insert:${Object.keys(row).join(',')}`;
      let insert = inserts.get(key);
      if (!insert) {
        // Compiled with each column's name as its value: the bindings then give the order
        // knex puts the columns in.
        const { sql, bindings } = k(table)
          .insert(Object.fromEntries(Object.keys(row).map((c) => [c, c])))
          .toSQL();
        inserts.set(key, (insert = { sql, order: bindings as string[] }));
      }
      await runSql(
        insert.sql,
        insert.order.map((c) => row[c])
      );
    }
  };
  db.runShaped = async (shape, values, build) => {
    // A null value is part of the shape: knex compiles `= null` as `IS NULL`, so a statement
    // compiled with a stand-in there would not match what knex runs.
    const nulls = Object.keys(values).filter((name) => values[name] === null);
    const key = nulls.length ? `${shape}|null:${nulls.join(',')}` : shape;
    let compiled = shapes.get(key);
    if (!compiled) {
      // Built once with a stand-in string per named value: where each stand-in lands among
      // the bindings gives the order to bind the values in. Other bindings (a limit) are kept.
      const { sql, bindings } = build((name) =>
        valueOf(values, name) === null ? null : STAND_IN + name
      ).toSQL();
      const slots = (bindings as unknown[]).map((b) =>
        typeof b === 'string' && b.startsWith(STAND_IN)
          ? { name: b.slice(STAND_IN.length) }
          : { value: b }
      );
      if (shapes.size >= MAX_STATEMENTS) shapes.delete(shapes.keys().next().value as string);
      shapes.set(key, (compiled = { sql, slots }));
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
/** Single-row INSERTs by table and columns (the SQL does not depend on the database). */
const inserts = new Map<string, { sql: string; order: string[] }>();

export function valueOf(values: Record<string, unknown>, name: string) {
  if (!(name in values)) throw new Error(`[document-webhooks] no value for "${name}"`);
  return values[name];
}

/** As knex's better-sqlite3 dialect formats bindings. */
const formatBindings = (bindings: unknown[]) =>
  bindings.map((b) => (b instanceof Date ? b.valueOf() : typeof b === 'boolean' ? Number(b) : b));

/** Prepared statements per better-sqlite3 connection, the oldest dropped past this many. */
const MAX_STATEMENTS = 500;
const statements = new WeakMap<object, Map<string, any>>();

/**
 * Run `sql` on a better-sqlite3 connection as a prepared statement: rows for a statement that
 * returns data, else the number of rows changed.
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
  const values = formatBindings(bindings);
  return stmt.reader ? stmt.all(values) : stmt.run(values).changes;
}
