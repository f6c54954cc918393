'use strict';
/**
 * Parent side of test/scale/child.js: spawn Strapi instances as child processes (keeping
 * their PIDs), call commands over IPC, kill or stop exactly those processes.
 */
const path = require('path');
const { fork } = require('child_process');

const CHILD = path.join(__dirname, 'child.js');

/**
 * @param {object} opts
 * @param {Record<string,string>} opts.dbEnv  DATABASE_* variables (databases.createDatabase().env)
 * @param {object} [opts.config]              plugin config (DOCUMENT_WEBHOOKS_CONFIG)
 * @param {number} [opts.bootTimeoutMs]
 * @param {string} [opts.name]
 * @param {Record<string,string>} [opts.env]  extra environment (e.g. STRAPI_LOG_LEVEL)
 * @param {boolean} [opts.captureOutput]      keep the child's stdout/stderr lines in `output` (still echoed)
 */
function spawnInstance(opts) {
  const env = {
    ...process.env,
    ...opts.dbEnv,
    ...(opts.env || {}),
    DOCUMENT_WEBHOOKS_CONFIG: JSON.stringify({
      allowPrivateAddresses: true,
      pollIntervalMs: 500,
      ...(opts.config || {}),
    }),
  };
  // Only variables of this run: the parent's own Strapi test settings must not leak in.
  if (opts.dbEnv.DATABASE_CLIENT !== 'sqlite') delete env.DATABASE_FILENAME;
  const out = opts.captureOutput ? 'pipe' : 'inherit';
  const child = fork(CHILD, [], {
    env,
    stdio: ['ignore', out, out, 'ipc'],
    execArgv: opts.execArgv || [],
  });
  const output = [];
  if (opts.captureOutput) {
    for (const [stream, echo] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      let rest = '';
      stream.on('data', (chunk) => {
        echo.write(chunk);
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop();
        output.push(...lines);
      });
    }
  }
  const name = opts.name || `instance-${child.pid}`;
  const waiting = new Map();
  const committed = [];
  /** unhandledRejection/uncaughtException reports of the child (child.js). */
  const faults = [];
  let seq = 0;
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      for (const { reject } of waiting.values())
        reject(new Error(`${name} exited (${signal || code})`));
      waiting.clear();
      resolve(exitInfo);
    });
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not boot within ${opts.bootTimeoutMs || 180_000} ms`)),
      opts.bootTimeoutMs || 180_000
    );
    exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited during boot (${e.signal || e.code})`));
    });
    child.on('message', (msg) => {
      if (msg && msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg);
      }
    });
  });
  ready.catch(() => {});
  child.on('message', (msg) => {
    if (!msg) return;
    if (msg.type === 'fault') {
      faults.push(`${msg.kind}: ${msg.error}`);
      return;
    }
    if (msg.type === 'committed') {
      for (const id of msg.documentIds) committed.push(id);
      return;
    }
    if (msg.id !== undefined && waiting.has(msg.id)) {
      const { resolve, reject } = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.ok) resolve(msg.result);
      else reject(new Error(`${name}: ${msg.error}`));
    }
  });

  const api = {
    name,
    pid: child.pid,
    child,
    committed,
    faults,
    output,
    ready,
    exited,
    get alive() {
      return exitInfo === null;
    },
    call(cmd, args = {}) {
      if (exitInfo) return Promise.reject(new Error(`${name} has exited`));
      const id = ++seq;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ id, cmd, ...args });
      });
    },
    /** SIGKILL this process (a crash) and wait until it is gone. */
    async kill() {
      if (exitInfo) return exitInfo;
      child.kill('SIGKILL');
      return exited;
    },
    /** Graceful stop, then SIGKILL if it does not exit in time. */
    async stop(timeoutMs = 20_000) {
      if (exitInfo) return exitInfo;
      api.call('stop').catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
  return api;
}

module.exports = { spawnInstance };
