'use strict';
/**
 * Database servers for the test suites (plain CommonJS: used by scripts/test-db.js,
 * scripts/bench.js, test/helpers/strapi.ts and the scale tests).
 *
 *   const db = require('./databases');
 *   const server = await db.startServer('postgres');   // or 'mariadb'
 *   const env = await db.createDatabase('postgres');    // fresh database, env for Strapi
 *   await server.stop();                                // stops only the PID it started
 *
 * Servers run from a temporary data directory on a free loopback port, as daemons this
 * module started itself (never the system cluster, never someone else's process). A server
 * started by a parent process (scripts/test-db.js) is announced to children through
 * DW_TEST_DB_SERVER (JSON); `ensureServer` reuses it and only starts one when none is
 * announced. Debian packages: `postgresql` (15) and `mariadb-server` (10.11).
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { randomBytes } = require('crypto');
const { spawn, execFileSync } = require('child_process');

const KINDS = ['sqlite', 'postgres', 'mariadb'];
const SERVER_ENV = 'DW_TEST_DB_SERVER';
const USER = 'strapi';
const PASSWORD = 'strapi';

function normalizeKind(kind) {
  const k = String(kind || 'sqlite').toLowerCase();
  if (k === 'pg' || k === 'postgresql') return 'postgres';
  if (k === 'mysql' || k === 'mariadb') return 'mariadb';
  if (!KINDS.includes(k))
    throw new Error(`unknown database "${kind}" (expected one of ${KINDS.join(', ')})`);
  return k;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until truthy, at most `timeoutMs`. */
async function waitUntil(what, fn, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline)
      throw new Error(`databases: ${what} not ready within ${timeoutMs} ms`);
    await delay(intervalMs);
  }
}

function findBinary(name, dirs) {
  for (const d of dirs) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(
    `databases: ${name} not found in ${dirs.join(', ')} (install the Debian package: apt-get install postgresql mariadb-server)`
  );
}

function pgBinDir() {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => b - a)
    : [];
  if (!versions.length)
    throw new Error('databases: PostgreSQL is not installed (apt-get install postgresql)');
  return path.join(base, versions[0], 'bin');
}

/** Run as the unprivileged `postgres` user when we are root (PostgreSQL refuses root). */
function asPostgres(cmd, args) {
  if (process.getuid && process.getuid() === 0)
    return ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
  return [cmd, args];
}

function readTail(file, bytes = 4000) {
  try {
    const buf = fs.readFileSync(file);
    return buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8');
  } catch {
    return '';
  }
}

async function stopPid(pid, label, timeoutMs = 30_000) {
  if (!pid || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await delay(100);
  if (isAlive(pid)) {
    process.stderr.write(
      `databases: ${label} (pid ${pid}) ignored SIGTERM for ${timeoutMs} ms; sending SIGKILL\n`
    );
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

async function startPostgres() {
  const bin = pgBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (process.getuid && process.getuid() === 0)
    execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  fs.chmodSync(dir, 0o755);
  const [initCmd, initArgs] = asPostgres(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    USER,
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-instructions',
  ]);
  execFileSync(initCmd, initArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await freePort();
  // Throwaway test data: no fsync (the fault tests stop the server cleanly, never crash it).
  const opts = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const pid = await pgCtlStart({ data, logFile, opts, port });
  return { kind: 'postgres', port, pid, dir, data, logFile, opts };
}

/** `pg_ctl start` on an initialised data directory; resolves to the postmaster's PID once it accepts connections. */
async function pgCtlStart({ data, logFile, opts, port }) {
  const [ctlCmd, ctlArgs] = asPostgres(path.join(pgBinDir(), 'pg_ctl'), [
    '-D',
    data,
    '-l',
    logFile,
    '-o',
    opts,
    '-w',
    '-t',
    '60',
    'start',
  ]);
  try {
    execFileSync(ctlCmd, ctlArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`databases: PostgreSQL did not start: ${err.message}\n${readTail(logFile)}`);
  }
  const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  await waitUntil('PostgreSQL', () => canConnect(port), 30_000);
  return pid;
}

async function startMariadb() {
  const installDb = findBinary('mariadb-install-db', ['/usr/bin', '/usr/local/bin']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-maria-'));
  const data = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const logFile = path.join(dir, 'server.log');
  const user = process.getuid && process.getuid() === 0 ? 'root' : os.userInfo().username;
  execFileSync(
    installDb,
    [
      `--datadir=${data}`,
      `--user=${user}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  );
  const port = await freePort();
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--user=${user}`,
    `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
    '--skip-name-resolve',
    '--max-connections=300',
    // Throwaway test data: no fsync per commit.
    '--innodb-flush-log-at-trx-commit=2',
    '--innodb-doublewrite=0',
    '--innodb-buffer-pool-size=256M',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
  ];
  const pid = await mariadbdStart({ args, logFile, socket, port });
  try {
    const client = findBinary('mariadb', ['/usr/bin', '/usr/local/bin']);
    const sql = `CREATE USER '${USER}'@'%' IDENTIFIED BY '${PASSWORD}'; GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'%' WITH GRANT OPTION; FLUSH PRIVILEGES;`;
    execFileSync(client, [`--socket=${socket}`, '-uroot', '-e', sql], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    await stopPid(pid, 'mariadbd');
    throw err;
  }
  return { kind: 'mariadb', port, pid, dir, logFile, socket, args };
}

/** Start mariadbd (detached) with `args`; resolves to its PID once it accepts connections. */
async function mariadbdStart({ args, logFile, socket, port }) {
  const mariadbd = findBinary('mariadbd', ['/usr/sbin', '/usr/bin', '/usr/local/sbin']);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(mariadbd, args, { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.unref();
  const pid = child.pid;
  try {
    await waitUntil(
      'MariaDB',
      async () => {
        if (!isAlive(pid)) throw new Error(`mariadbd exited:\n${readTail(logFile)}`);
        return fs.existsSync(socket) && (await canConnect(port));
      },
      60_000
    );
  } catch (err) {
    await stopPid(pid, 'mariadbd');
    throw err;
  }
  return pid;
}

/**
 * Start a PostgreSQL or MariaDB server of our own. Returns its description plus `stop()`,
 * which ends that PID only and removes its data directory.
 */
async function startServer(kind) {
  const k = normalizeKind(kind);
  if (k === 'sqlite') return { kind: k, port: null, pid: null, stop: async () => {} };
  const info = k === 'postgres' ? await startPostgres() : await startMariadb();
  return withStop(info, true);
}

function withStop(info, owned) {
  const server = {
    ...info,
    owned,
    async stop() {
      if (!owned) return;
      await stopPid(server.pid, info.kind === 'postgres' ? 'postgres' : 'mariadbd');
      if (!isAlive(server.pid)) fs.rmSync(info.dir, { recursive: true, force: true });
    },
    /**
     * Database fault tests: stop the server as a maintenance restart does (PostgreSQL: `pg_ctl
     * stop -m fast`, which terminates every connection; MariaDB: SIGTERM, a normal shutdown),
     * keeping its data. Only a server this process started.
     */
    async halt() {
      if (!owned) throw new Error('databases: halt() only on a server this process started');
      if (info.kind === 'postgres') {
        const [cmd, args] = asPostgres(path.join(pgBinDir(), 'pg_ctl'), [
          '-D',
          info.data,
          '-m',
          'fast',
          '-w',
          '-t',
          '60',
          'stop',
        ]);
        execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      } else {
        await stopPid(server.pid, 'mariadbd');
      }
    },
    /** Start a halted server again on the same port and data (its PID changes). */
    async resume() {
      if (!owned) throw new Error('databases: resume() only on a server this process started');
      server.pid = info.kind === 'postgres' ? await pgCtlStart(info) : await mariadbdStart(info);
    },
  };
  return server;
}

/** The server announced by a parent process, if it is of this kind and still up. */
function announcedServer(kind) {
  const raw = process.env[SERVER_ENV];
  if (!raw) return null;
  try {
    const info = JSON.parse(raw);
    if (info.kind !== kind || !isAlive(info.pid)) return null;
    return info;
  } catch {
    return null;
  }
}

/** Make `server` visible to child processes (and to later calls in this one). */
function announce(server) {
  const { kind, port, pid, dir, socket } = server;
  process.env[SERVER_ENV] = JSON.stringify({ kind, port, pid, dir, socket });
  return process.env[SERVER_ENV];
}

/**
 * A running server of `kind`: the announced one, else one started now (returned with
 * `owned: true`; the caller stops it).
 */
async function ensureServer(kind) {
  const k = normalizeKind(kind);
  if (k === 'sqlite') return { kind: k, port: null, pid: null, owned: false, stop: async () => {} };
  const info = announcedServer(k);
  if (info && (await canConnect(info.port))) return withStop(info, false);
  const server = await startServer(k);
  announce(server);
  return server;
}

function requireFrom(name) {
  // Resolve drivers from the repository (they are devDependencies of the plugin).
  return require(
    require.resolve(name, { paths: [path.resolve(__dirname, '..', '..'), process.cwd()] })
  );
}

/** Run one SQL statement as the admin user on the server. */
async function adminQuery(kind, port, sql) {
  if (kind === 'postgres') {
    const { Client } = requireFrom('pg');
    const client = new Client({
      host: '127.0.0.1',
      port,
      user: USER,
      password: PASSWORD,
      database: 'postgres',
    });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  }
  const mysql = requireFrom('mysql2/promise');
  const conn = await mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
  });
  try {
    return await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/**
 * Ensure a server of `kind` runs, create a fresh, empty database on it and return the
 * environment Strapi's playground `config/database.js` reads, plus `server` (stop it when
 * `server.owned`) and `drop()`.
 */
async function createDatabase(kind, opts = {}) {
  const k = normalizeKind(kind);
  if (k === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-test-'));
    const file = path.join(dir, 'data.db');
    return {
      kind: k,
      env: { DATABASE_CLIENT: 'sqlite', DATABASE_FILENAME: file },
      server: await ensureServer(k),
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const server = opts.server ?? (await ensureServer(k));
  const name = opts.name ?? `dw_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`databases: invalid database name "${name}"`);
  // `reuse: true` attaches to an existing database (restart tests) instead of creating one.
  if (!opts.reuse) {
    await adminQuery(
      k,
      server.port,
      k === 'postgres'
        ? `CREATE DATABASE "${name}"`
        : `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`
    );
  }
  const env = {
    DATABASE_CLIENT: k === 'postgres' ? 'postgres' : 'mysql',
    DATABASE_HOST: '127.0.0.1',
    DATABASE_PORT: String(server.port),
    DATABASE_NAME: name,
    DATABASE_USERNAME: USER,
    DATABASE_PASSWORD: PASSWORD,
  };
  return {
    kind: k,
    name,
    env,
    server,
    async drop() {
      const sql =
        k === 'postgres'
          ? `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`
          : `DROP DATABASE IF EXISTS \`${name}\``;
      await adminQuery(k, server.port, sql).catch(() => {});
    },
  };
}

/** The database kind the tests should use: TEST_DB=sqlite|postgres|mariadb (default sqlite). */
function testDbKind() {
  return normalizeKind(process.env.TEST_DB || 'sqlite');
}

module.exports = {
  KINDS,
  SERVER_ENV,
  normalizeKind,
  testDbKind,
  startServer,
  ensureServer,
  announce,
  createDatabase,
  adminQuery,
  freePort,
  stopPid,
};

// `node test/helpers/databases.js postgres|mariadb`: start a server, create a database, print the env, stop.
if (require.main === module) {
  (async () => {
    const kind = process.argv[2] || 'postgres';
    const server = await startServer(kind);
    try {
      const db = await createDatabase(kind, { server });
      console.log(JSON.stringify({ pid: server.pid, port: server.port, env: db.env }, null, 2));
      await db.drop();
    } finally {
      await server.stop();
    }
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
