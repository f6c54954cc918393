import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAll, type Instance } from './harness';

/**
 * Issue 16: instances that start together with the same config `webhooks` (a deploy) create
 * each managed webhook once. Two Strapi processes on one database: a SQLite file and a
 * PostgreSQL database by default; only TEST_DB's engine when it is set
 * (`node scripts/test-db.js mariadb --project scale …`).
 */
const requireCjs = createRequire(__filename);
const databases = requireCjs('../helpers/databases.js');
const { spawnInstance } = requireCjs('./instances.js');

const kinds: string[] = process.env.TEST_DB ? [databases.testDbKind()] : ['sqlite', 'postgres'];
const instances: Instance[] = [];
const dbs: { drop(): Promise<void> }[] = [];
const servers: { owned: boolean; stop(): Promise<void> }[] = [];

afterAll(async () => {
  await stopAll(instances);
  for (const db of dbs) await db.drop().catch(() => {});
  for (const server of servers) if (server.owned) await server.stop();
});

const hook = (i: number, extra: Record<string, unknown> = {}) => ({
  name: `managed ${i}`,
  contentType: 'api::article.article',
  events: ['entry.create'],
  url: `http://127.0.0.1:9/hook-${i}`,
  secret: `whsec_${Buffer.alloc(32, i).toString('base64')}`,
  ...extra,
});

/** Start `n` instances at the same moment and wait until all are up. */
async function startTogether(
  dbEnv: Record<string, string>,
  n: number,
  config: Record<string, unknown>
) {
  const started: Instance[] = Array.from({ length: n }, (_, i) =>
    spawnInstance({
      dbEnv,
      config: { worker: false, ...config },
      name: `strapi-${instances.length + i + 1}`,
    })
  );
  instances.push(...started);
  await Promise.all(started.map((s) => s.ready));
  return started;
}

const rows = (
  inst: Instance
): Promise<{ id: number; name: string; managed: boolean | null; url: string }[]> =>
  inst.call('eval', {
    code: `return (await strapi.db.query('plugin::document-webhooks.webhook').findMany({ orderBy: { id: 'asc' } })).map((r) => ({ id: r.id, name: r.name, managed: r.managed, url: r.url }));`,
  });

describe.each(kinds)('several instances starting together (%s)', (kind) => {
  it('create each managed webhook once, and apply a config change once', async () => {
    const server = await databases.ensureServer(kind);
    servers.push(server);
    const db = await databases.createDatabase(kind, { server });
    dbs.push(db);
    // The schema exists before a deploy starts the new instances (the first run creates it).
    const [first] = await startTogether(db.env, 1, {});
    await first.stop();

    const config = { webhooks: Array.from({ length: 5 }, (_, i) => hook(i)) };
    const [a, b] = await startTogether(db.env, 2, config);
    const stored = await rows(a);
    expect(stored.map((r) => r.name).sort()).toEqual(config.webhooks.map((w) => w.name).sort());
    expect(stored.every((r) => r.managed === true)).toBe(true);
    expect(await rows(b)).toEqual(stored);

    // The database itself refuses a second managed webhook of a name; unmanaged namesakes are fine.
    const duplicate = await a
      .call('eval', {
        code: `await strapi.db.query('plugin::document-webhooks.webhook').create({ data: { name: 'managed 0', contentType: 'api::article.article', url: 'http://127.0.0.1:9/x', managed: true } }); return 'inserted';`,
      })
      .catch((err: Error) => err.message);
    expect(duplicate).not.toBe('inserted');
    expect(duplicate).toMatch(/unique|duplicate/i);
    await a.call('eval', {
      code: `await strapi.db.query('plugin::document-webhooks.webhook').create({ data: { name: 'managed 0', contentType: 'api::article.article', url: 'http://127.0.0.1:9/x' } }); await strapi.db.query('plugin::document-webhooks.webhook').create({ data: { name: 'managed 0', contentType: 'api::article.article', url: 'http://127.0.0.1:9/y' } });`,
    });
    await Promise.all([a.stop(), b.stop()]);

    // Next deploy: one renamed (delete + create), one changed, one removed.
    const next = {
      webhooks: [
        hook(0, { url: 'http://127.0.0.1:9/changed' }),
        hook(1),
        hook(2),
        hook(3, { name: 'renamed 3' }),
      ],
    };
    const [c, d] = await startTogether(db.env, 2, next);
    const after = await rows(c);
    const managed = after.filter((r) => r.managed);
    expect(managed.map((r) => r.name).sort()).toEqual([
      'managed 0',
      'managed 1',
      'managed 2',
      'renamed 3',
    ]);
    expect(managed.find((r) => r.name === 'managed 0')).toMatchObject({
      id: stored.find((r) => r.name === 'managed 0')!.id,
      url: 'http://127.0.0.1:9/changed',
    });
    // The two unmanaged namesakes stay, untouched.
    expect(after.filter((r) => !r.managed).map((r) => [r.name, r.url])).toEqual([
      ['managed 0', 'http://127.0.0.1:9/x'],
      ['managed 0', 'http://127.0.0.1:9/y'],
    ]);
    expect(await rows(d)).toEqual(after);

    // Reconciliations that overlap for sure: three at once in each instance, on an emptied table
    // (the unmanaged namesakes too: two of them would make the name ambiguous). Every one but
    // the first to create a name loses to the unique index and plans again.
    await c.call('eval', {
      code: `await strapi.db.query('plugin::document-webhooks.webhook').deleteMany({});`,
    });
    const results = await Promise.all(
      [c, d].map((inst) =>
        inst.call('eval', {
          code: `const s = strapi.plugin('document-webhooks').service('webhooks'); return Promise.all([s.reconcileConfig(), s.reconcileConfig(), s.reconcileConfig()]);`,
        })
      )
    );
    const created = results.flat().flatMap((r: { created: string[] }) => r.created);
    expect(created.sort()).toEqual(['managed 0', 'managed 1', 'managed 2', 'renamed 3']);
    const again = (await rows(c)).filter((r) => r.managed);
    expect(again.map((r) => r.name).sort()).toEqual([
      'managed 0',
      'managed 1',
      'managed 2',
      'renamed 3',
    ]);
  });
});
