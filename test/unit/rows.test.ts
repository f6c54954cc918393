import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import {
  dbOf,
  listOf,
  listValues,
  queueDb,
  queueTransaction,
  tableFor,
} from '../../server/src/outbox/rows';
import { missingInternals } from '../../server/src/outbox/sqlite-prepared';

/**
 * The plain-knex table layer of the hot path (server/src/outbox/rows.ts) on a real
 * better-sqlite3 database: with a pool of one connection it runs prepared statements and its
 * own BEGIN … COMMIT; with a bigger pool it goes through knex. Both must write and read the
 * same values. Strapi's metadata is given as data (the table's attributes and columns); the
 * plugin on a booted Strapi is covered by the integration suite.
 */
const UID = 'plugin::test.row';
const attributes = {
  id: { type: 'increments', columnName: 'id' },
  name: { type: 'string', columnName: 'name' },
  payload: { type: 'json', columnName: 'payload' },
  dueAt: { type: 'datetime', columnName: 'due_at' },
  enabled: { type: 'boolean', columnName: 'enabled' },
  leaseOwner: { type: 'string', columnName: 'lease_owner' },
};

const dirs: string[] = [];
const knexes: any[] = [];
afterEach(async () => {
  while (knexes.length) await knexes.pop().destroy();
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

async function setup(poolMax: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-rows-'));
  dirs.push(dir);
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(dir, 'db.sqlite') },
    useNullAsDefault: true,
    pool: { min: 1, max: poolMax },
  });
  knexes.push(knex);
  await knex.schema.createTable('rows', (t) => {
    t.increments('id');
    t.string('name');
    t.text('payload');
    t.bigInteger('due_at');
    t.boolean('enabled');
    t.string('lease_owner');
  });
  const strapi = {
    db: {
      connection: knex,
      dialect: { client: 'sqlite' },
      metadata: new Map([[UID, { tableName: 'rows', attributes }]]),
    },
  } as any;
  return { knex, strapi, table: tableFor(strapi, UID) };
}

const sample = [
  {
    name: 'a',
    payload: { n: 1, list: ['x', 'y'] },
    dueAt: '2026-01-02T03:04:05.678Z',
    enabled: true,
    leaseOwner: 'me',
  },
  { name: 'b', payload: null, dueAt: null, enabled: false, leaseOwner: 'me' },
  // Other columns, other order: the INSERT is compiled per set of columns.
  { leaseOwner: 'me', enabled: true, name: 'c' },
];

describe('rows: the hot path table layer on SQLite', () => {
  it('writes and reads the same values prepared (pool of one) and through knex (bigger pool)', async () => {
    const prepared = await setup(1);
    const plain = await setup(2);
    expect(queueDb(prepared.strapi).holdsConnection).toBe(true);
    expect(queueDb(plain.strapi).holdsConnection).toBe(false);
    const results = [];
    for (const { knex, strapi, table } of [prepared, plain]) {
      await queueTransaction(strapi, (db) => table.insert(db, sample));
      const back = await table.selectLeased(queueDb(strapi), [1, 2, 3], 'me');
      results.push({ back, raw: await knex('rows').orderBy('id') });
    }
    expect(results[0].back).toEqual([
      {
        id: 1,
        name: 'a',
        payload: { n: 1, list: ['x', 'y'] },
        dueAt: '2026-01-02T03:04:05.678Z',
        enabled: true,
        leaseOwner: 'me',
      },
      { id: 2, name: 'b', payload: null, dueAt: null, enabled: false, leaseOwner: 'me' },
      { id: 3, name: 'c', payload: null, dueAt: null, enabled: true, leaseOwner: 'me' },
    ]);
    expect(results[0].back).toEqual(results[1].back);
    expect(results[0].raw).toEqual(results[1].raw);
  });

  it('updates a row only while the condition attribute still holds', async () => {
    const { strapi, table } = await setup(1);
    await queueTransaction(strapi, (db) => table.insert(db, sample.slice(0, 1)));
    expect(
      await table.updateWhereIdAnd(queueDb(strapi), 1, 'leaseOwner', 'someone else', {
        name: 'lost',
      })
    ).toBe(0);
    expect(
      await table.updateWhereIdAnd(queueDb(strapi), 1, 'leaseOwner', 'me', {
        name: 'won',
        enabled: false,
      })
    ).toBe(1);
    expect(await table.selectLeased(queueDb(strapi), [1], 'me', ['name', 'enabled'])).toEqual([
      { name: 'won', enabled: false },
    ]);
  });

  it('updates many rows, each with its own values, only where the condition still holds', async () => {
    const prepared = await setup(1);
    const plain = await setup(2);
    const results = [];
    for (const { knex, strapi, table } of [prepared, plain]) {
      await queueTransaction(strapi, (db) =>
        table.insert(db, [...sample, { name: 'd', leaseOwner: 'someone else' }])
      );
      const db = queueDb(strapi);
      const statements: string[] = [];
      knex.on('query', (q: any) => statements.push(q.sql));
      await table.updateEachWhereIdAnd(db, 'leaseOwner', [
        // Two sets of columns; json, dates, booleans and nulls; row 4 leased to another owner.
        { id: 1, value: 'me', data: { name: 'a2', payload: { n: 2 }, dueAt: null } },
        {
          id: 2,
          value: 'me',
          data: { name: 'b2', payload: null, dueAt: '2026-03-04T05:06:07.089Z' },
        },
        { id: 3, value: 'me', data: { enabled: false } },
        { id: 4, value: 'me', data: { name: 'lost', payload: { n: 4 }, dueAt: null } },
      ]);
      results.push({ rows: await table.selectLeased(db, [1, 2, 3, 4], 'me'), statements });
      expect(await knex('rows').where('id', 4).first('name')).toEqual({ name: 'd' });
    }
    expect(results[0].rows).toEqual([
      { id: 1, name: 'a2', payload: { n: 2 }, dueAt: null, enabled: true, leaseOwner: 'me' },
      {
        id: 2,
        name: 'b2',
        payload: null,
        dueAt: '2026-03-04T05:06:07.089Z',
        enabled: false,
        leaseOwner: 'me',
      },
      { id: 3, name: 'c', payload: null, dueAt: null, enabled: false, leaseOwner: 'me' },
    ]);
    expect(results[1].rows).toEqual(results[0].rows);
    // Through knex (a server database's path): one statement per set of columns.
    expect(results[1].statements.filter((q) => /^update/i.test(q))).toHaveLength(2);
  });

  it('runs a shaped statement compiled once with new values each time, as knex does', async () => {
    const prepared = await setup(1);
    const plain = await setup(2);
    const results = [];
    for (const { strapi, table } of [prepared, plain]) {
      await queueTransaction(strapi, (db) => table.insert(db, [...sample, { name: 'd' }]));
      const db = queueDb(strapi);
      let builds = 0;
      // Names bound twice, a list, a constant binding (the limit): all must land in place.
      const run = (owner: string, names: string[], since: Date) =>
        db.runShaped(
          `rows:test:${names.length}`,
          { owner, since, ...listValues('name', names) },
          (v) => {
            builds += 1;
            return db('rows')
              .select('id', 'name')
              .whereIn('name', listOf(v, 'name', names.length))
              .where((qb: any) => qb.where('lease_owner', v('owner')).orWhere('name', v('owner')))
              .where((qb: any) => qb.whereNull('due_at').orWhere('due_at', '>', v('since')))
              .orderBy('id')
              .limit(2);
          }
        );
      results.push({
        rows: [
          await run('me', ['a', 'b'], new Date('2026-01-01T00:00:00Z')),
          await run('me', ['a', 'c'], new Date('2026-02-01T00:00:00Z')),
          await run('you', ['a', 'c'], new Date('2026-01-01T00:00:00Z')),
          await run('me', ['a', 'b', 'c'], new Date('2026-01-01T00:00:00Z')),
        ],
        builds,
      });
      // A null value compiles as knex compiles it (`IS NULL`), not `= NULL` with a stand-in.
      const byOwner = (owner: string | null) =>
        db.runShaped('rows:test:owner', { owner }, (v) =>
          db('rows').select('name').where('lease_owner', v('owner')).orderBy('id')
        );
      results.push({
        rows: [await byOwner('me'), await byOwner(null), await byOwner('me')],
        builds: 0,
      });
      await expect(
        db.runShaped('rows:test:1', { owner: 'me' }, (v) =>
          db('rows').where('name', v('name')).where('lease_owner', v('owner'))
        )
      ).rejects.toThrow('"name"');
    }
    expect(results[0].rows).toEqual([
      [
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
      ],
      [{ id: 3, name: 'c' }],
      [],
      [
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
      ],
    ]);
    expect(results[1].rows).toEqual([
      [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
      [{ name: 'd' }],
      [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    ]);
    expect(results[2].rows).toEqual(results[0].rows);
    expect(results[3].rows).toEqual(results[1].rows);
    // Prepared: built once per shape (two list lengths); knex: every time.
    expect(results[0].builds).toBe(2);
    expect(results[2].builds).toBe(4);
  });

  it('rolls a failed transaction back and frees the connection', async () => {
    const { knex, strapi, table } = await setup(1);
    await expect(
      queueTransaction(strapi, async (db) => {
        await table.insert(db, sample);
        throw new Error('boom');
      })
    ).rejects.toThrow('boom');
    expect(await knex('rows').count({ n: '*' })).toEqual([{ n: 0 }]);
    await queueTransaction(strapi, (db) => table.insert(db, sample.slice(0, 1)));
    expect(await knex('rows').count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('keeps other statements of the process out until it commits', async () => {
    const { knex, strapi, table } = await setup(1);
    let outside: Promise<unknown> | null = null;
    await queueTransaction(strapi, async (db) => {
      await table.insert(db, sample.slice(0, 1));
      // A query from elsewhere in the process (a document write, the admin) meanwhile: it must
      // wait for the connection, not run inside this transaction or see it half done.
      outside = knex('rows').count({ n: '*' });
      outside.then(
        () => {},
        () => {}
      );
      await new Promise((r) => setImmediate(r));
      await table.insert(db, sample.slice(1, 2));
    });
    expect(await outside).toEqual([{ n: 2 }]);
  });

  it('finds the knex and better-sqlite3 internals the SQLite adapter relies on (sqlite-prepared.ts)', async () => {
    // Fails when an upgrade of knex or better-sqlite3 changes them: the adapter would then be
    // left out at start-up (one log line) and every statement would go through plain knex.
    const { knex } = await setup(1);
    expect(missingInternals(knex)).toBeNull();
  });

  it('falls back to plain knex, with one log line, when an internal is missing', async () => {
    const { knex, strapi, table } = await setup(1);
    const warnings: string[] = [];
    strapi.log = { warn: (m: string) => warnings.push(m) };
    // The same database with knex's pool access gone (as after an upgrade that renamed it).
    const client = Object.create(knex.client, {
      acquireConnection: { value: undefined },
      config: { value: { ...knex.client.config } },
    });
    const crippled = Object.assign((table: string) => knex(table), knex, { client });
    expect(missingInternals(crippled)).toMatch(/acquireConnection/);
    const db = dbOf(crippled, strapi);
    expect(db.holdsConnection).toBe(false);
    await table.insert(db, sample.slice(0, 1));
    expect(await table.selectLeased(dbOf(crippled, strapi), [1], 'me', ['name'])).toEqual([
      { name: 'a' },
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /SQLite prepared statements off, plain knex instead: knex client.acquireConnection/
      ),
    ]);
  });
});
