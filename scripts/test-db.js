#!/usr/bin/env node
/**
 * `node scripts/test-db.js <postgres|mariadb> [vitest args…]`: start a PostgreSQL or MariaDB
 * server of our own (temporary data directory, free loopback port), run the integration
 * suite against it with TEST_DB set (each Strapi boot gets a fresh database), then stop
 * the server this script started (by its PID) whatever the outcome.
 *
 * Extra arguments replace the default `--project integration`, e.g.
 *   node scripts/test-db.js postgres --project scale
 * Needs the Debian packages `postgresql` / `mariadb-server`; dist/ must be built.
 */
const path = require('path');
const { spawn } = require('child_process');
const databases = require('../test/helpers/databases');

const root = path.resolve(__dirname, '..');
const vitest = path.join(root, 'node_modules', '.bin', 'vitest');

async function main() {
  const [kindArg, ...rest] = process.argv.slice(2);
  if (!kindArg || !['postgres', 'mariadb'].includes(databases.normalizeKind(kindArg))) {
    console.error('usage: node scripts/test-db.js <postgres|mariadb> [vitest args…]');
    process.exit(2);
  }
  const kind = databases.normalizeKind(kindArg);
  const started = Date.now();
  const server = await databases.startServer(kind);
  console.log(
    `== ${kind} server pid ${server.pid} on 127.0.0.1:${server.port} (${Date.now() - started} ms)`
  );
  let code = 1;
  let child = null;
  const forward = (sig) => {
    if (child) child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const args = ['run', ...(rest.length ? rest : ['--project', 'integration'])];
    const env = {
      ...process.env,
      TEST_DB: kind,
      [databases.SERVER_ENV]: databases.announce(server),
    };
    code = await new Promise((resolve, reject) => {
      child = spawn(vitest, args, { cwd: root, env, stdio: 'inherit' });
      child.on('error', reject);
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
  } finally {
    child = null;
    await server.stop();
    console.log(`== ${kind} server pid ${server.pid} stopped`);
  }
  process.exit(code);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
