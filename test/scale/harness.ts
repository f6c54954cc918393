import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ReceivedRequest } from '../helpers/receiver';

const requireCjs = createRequire(__filename);
const databases = requireCjs('../helpers/databases.js');
const { spawnInstance } = requireCjs('./instances.js');

export const ROOT = path.resolve(__dirname, '..', '..');
export type Instance = ReturnType<typeof spawnInstance>;

/**
 * The database of a scale run: PostgreSQL unless TEST_DB=mariadb (several instances need a
 * server; SQLite is single-host). Reuses the server scripts/test-db.js announced, else
 * starts one that `release()` stops (by its PID).
 */
export async function scaleDatabase() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'server', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const kind = process.env.TEST_DB === 'mariadb' ? 'mariadb' : 'postgres';
  const server = await databases.ensureServer(kind);
  const dbs: { drop(): Promise<void> }[] = [];
  return {
    kind,
    server,
    /** A fresh database: the env for Strapi instances. */
    async fresh(): Promise<Record<string, string>> {
      const db = await databases.createDatabase(kind, { server });
      dbs.push(db);
      return db.env;
    },
    async release() {
      for (const db of dbs) await db.drop().catch(() => {});
      if (server.owned) await server.stop();
    },
  };
}

/** Spawn instances one after the other (a fresh schema must be created by one of them first). */
export async function startInstances(
  n: number,
  dbEnv: Record<string, string>,
  config: Record<string, unknown> = {},
  list: Instance[] = []
): Promise<Instance[]> {
  const started: Instance[] = [];
  for (let i = 0; i < n; i++) {
    const inst = spawnInstance({ dbEnv, config, name: `strapi-${list.length + 1}` });
    list.push(inst);
    started.push(inst);
    await inst.ready;
  }
  return started;
}

export async function stopAll(list: Instance[]) {
  await Promise.all(list.map((i) => i.stop().catch(() => i.kill())));
}

export const webhookIdOf = (r: ReceivedRequest) => String(r.headers['webhook-id']);
export const documentIdOf = (r: ReceivedRequest) => {
  try {
    return String(JSON.parse(r.body).documentId);
  } catch {
    return '';
  }
};

export function tally(
  requests: ReceivedRequest[],
  filter: (r: ReceivedRequest) => boolean = () => true
) {
  const ids = new Map<string, number>();
  const docs = new Map<string, Set<string>>();
  let total = 0;
  for (const r of requests) {
    if (!filter(r)) continue;
    total++;
    const id = webhookIdOf(r);
    ids.set(id, (ids.get(id) ?? 0) + 1);
    const d = documentIdOf(r);
    if (!docs.has(d)) docs.set(d, new Set());
    docs.get(d)!.add(id);
  }
  return { total, distinct: ids.size, duplicates: total - ids.size, ids, docs };
}

/** Poll `fn` (async) until it returns truthy; fail after `timeoutMs` with the last value. */
export async function until<T>(
  what: string,
  fn: () => Promise<T>,
  timeoutMs: number,
  intervalMs = 250
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not reached within ${timeoutMs} ms (last: ${JSON.stringify(last)})`
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Every delivery row settled (nothing pending, failed, or left in the outbox). */
export async function drained(inst: Instance) {
  const c = await inst.call('counts');
  return c.outbox === 0 && c.pending === 0 && c.failed === 0 ? c : null;
}

export const articleWebhook = (url: string, extra: Record<string, unknown> = {}) => ({
  name: `scale ${Math.random().toString(36).slice(2, 8)}`,
  contentType: 'api::article.article',
  events: ['entry.create'],
  url,
  method: 'POST',
  ...extra,
});
