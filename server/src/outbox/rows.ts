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
  updateWhereIdAnd(
    db: Db,
    id: number,
    attribute: string,
    value: unknown,
    data: Record<string, unknown>
  ): Promise<number>;
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
    async updateWhereIdAnd(db, id, attribute, value, data) {
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
      return rawAffected(await db.runSql(sql, [...cols.map((c) => row[c]), id, value]));
    },
    async insert(db, data) {
      const rows = data.map((d) => this.toRow(d));
      for (let i = 0; i < rows.length; i += 100)
        await db.run(db(meta.tableName).insert(rows.slice(i, i + 100)));
    },
    async selectLeased(db, ids, owner, attributes) {
      const q = db(meta.tableName)
        .whereIn('id', ids)
        .where(col('leaseOwner'), owner)
        .orderBy('id', 'asc');
      const rows: Record<string, unknown>[] = await db.run(
        attributes ? q.select(attributes.map(col)) : q
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
 * Where the worker's statements run, on every database: plain knex (docs/architecture.md,
 * "Database access"). `db(table)` makes a knex builder and `db.run(builder)` runs it: the rows
 * of a SELECT, the affected rows of an UPDATE or DELETE (`affected`).
 */
export interface Db {
  (table: string): any;
  run(builder: any): Promise<any>;
  /** Run compiled SQL with positional bindings (`?`). */
  runSql(sql: string, bindings: unknown[]): Promise<any>;
}

const knexOf = (strapi: Core.Strapi) => (strapi.db as any).connection;

/** The worker's statements outside a transaction. */
export const queueDb = (strapi: Core.Strapi): Db => dbOf(knexOf(strapi));

/**
 * A knex instance, or a knex transaction (the capture's insert runs in the document write's
 * transaction), as a Db.
 */
export function dbOf(k: any): Db {
  const db = ((table: string) => k(table)) as Db;
  db.run = async (builder) => builder;
  db.runSql = async (sql, bindings) => k.raw(sql, bindings);
  return db;
}

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
  return knexOf(strapi).transaction(
    (trx: any) => cb(dbOf(trx)),
    dbClient(strapi) === 'mysql' ? { isolationLevel: 'read committed' } : undefined
  );
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

/** Affected-row count of a raw UPDATE: better-sqlite3 `changes`, pg `rowCount`, mysql2 `affectedRows`. */
const rawAffected = (res: any): number =>
  Number(res?.changes ?? res?.rowCount ?? res?.[0]?.affectedRows ?? 0);
