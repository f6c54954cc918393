import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

// Strapi's ESM build does not load under Node's ESM resolver; its CommonJS build does.
const requireCjs = createRequire(__filename);
// TEST_DB=sqlite|postgres|mariadb: servers and fresh databases (plain CommonJS, shared with scripts/).
const databases = requireCjs('./databases.js');

export const ROOT = path.resolve(__dirname, '..', '..');
export const PLAYGROUND = path.join(ROOT, 'playground');

export interface BootOptions {
  /** Plugin config merged over the playground's (e.g. retry schedule, allowed hosts). */
  config?: Record<string, unknown>;
  /**
   * Reuse a database (restart tests): pass a previous app's `dbFile`. With TEST_DB=postgres
   * or mariadb it names a database on the test server instead of a file.
   */
  dbFile?: string;
}

export interface TestApp {
  strapi: any;
  baseUrl: string;
  /** SQLite file, or `postgres:<name>` / `mariadb:<name>` (pass it back as `dbFile` to reuse). */
  dbFile: string;
  /** Admin API call with the super admin's token (or `token`). */
  api(
    method: string,
    url: string,
    body?: unknown,
    token?: string | null
  ): Promise<{ status: number; body: any }>;
  adminToken: string;
  createAdmin(email: string, actions: string[]): Promise<string>;
  stop(): Promise<void>;
}

export const tempDbFile = () =>
  path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dw-test-')), 'data.db');

/** The database engine of this run: TEST_DB=sqlite (default) | postgres | mariadb. */
export const testDb = (): 'sqlite' | 'postgres' | 'mariadb' => databases.testDbKind();

const DB_REF = /^(postgres|mariadb):(.+)$/;
let ownedServer: { pid: number; stop(): Promise<void> } | null = null;

/**
 * Point the playground's config/database.js at the database of this run: a SQLite file, or
 * a database on a PostgreSQL/MariaDB server (the one scripts/test-db.js announced, else one
 * started here and stopped when this process exits). Returns the `dbFile` reference.
 */
async function selectDatabase(dbFile: string | undefined): Promise<string> {
  const kind = testDb();
  for (const key of [
    'DATABASE_HOST',
    'DATABASE_PORT',
    'DATABASE_NAME',
    'DATABASE_USERNAME',
    'DATABASE_PASSWORD',
  ])
    delete process.env[key];
  if (kind === 'sqlite') {
    const file = dbFile ?? tempDbFile();
    process.env.DATABASE_CLIENT = 'sqlite';
    process.env.DATABASE_FILENAME = file;
    return file;
  }
  const server = await databases.ensureServer(kind);
  if (server.owned && !ownedServer) {
    ownedServer = server;
    // Synchronous on purpose: 'exit' handlers cannot wait. Only the PID this process started.
    process.once('exit', () => {
      try {
        process.kill(server.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    });
  }
  const ref = dbFile ? DB_REF.exec(dbFile) : null;
  if (dbFile && (!ref || ref[1] !== kind))
    throw new Error(`bootStrapi: dbFile "${dbFile}" is not a ${kind} database of this run`);
  const db = await databases.createDatabase(
    kind,
    ref ? { server, name: ref[2], reuse: true } : { server }
  );
  Object.assign(process.env, db.env);
  return `${kind}:${db.name}`;
}

/**
 * Boot the playground Strapi (with the built plugin from dist/) on a fresh database (SQLite
 * file by default; TEST_DB=postgres|mariadb for the others),
 * listen on an ephemeral loopback port, and log in as a super admin.
 */
export async function bootStrapi(opts: BootOptions = {}): Promise<TestApp> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'server', 'index.js'))) {
    throw new Error(
      'dist/ is missing: run `npm run build` first (Strapi silently skips an unbuilt plugin).'
    );
  }
  const dbFile = await selectDatabase(opts.dbFile);
  process.env.SERVE_ADMIN = 'false';
  process.env.STRAPI_LOG_LEVEL = process.env.STRAPI_LOG_LEVEL ?? 'warn';
  process.env.STRAPI_TELEMETRY_DISABLED = 'true';
  process.env.DOCUMENT_WEBHOOKS_CONFIG = JSON.stringify({
    allowPrivateAddresses: true,
    pollIntervalMs: 500,
    ...opts.config,
  });
  // The process's own listeners (the test runner's IPC among them), before Strapi adds its
  // SIGINT/SIGTERM handlers: stop() puts back these and only these.
  const ownListeners = process
    .eventNames()
    .map((ev) => [ev, process.listeners(ev as any)] as const);
  const { createStrapi } = requireCjs('@strapi/strapi');
  const strapi = createStrapi({ appDir: PLAYGROUND, distDir: PLAYGROUND });
  await strapi.load();
  await strapi.server.mount();
  const httpServer = strapi.server.httpServer;
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;

  const api = async (method: string, url: string, body?: unknown, token?: string | null) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    const bearer = token === undefined ? app.adminToken : token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  };

  let counter = 0;
  const createAdmin = async (email: string, actions: string[] | null): Promise<string> => {
    const password = 'Test1234!';
    let roleId: number;
    if (actions === null) {
      roleId = (await strapi.service('admin::role').getSuperAdmin()).id;
    } else {
      const role = await strapi
        .service('admin::role')
        .create({ name: `test-role-${Date.now()}-${++counter}`, description: 'test' });
      await strapi.service('admin::role').assignPermissions(
        role.id,
        actions.map((action) => ({ action, subject: null, properties: {}, conditions: [] }))
      );
      roleId = role.id;
    }
    await strapi.service('admin::user').create({
      email,
      firstname: 'Test',
      lastname: 'User',
      password,
      isActive: true,
      roles: [roleId],
    });
    const res = await api('POST', '/admin/login', { email, password }, null);
    if (res.status !== 200)
      throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data.token;
  };

  const app: TestApp = {
    strapi,
    baseUrl,
    dbFile,
    api,
    adminToken: '',
    createAdmin: (email, actions) => createAdmin(email, actions),
    async stop() {
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      // strapi.destroy() calls process.removeAllListeners(), which would also cut the test
      // runner's IPC channel to this worker: put back what was there before.
      // (Not Strapi's own signal handlers: run after destroy, they would destroy it twice.)
      const mine = new Set(ownListeners.flatMap(([, ls]) => ls));
      const saved = process
        .eventNames()
        .map((ev) => [ev, process.listeners(ev as any).filter((l) => mine.has(l))] as const);
      await strapi.destroy();
      for (const [ev, listeners] of saved) {
        for (const l of listeners)
          if (!process.listeners(ev as any).includes(l)) process.on(ev as any, l as any);
      }
    },
  };
  app.adminToken = await createAdmin(
    `admin-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@test.local`,
    null
  );
  return app;
}
