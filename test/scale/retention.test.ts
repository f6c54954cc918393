import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, until, type Instance } from './harness';

/**
 * The request-log retention purge (docs/scaling.md, "Request-log retention") on a log of
 * 1,000,000 expired records: instance A purges, deleting every expired record in batches while
 * records not yet expired, and pending/failed ones, stay; document writes A makes meanwhile
 * (40 a second) keep a p99 latency within ×2 of the p99 measured just before; instance B, running the job
 * while A holds its lease, does nothing. Then both run the job at the same moment (as their
 * 03:17 cron does): exactly one of them purges.
 *
 * SQLite by default: one file, B a second process with `worker: false` that only runs the job
 * (SQLite serves one instance, docs/scaling.md; the lease is what matters here).
 * TEST_DB=postgres|mariadb starts a server of its own (stopped by its PID); there both run
 * the worker. RETENTION_ROWS changes the size.
 */
const requireCjs = createRequire(__filename);
const databases = requireCjs('../helpers/databases.js');
const { spawnInstance } = requireCjs('./instances.js');

const KIND: 'postgres' | 'mariadb' | 'sqlite' =
  process.env.TEST_DB === 'postgres' || process.env.TEST_DB === 'mariadb'
    ? process.env.TEST_DB
    : 'sqlite';
const EXPIRED = Number(process.env.RETENTION_ROWS ?? 1_000_000);
const KEPT_RECENT = 1000;
const KEPT_UNFINISHED = 500;
const IDLE_WRITES = 400;
const WRITE_SPACING_MS = 25;
const DAY = 86_400_000;

let server: any = null;
let db: any;
const instances: Instance[] = [];

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'server', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  if (KIND !== 'sqlite') server = await databases.startServer(KIND);
  db = await databases.createDatabase(KIND, server ? { server } : {});
  // One after the other: the first creates the schema. No webhooks: what is timed is the document write itself.
  for (const name of ['strapi-a', 'strapi-b']) {
    const worker = KIND !== 'sqlite' || name === 'strapi-a';
    const inst = spawnInstance({ dbEnv: db.env, config: { logRetentionDays: 30, worker }, name });
    instances.push(inst);
    await inst.ready;
  }
});

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop().catch(() => i.kill())));
  await db?.drop();
  await server?.stop();
});

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

/**
 * Insert `n` request-log records created `ageDays` ago with a set-based INSERT … SELECT over a
 * generated series (100,000 per statement): row by row, a million would take minutes.
 */
function insertLogs(
  inst: Instance,
  {
    n,
    ageDays,
    statuses,
    prefix,
  }: { n: number; ageDays: number; statuses: string[]; prefix: string }
) {
  return inst.call('eval', {
    code: `const knex = strapi.db.connection; const kind = ${JSON.stringify(KIND)};
      const at = new Date(Date.now() - ${ageDays * DAY});
      // Not due for days: the worker leaves the pending/failed ones alone (its webhook does not exist).
      const due = new Date(Date.now() + ${10 * DAY});
      const statuses = ${JSON.stringify(statuses)};
      const status = 'CASE ' + statuses.map((s, i) => 'WHEN x % ' + statuses.length + ' = ' + i + " THEN '" + s + "'").join(' ') + ' END';
      const cols = 'webhook_id, webhook_name, event, content_type, target_document_id, status, message_id, attempts, attempt_log, request_url, request_method, request_headers, request_body, response_status, duration_ms, next_attempt_at, created_at, updated_at';
      const select = "SELECT 1, 'retention', 'entry.create', 'api::article.article', CONCAT('${prefix}', x), " + status + ", CONCAT('msg_${prefix}', x), 1, '[]', 'http://127.0.0.1:9/hook', 'POST', '{\\"content-type\\":\\"application/json\\"}', " +
        "'{\\"event\\":\\"entry.create\\",\\"model\\":\\"article\\",\\"documentId\\":\\"doc\\",\\"entry\\":{\\"title\\":\\"A document of typical size for the log\\"}}', 200, 12, ?, ?, ?";
      for (let from = 1; from <= ${n}; from += 100000) {
        const to = Math.min(${n}, from + 99999);
        const sql = kind === 'sqlite' ? 'WITH RECURSIVE s(x) AS (SELECT ' + from + ' UNION ALL SELECT x + 1 FROM s WHERE x < ' + to + ') INSERT INTO document_webhooks_logs (' + cols + ') ' + select + ' FROM s'
          : kind === 'postgres' ? 'INSERT INTO document_webhooks_logs (' + cols + ') ' + select + ' FROM generate_series(' + from + ', ' + to + ') AS s(x)'
          : 'INSERT INTO document_webhooks_logs (' + cols + ') ' + select.replace(/\\bx\\b/g, 'seq') + ' FROM seq_' + from + '_to_' + to;
        await knex.raw(sql, [due, at, at]);
      }
      return true;`,
  });
}

const countWhere = (inst: Instance, where: Record<string, unknown>) =>
  inst.call('eval', {
    code: `return strapi.db.query('plugin::document-webhooks.log').count({ where: ${JSON.stringify(where)} });`,
  });

const PURGE = `return strapi.plugin('document-webhooks').service('logs').purgeExpired();`;
const leaseOwner = async (inst: Instance): Promise<string | null> =>
  (
    await inst.call('eval', {
      code: `return strapi.db.connection('document_webhooks_leases').where('name', 'log-retention').first('lease_owner');`,
    })
  )?.lease_owner ?? null;

/** `n` document writes at a steady 40 per second (a busy editorial site), each one's latency. */
async function writeLatencies(inst: Instance, n: number, prefix: string): Promise<number[]> {
  return (
    await inst.call('write', {
      n,
      concurrency: 1,
      prefix,
      timings: true,
      spacingMs: WRITE_SPACING_MS,
    })
  ).latencies;
}

describe(`retention purge of ${EXPIRED} expired records (${KIND})`, () => {
  it('runs on one instance, deletes every expired record in batches and keeps writes fast', async () => {
    const [a, b] = instances;
    const t0 = Date.now();
    await insertLogs(a, {
      n: EXPIRED,
      ageDays: 40,
      statuses: ['delivered', 'delivered', 'exhausted'],
      prefix: 'old',
    });
    await insertLogs(a, {
      n: KEPT_RECENT,
      ageDays: 2,
      statuses: ['delivered', 'exhausted'],
      prefix: 'new',
    });
    await insertLogs(a, {
      n: KEPT_UNFINISHED,
      ageDays: 40,
      statuses: ['pending', 'failed'],
      prefix: 'open',
    });
    console.log(
      `[retention] ${EXPIRED + KEPT_RECENT + KEPT_UNFINISHED} records inserted in ${((Date.now() - t0) / 1000).toFixed(1)} s`
    );
    expect(await countWhere(a, {})).toBe(EXPIRED + KEPT_RECENT + KEPT_UNFINISHED);

    const idA = await a.call('eval', {
      code: `return strapi.plugin('document-webhooks').service('engine').instanceId;`,
    });
    await writeLatencies(a, 50, 'warm');
    const idle = await writeLatencies(a, IDLE_WRITES, 'idle');

    const started = Date.now();
    let settled = false;
    const purge = a.call('eval', { code: PURGE });
    purge.finally(() => (settled = true)).catch(() => {});
    expect(
      await until('A holds the lease', async () => (await leaseOwner(b)) === idA || settled, 30_000)
    ).toBe(true);
    expect(settled, 'the purge still running once its lease is seen').toBe(false);
    // B runs the job meanwhile: the lease is A's, B does nothing.
    expect(await b.call('eval', { code: PURGE })).toEqual({ count: 0, leased: false });

    const during: number[] = [];
    let remainingMidway = -1;
    while (!settled) {
      during.push(...(await writeLatencies(a, 25, `during${during.length}`)));
      if (remainingMidway < 0 && during.length >= 200)
        remainingMidway = await countWhere(b, { targetDocumentId: { $startsWith: 'old' } });
    }
    const result = await purge;
    const purgeSeconds = (Date.now() - started) / 1000;

    expect(result).toEqual({ count: EXPIRED, leased: true });
    expect(await countWhere(a, { targetDocumentId: { $startsWith: 'old' } })).toBe(0);
    expect(await countWhere(a, { targetDocumentId: { $startsWith: 'new' } })).toBe(KEPT_RECENT);
    expect(await countWhere(a, { targetDocumentId: { $startsWith: 'open' } })).toBe(
      KEPT_UNFINISHED
    );
    // In batches: part of the records were still there while the purge was under way.
    if (remainingMidway >= 0) expect(remainingMidway).toBeGreaterThan(0);
    // The lease is given up at the end.
    expect(await leaseOwner(a)).toBeNull();

    const idleP99 = percentile(idle, 99);
    const duringP99 = percentile(during, 99);
    console.log(
      `[retention] ${KIND}: purged ${EXPIRED} in ${purgeSeconds.toFixed(1)} s ; write p50/p99 idle ${percentile(idle, 50).toFixed(2)}/${idleP99.toFixed(2)} ms (n=${idle.length}), during ${percentile(during, 50).toFixed(2)}/${duringP99.toFixed(2)} ms (n=${during.length})`
    );
    // Enough writes during the purge for a p99 to mean something.
    expect(during.length).toBeGreaterThanOrEqual(200);
    expect(duringP99).toBeLessThanOrEqual(2 * idleP99);
  });

  it('run by both instances at the same moment, purges on exactly one', async () => {
    const [a, b] = instances;
    // Enough that the first to take the lease is still purging when the other tries.
    const n = 50_000;
    await insertLogs(a, { n, ageDays: 40, statuses: ['delivered'], prefix: 'race' });
    const results = await Promise.all([
      a.call('eval', { code: PURGE }),
      b.call('eval', { code: PURGE }),
    ]);
    expect(results.map((r: { leased: boolean }) => r.leased).sort()).toEqual([false, true]);
    expect(results.find((r: { leased: boolean }) => r.leased)).toEqual({ count: n, leased: true });
    expect(results.find((r: { leased: boolean }) => !r.leased)).toEqual({
      count: 0,
      leased: false,
    });
    expect(await countWhere(a, { targetDocumentId: { $startsWith: 'race' } })).toBe(0);
  });
});
