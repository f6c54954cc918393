import type { Core } from '@strapi/strapi';
import {
  appliesTo,
  missingInternals,
  preparedDb,
  preparedTransaction,
  valueOf,
} from './sqlite-prepared';

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
  updateWhereIdAnd(
    db: Db,
    id: number,
    attribute: string,
    value: unknown,
    data: Record<string, unknown>
  ): Promise<unknown>;
  /**
   * `updateWhereIdAnd` for many rows, each with its own data: on a server database one
   * statement per set of columns (`SET c = CASE id WHEN ? THEN ? … ELSE c END … WHERE id IN
   * (…) AND <attribute> = CASE id …`), since there every statement is a round trip to another
   * process (docs/benchmarks.md, "PostgreSQL and MariaDB"); on the SQLite adapter, one compiled
   * statement per row, which costs microseconds. Rows whose `<attribute>` no longer matches are
   * left as they are, as with `updateWhereIdAnd`.
   */
  updateEachWhereIdAnd(
    db: Db,
    attribute: string,
    items: { id: number; value: unknown; data: Record<string, unknown> }[]
  ): Promise<void>;
  /** The rows `ids` still leased to `owner`, by id, as attributes (`attributes`: only those). */
  selectLeased(
    db: Db,
    ids: number[],
    owner: string,
    attributes?: string[]
  ): Promise<Record<string, any>[]>;
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
    kinds.set(
      name,
      a.type === 'json'
        ? 'json'
        : a.type === 'datetime' || a.type === 'timestamp'
          ? 'datetime'
          : a.type === 'boolean'
            ? 'boolean'
            : 'plain'
    );
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
    updateWhereIdAnd(db, id, attribute, value, data) {
      const row = this.toRow(data);
      const cols = Object.keys(row);
      const key = `${attribute}|${cols.join(',')}`;
      let sql = compiled.get(key);
      if (sql === undefined) {
        // Placeholders only: the values below are bound in the same order (SET …, then WHERE).
        sql = db(meta.tableName).where('id', 0).where(col(attribute), '').update(row).toSQL()
          .sql as string;
        compiled.set(key, sql);
      }
      return db.runSql(sql, [...cols.map((c) => row[c]), id, value]);
    },
    async updateEachWhereIdAnd(db, attribute, items) {
      if (db.holdsConnection || items.length === 1) {
        for (const it of items)
          await this.updateWhereIdAnd(db, it.id, attribute, it.value, it.data);
        return;
      }
      // Grouped by the columns they set (outcomes of one kind set the same ones).
      const groups = new Map<
        string,
        ((typeof items)[number] & { row: Record<string, unknown> })[]
      >();
      for (const it of items) {
        const row = this.toRow(it.data);
        const key = Object.keys(row).join(',');
        const group = groups.get(key) ?? [];
        group.push({ ...it, row });
        groups.set(key, group);
      }
      for (const [key, group] of groups) {
        if (group.length === 1) {
          const [g] = group;
          await this.updateWhereIdAnd(db, g.id, attribute, g.value, g.data);
          continue;
        }
        // `ELSE <column>`: PostgreSQL types the CASE from the column, as it would a plain `SET c = ?`.
        const whens = group.map(() => 'WHEN ? THEN ?').join(' ');
        const pairs = (pick: (g: (typeof group)[number]) => unknown) =>
          group.flatMap((g) => [g.id, pick(g)]);
        const cols = key.split(',');
        const sets = cols.map(() => `?? = CASE ?? ${whens} ELSE ?? END`);
        const bindings: unknown[] = [meta.tableName];
        for (const c of cols) bindings.push(c, 'id', ...pairs((g) => g.row[c]), c);
        bindings.push('id', ...group.map((g) => g.id), col(attribute), 'id');
        bindings.push(...pairs((g) => g.value));
        await db.runSql(
          `UPDATE ?? SET ${sets.join(', ')} WHERE ?? IN (${group.map(() => '?').join(', ')}) AND ?? = CASE ?? ${whens} END`,
          bindings
        );
      }
    },
    async insert(db, data) {
      await db.insertRows(
        meta.tableName,
        data.map((d) => this.toRow(d))
      );
    },
    async selectLeased(db, ids, owner, attributes) {
      const rows: Record<string, unknown>[] = await db.runShaped(
        `${meta.tableName}:leased:${ids.length}:${attributes ?? '*'}`,
        { ...listValues('id', ids), owner },
        (v) => {
          const q = db(meta.tableName)
            .whereIn('id', listOf(v, 'id', ids.length))
            .where(col('leaseOwner'), v('owner'))
            .orderBy('id', 'asc');
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
          value === null
            ? null
            : kind === 'json'
              ? typeof value === 'object'
                ? JSON.stringify(value)
                : value
              : kind === 'datetime'
                ? new Date(value as any)
                : value;
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
 * Where the worker's statements run: one adapter per database, chosen once (`adapterOf`).
 * `db(table)` makes a knex builder and `db.run(builder)` runs it: the rows of a SELECT, the
 * affected rows of an UPDATE or DELETE (`affected`). Plain knex for every dialect; on
 * better-sqlite3 with one connection (Strapi's SQLite setup), `sqlite-prepared.ts`.
 */
export interface Db {
  (table: string): any;
  run(builder: any): Promise<any>;
  /** Run compiled SQL with positional bindings (`?`). */
  runSql(sql: string, bindings: unknown[]): Promise<any>;
  /**
   * Run the statement `build` makes, with `values` bound by name: `build(v)` puts `v(name)`
   * where a value goes. The SQLite adapter builds and compiles it once per `shape` (and set
   * of null values), and later runs only bind (measured: knex building and compiling the
   * claim's statements was ~4 % of a drain's CPU). `shape` names the call site and everything
   * else the SQL depends on (list lengths, limits, flags). Plain knex builds it each time.
   */
  runShaped(
    shape: string,
    values: Record<string, unknown>,
    build: (v: (name: string) => unknown) => any
  ): Promise<any>;
  /** INSERT rows (columns) into `table`. */
  insertRows(table: string, rows: Record<string, unknown>[]): Promise<void>;
  /**
   * Each statement holds the database's one connection anyway (SQLite adapter): several in a
   * row are cheaper in one transaction, which takes it once.
   */
  holdsConnection: boolean;
}

const knexOf = (strapi: Core.Strapi) => (strapi.db as any).connection;

/** Per database (knex client config, shared by its transactions): may the SQLite adapter run? */
const preparedUsable = new WeakMap<object, boolean>();

/**
 * The adapter for knex instance or transaction `k`: the SQLite one where it applies and the
 * knex and better-sqlite3 internals it needs are there (checked once per database; when they
 * are not, one log line and plain knex), else plain knex.
 */
function adapterOf(k: any, log?: (message: string) => void): 'sqlite-prepared' | 'knex' {
  if (!appliesTo(k)) return 'knex';
  const key = k.client.config;
  let usable = preparedUsable.get(key);
  if (usable === undefined) {
    const missing = missingInternals(k);
    usable = missing === null;
    preparedUsable.set(key, usable);
    if (!usable)
      (log ?? console.warn)(
        `[document-webhooks] SQLite prepared statements off, plain knex instead: ${missing} is not as expected`
      );
  }
  return usable ? 'sqlite-prepared' : 'knex';
}

const logOf = (strapi: Core.Strapi) => (message: string) => strapi.log.warn(message);

/** The worker's statements outside a transaction. */
export const queueDb = (strapi: Core.Strapi): Db => dbOf(knexOf(strapi), strapi);

/**
 * A knex instance, or a knex transaction (the capture's insert runs in the document write's
 * transaction: a knex transaction's client hands out its own connection), as a Db.
 */
export function dbOf(k: any, strapi?: Core.Strapi): Db {
  if (adapterOf(k, strapi && logOf(strapi)) === 'sqlite-prepared') return preparedDb(k);
  const db = ((table: string) => k(table)) as Db;
  db.holdsConnection = false;
  db.run = async (builder) => builder;
  db.runSql = async (sql, bindings) => k.raw(sql, bindings);
  db.runShaped = async (_shape, values, build) => build((name) => valueOf(values, name));
  db.insertRows = async (table, rows) => {
    for (let i = 0; i < rows.length; i += 100) await k(table).insert(rows.slice(i, i + 100));
  };
  return db;
}

/** Values for a list bound by `runShaped`: `name0`, `name1`, … (see `listOf`). */
export const listValues = (name: string, items: readonly unknown[]): Record<string, unknown> =>
  Object.fromEntries(items.map((item, i) => [name + i, item]));
/** The stand-ins of a list of `n` values (`listValues`), for a `build` of `runShaped`. */
export const listOf = (v: (name: string) => unknown, name: string, n: number): unknown[] =>
  Array.from({ length: n }, (_, i) => v(name + i));

/**
 * A transaction of the delivery worker on the queue tables. On MySQL/MariaDB it runs at READ
 * COMMITTED: at InnoDB's default REPEATABLE READ, `SELECT … FOR UPDATE SKIP LOCKED` and
 * `DELETE`s also lock the gaps they scan (up to the end of the table), and a document write
 * inserting its outbox row meanwhile could deadlock and fail (seen in the integration suite
 * with concurrent writes). The worker's statements only touch the rows they name, so it needs
 * no gap locks. PostgreSQL and SQLite have no gap locks: default isolation.
 */
export async function queueTransaction<R>(
  strapi: Core.Strapi,
  cb: (db: Db) => Promise<R>
): Promise<R> {
  const knex = knexOf(strapi);
  if (adapterOf(knex, logOf(strapi)) === 'sqlite-prepared') return preparedTransaction(knex, cb);
  return knex.transaction(
    (trx: any) => cb(dbOf(trx)),
    dbClient(strapi) === 'mysql' ? { isolationLevel: 'read committed' } : undefined
  );
}

/**
 * Statements of the worker that need not be atomic together (each is by itself, e.g. the
 * conditional updates of a group commit): on the SQLite adapter in one transaction, which takes
 * the one connection once and commits once; on a server database each on its own, since BEGIN
 * and COMMIT would be two more round trips and the statements commit together anyway when they
 * are one (`updateEachWhereIdAnd`).
 */
export async function queueBatch<R>(strapi: Core.Strapi, cb: (db: Db) => Promise<R>): Promise<R> {
  const db = queueDb(strapi);
  return db.holdsConnection ? queueTransaction(strapi, cb) : cb(db);
}

/** Strapi's database client: 'sqlite', 'postgres' or 'mysql' (MySQL and MariaDB). */
export function dbClient(strapi: Core.Strapi): string {
  const db = strapi.db as any;
  return db.dialect?.client ?? db.config?.connection?.client ?? 'sqlite';
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
export const affected = (res: unknown): number =>
  typeof res === 'number' ? res : Number((res as any)?.[0] ?? res ?? 0);
