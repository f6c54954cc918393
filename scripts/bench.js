#!/usr/bin/env node
/**
 * `npm run bench` (node scripts/bench.js [--db sqlite|postgres|mariadb] [--quick]):
 * measures the plugin on this machine and writes docs/benchmarks.md. No pass/fail: it
 * prints a table with the goals next to the numbers.
 *
 *  1. write overhead   median latency of sequential document creates, 0 vs 10 matching webhooks
 *  1b. coalescing      the same with 10 coalescing webhooks; a burst of 1,000 updates over 10
 *                      documents to a webhook with 2 s windows (10 deliveries expected)
 *  2. throughput       deliveries/s draining a burst (with the request log), vs a bare axios
 *                      loop at the same concurrency, vs Strapi's built-in webhooks
 *  3. latency          commit → receiver on an idle system, p50/p99
 *  3b. isolation       the same for a healthy webhook beside six slow endpoints (4 s, hanging)
 *  4. backlog          100,000 pending deliveries (--backlog N): drain rate, peak RSS, admin log list time
 *  5. log size         bytes per delivery in the request log (table + indexes)
 *  6. two instances    PostgreSQL/MariaDB only: a second Strapi process on the same database,
 *                      total drain rate and CPU-ms per delivery, against one instance
 *  7. stats            `GET /webhooks/:id/stats` (the service) with 1,000,000 log rows
 *                      (--stats-rows N); `--only stats` runs this section alone, on a fresh
 *                      database, and writes only its section of docs/benchmarks.md
 *  `--only coalescing` runs section 1b alone (after the same warm-up writes) and prints its
 *  rows without writing docs/benchmarks.md, `--only writes` sections 1 and 1b: for comparing
 *  two builds in alternating runs.
 *
 * `--db sqlite` (the default) rewrites docs/benchmarks.md above its hand-written findings;
 * `--db postgres|mariadb` start a server of their own (test/helpers/databases.js, stopped by
 * its PID) and replace only that database's section of the file.
 * Strapi runs as a child process (test/scale/child.js, the built plugin from dist/; run
 * `npm run build` first); the receiver is a plain HTTP server in this process on 127.0.0.1.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const databases = require('../test/helpers/databases');
const { spawnInstance } = require('../test/scale/instances');

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const QUICK = args.includes('--quick');
const DB = databases.normalizeKind(opt('db', process.env.TEST_DB || 'sqlite'));
const N_WRITES = Number(opt('writes', QUICK ? 100 : 300));
const N_BURST = Number(opt('burst', QUICK ? 500 : 1000));
const TP_ROUNDS = 5;
const N_LATENCY = Number(opt('latency', QUICK ? 50 : 100));
const N_BACKLOG = Number(opt('backlog', QUICK ? 10000 : 100000));
const SLOW_MS = 20;
const ONLY = opt('only', null);
const N_STATS = Number(opt('stats-rows', 1_000_000));
const OUT = opt('out', path.join(ROOT, 'docs', 'benchmarks.md'));
const DEADLINE = Date.now() + 9.5 * 60_000;

const log = (...a) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const median = (xs) => percentile(xs, 50);
function percentile(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/** A receiver counting requests per path, with arrival wall-clock times. */
function startReceiver() {
  const byPath = new Map();
  const waiters = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const p = (req.url || '/').split('?')[0];
      let list = byPath.get(p);
      if (!list) byPath.set(p, (list = []));
      let documentId = null;
      if (p === '/latency' || p === '/healthy') {
        try {
          documentId = JSON.parse(Buffer.concat(chunks).toString('utf8')).documentId;
        } catch {
          /* not JSON */
        }
      }
      list.push({ at, id: req.headers['webhook-id'] || null, documentId });
      const answer = () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      };
      // /slow…: a receiver that takes SLOW_MS to answer, as a real endpoint does. /erp answers
      // in 4 s (an overloaded system), /hang never (the client's timeout ends the attempt).
      if (p.startsWith('/slow')) setTimeout(answer, SLOW_MS);
      else if (p === '/erp') setTimeout(answer, 4000);
      else if (p !== '/hang') answer();
      for (const w of waiters) w();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = server.address().port;
      resolve({
        port,
        url: (p) => `http://127.0.0.1:${port}${p}`,
        got: (p) => byPath.get(p) || [],
        waitCount(p, n, timeoutMs) {
          return new Promise((resolve, reject) => {
            const check = () => {
              if ((byPath.get(p) || []).length >= n) {
                cleanup();
                resolve((byPath.get(p) || []).length);
              }
            };
            const timer = setTimeout(() => {
              cleanup();
              reject(
                new Error(
                  `receiver ${p}: ${(byPath.get(p) || []).length}/${n} within ${timeoutMs} ms`
                )
              );
            }, timeoutMs);
            const cleanup = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function machine() {
  const cpus = os.cpus();
  let strapiVersion = '?';
  try {
    strapiVersion = require(
      require.resolve('@strapi/strapi/package.json', { paths: [ROOT] })
    ).version;
  } catch {
    /* unknown */
  }
  return {
    cpu: `${cpus[0]?.model ?? '?'} × ${cpus.length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    strapi: strapiVersion,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

/**
 * Size of the request log, in each child's eval: `{ rows, bytes, body }` — table plus its
 * indexes (SQLite: the pages `dbstat` counts; PostgreSQL: pg_total_relation_size, which
 * includes TOAST and dead row versions not yet reused; MariaDB: InnoDB's data + index length
 * after ANALYZE TABLE, an estimate in whole pages).
 */
const LOG_SIZE_SQL = {
  sqlite: `const k = strapi.db.connection; const t = 'document_webhooks_logs';
    const [{ n, body }] = await k.raw('SELECT COUNT(*) AS n, AVG(LENGTH(request_body)) AS body FROM ' + t);
    const [{ bytes }] = await k.raw("SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = ?)", [t]);
    return { rows: Number(n), bytes: Number(bytes), body: Number(body) };`,
  postgres: `const k = strapi.db.connection; const t = 'document_webhooks_logs';
    const { rows: [{ n, body }] } = await k.raw('SELECT COUNT(*) AS n, AVG(OCTET_LENGTH(request_body)) AS body FROM ' + t);
    const { rows: [{ bytes }] } = await k.raw('SELECT pg_total_relation_size(?) AS bytes', [t]);
    return { rows: Number(n), bytes: Number(bytes), body: Number(body) };`,
  mariadb: `const k = strapi.db.connection; const t = 'document_webhooks_logs';
    await k.raw('ANALYZE TABLE ' + t);
    const [[{ n, body }]] = await k.raw('SELECT COUNT(*) AS n, AVG(LENGTH(request_body)) AS body FROM ' + t);
    const [[{ bytes }]] = await k.raw('SELECT data_length + index_length AS bytes FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [t]);
    return { rows: Number(n), bytes: Number(bytes), body: Number(body) };`,
};

const WEBHOOK = (name, uid, url, extra = {}) => ({
  name,
  contentType: uid,
  events: ['entry.create'],
  url,
  method: 'POST',
  ...extra,
});

/**
 * Stop the engine and start it again with the worker on or off; resolves to the wall-clock
 * time (epoch ms) the worker started. The render processes are started before that moment: they
 * are started once per engine start (~0.1 s), so a drain measures delivering, not booting.
 */
async function setWorker(inst, on) {
  return inst.call('eval', {
    code: `const engine = strapi.plugin('document-webhooks').service('engine');
      await engine.stop();
      strapi.config.set('plugin::document-webhooks.worker', ${on});
      if (${on}) await engine.renderer().render('', {});
      const at = performance.timeOrigin + performance.now();
      await engine.start();
      return at;`,
  });
}
/** Enable or disable the plugin's webhooks matching `where` (a query filter), effective at once. */
const setEnabled = (inst, where, enabled) =>
  inst.call('eval', {
    code: `await strapi.db.query('plugin::document-webhooks.webhook').updateMany({ where: ${JSON.stringify(where)}, data: { enabled: ${enabled} } });
      await strapi.plugin('document-webhooks').service('engine').definitionsChanged(); return true;`,
  });
const lastArrival = (list) => list.reduce((m, r) => Math.max(m, r.at), 0);

async function untilDrained(inst, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await inst.call('counts');
    if (c.outbox === 0 && c.pending === 0 && c.failed === 0) return c;
    if (Date.now() > deadline)
      throw new Error(`not drained within ${timeoutMs} ms: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const UID_W = 'api::article.article';
const ROUNDS = QUICK ? 3 : 6;

/**
 * Write overhead: median latency of sequential creates of UID_W with none, then 10, of the
 * webhooks whose name starts with `names` enabled (on `entry.create`), in alternating rounds so
 * drift over the run (JIT, table growth, a neighbour's load) hits both sides alike; each
 * 0-webhook round starts with nothing left to deliver, each 10-webhook round has the worker
 * delivering its writes meanwhile. Six rounds of 50 writes per side: with three rounds of 50 one
 * run in four read ×1.41 where the others read ×1.13–1.16 (a few seconds of a slow neighbour
 * land on one side). Ends with those webhooks disabled and everything delivered.
 */
async function alternatingOverhead(inst, names, prefix) {
  const hooks = async (enabled) => {
    await setEnabled(inst, { name: { $startsWith: names } }, enabled);
    if (enabled) await inst.call('waitWebhooks', { uid: UID_W, event: 'entry.create', count: 10 });
  };
  const side = async (tag) =>
    (
      await inst.call('write', {
        uid: UID_W,
        n: Math.ceil(N_WRITES / ROUNDS),
        concurrency: 1,
        prefix: tag,
        timings: true,
      })
    ).latencies;
  const base = [];
  const with10 = [];
  for (let r = 0; r < ROUNDS; r++) {
    await hooks(false);
    await untilDrained(inst, 300_000);
    base.push(...(await side(`${prefix}0r${r}`)));
    await hooks(true);
    with10.push(...(await side(`${prefix}10r${r}`)));
  }
  await hooks(false);
  await untilDrained(inst, 300_000);
  const o = {
    base: median(base),
    with10: median(with10),
    baseP90: percentile(base, 90),
    with10P90: percentile(with10, 90),
    rounds: ROUNDS,
  };
  o.ratio = o.with10 / o.base;
  return o;
}

/**
 * 1b. Coalescing windows (issue 15; docs/events.md, "Bursts: coalescing windows"): the write
 * overhead again, the 10 webhooks coalescing per document (2 s windows: a write's change joins
 * its window in the fan-out instead of being rendered); then a burst of updates over 10
 * documents to one webhook coalescing per document (2 s window, a maximum wait that does not
 * cut the burst): 10 deliveries expected.
 */
async function benchCoalescing(inst, rx, results) {
  for (let i = 0; i < 10; i++) {
    await inst.call('createWebhook', {
      body: WEBHOOK(`coalescing ${i}`, UID_W, rx.url('/coalescing'), {
        coalesce: { by: 'document', windowSeconds: 2 },
      }),
    });
  }
  results.coalesce = await alternatingOverhead(inst, 'coalescing ', 'c');
  log(
    `write overhead, 10 coalescing webhooks: median ${fmt(results.coalesce.base, 2)} ms → ${fmt(results.coalesce.with10, 2)} ms (×${fmt(results.coalesce.ratio, 2)})`
  );

  const N_COALESCE = QUICK ? 500 : 1000;
  await inst.call('createWebhook', {
    body: WEBHOOK('coalescing burst', 'api::quotation.quotation', rx.url('/window'), {
      events: ['entry.update'],
      coalesce: { by: 'document', windowSeconds: 2, maxWaitSeconds: 3600 },
    }),
  });
  await inst.call('waitWebhooks', {
    uid: 'api::quotation.quotation',
    event: 'entry.update',
    count: 1,
  });
  const burst = await inst.call('eval', {
    code: `const docs = strapi.documents('api::quotation.quotation');
      const ids = [];
      for (let i = 0; i < 10; i++) ids.push((await docs.create({ data: { customer: 'window ' + i } })).documentId);
      const t0 = performance.timeOrigin + performance.now();
      for (let i = 0; i < ${N_COALESCE}; i++) await docs.update({ documentId: ids[i % 10], data: { title: 'u' + i } });
      return { t0, t1: performance.timeOrigin + performance.now() };`,
  });
  await untilDrained(inst, 300_000);
  const windows = rx.got('/window');
  results.coalesceBurst = {
    updates: N_COALESCE,
    deliveries: windows.length,
    writeMs: burst.t1 - burst.t0,
    lastAfterMs: lastArrival(windows) - burst.t1,
  };
  log(
    `coalescing burst: ${N_COALESCE} updates over 10 documents in ${fmt(results.coalesceBurst.writeMs / 1000)} s → ${windows.length} deliveries, the last ${fmt(results.coalesceBurst.lastAfterMs)} ms after the last update`
  );
  await setEnabled(inst, {}, false);
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'server', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const results = {
    machine: machine(),
    db: DB,
    sizes: { writes: N_WRITES, burst: N_BURST, latency: N_LATENCY, backlog: N_BACKLOG },
  };
  const rx = await startReceiver();
  const server = DB === 'sqlite' ? null : await databases.startServer(DB);
  const dbs = [];
  const instances = [];
  const concurrency = 20;
  const perWebhook = 4;
  const config = {
    concurrency,
    perWebhookConcurrency: perWebhook,
    pollIntervalMs: 1000,
    logRetentionDays: 30,
  };
  try {
    const fresh = async () => {
      const db = await databases.createDatabase(DB, server ? { server } : {});
      dbs.push(db);
      return db.env;
    };
    log(`database ${DB}; sizes ${JSON.stringify(results.sizes)}`);
    // --expose-gc: the backlog section samples the live heap after a full collection.
    let inst = spawnInstance({
      dbEnv: await fresh(),
      config,
      name: 'bench',
      execArgv: ['--expose-gc'],
    });
    instances.push(inst);
    await inst.ready;
    if (DB === 'sqlite') {
      results.journal = await inst.call('eval', {
        code: `const j = await strapi.db.connection.raw('pragma journal_mode'); const s = await strapi.db.connection.raw('pragma synchronous'); return { mode: j?.[0]?.journal_mode ?? null, synchronous: s?.[0]?.synchronous ?? null };`,
      });
      log(
        `sqlite journal_mode ${results.journal.mode}, synchronous ${results.journal.synchronous}`
      );
    }
    if (ONLY === 'stats') {
      results.stats = await benchStats(inst, rx);
      return results;
    }

    // ---- 1. write overhead --------------------------------------------------------------
    const uidW = UID_W;
    await inst.call('write', { uid: uidW, n: 30, concurrency: 1, prefix: 'warm' });
    if (ONLY === 'coalescing') {
      await benchCoalescing(inst, rx, results);
      return results;
    }
    for (let i = 0; i < 10; i++)
      await inst.call('createWebhook', {
        body: WEBHOOK(`overhead ${i}`, uidW, rx.url('/overhead')),
      });
    await inst.call('waitWebhooks', { uid: uidW, event: 'entry.create', count: 10 });
    await inst.call('write', { uid: uidW, n: 30, concurrency: 1, prefix: 'warm10' });
    results.overhead = await alternatingOverhead(inst, 'overhead ', 'w');
    log(
      `write overhead: median ${fmt(results.overhead.base, 2)} ms → ${fmt(results.overhead.with10, 2)} ms (×${fmt(results.overhead.ratio, 2)})`
    );
    // Those ten webhooks are done with.
    await setEnabled(inst, {}, false);

    // ---- 1b. coalescing windows ----------------------------------------------------------
    await benchCoalescing(inst, rx, results);
    if (ONLY === 'writes') return results;

    // ---- 3. latency on an idle system (before the bursts fill the tables) -----------------
    const uidQ = 'api::quotation.quotation';
    await inst.call('createWebhook', { body: WEBHOOK('latency', uidW, rx.url('/latency')) });
    await inst.call('waitWebhooks', { uid: uidW, event: 'entry.create', count: 1 });
    const lat = [];
    for (let i = 0; i < N_LATENCY; i++) {
      const before = rx.got('/latency').length;
      const w = await inst.call('write', {
        uid: uidW,
        n: 1,
        concurrency: 1,
        prefix: `lat${i}`,
        stamps: true,
      });
      await rx.waitCount('/latency', before + 1, 30_000);
      const [docId, committedAt] = w.committedAt[0];
      const hit = rx.got('/latency').find((r) => r.documentId === docId);
      if (hit) lat.push(hit.at - committedAt);
    }
    results.latency = {
      p50: percentile(lat, 50),
      p90: percentile(lat, 90),
      p99: percentile(lat, 99),
      n: lat.length,
    };
    log(
      `latency commit → receiver: p50 ${fmt(results.latency.p50)} ms, p99 ${fmt(results.latency.p99)} ms`
    );
    await setEnabled(inst, {}, false);

    // ---- 3b. isolation: a healthy webhook beside six slow endpoints (issue 19) ---------------
    // 30 writes 50 ms apart to a type with one healthy webhook and six to a receiver answering in
    // 4 s, then six to one that never answers (default timeout 5 s; one attempt, so no retry
    // outlives the section); the healthy webhook's commit → receiver latency. The slow ones are
    // then disabled: what they still hold ends as it would (answer, timeout), the rest exhausted.
    results.isolation = {};
    await inst.call('createWebhook', { body: WEBHOOK('healthy', uidW, rx.url('/healthy')) });
    for (const [kind, slowPath, extra] of [
      ['4 s', '/erp', {}],
      ['hanging', '/hang', { maxAttempts: 1 }],
    ]) {
      await setEnabled(inst, {}, false);
      await setEnabled(inst, { name: 'healthy' }, true);
      for (let k = 0; k < 6; k++)
        await inst.call('createWebhook', {
          body: WEBHOOK(`isolation ${kind} ${k}`, uidW, rx.url(slowPath), extra),
        });
      await inst.call('waitWebhooks', { uid: uidW, event: 'entry.create', count: 7 });
      const before = rx.got('/healthy').length;
      const w = await inst.call('write', {
        uid: uidW,
        n: 30,
        concurrency: 1,
        prefix: `iso${kind}`,
        stamps: true,
        spacingMs: 50,
      });
      await rx.waitCount('/healthy', before + 30, 120_000);
      const hits = new Map(rx.got('/healthy').map((r) => [r.documentId, r.at]));
      const isoLat = w.committedAt
        .filter(([id]) => hits.has(id))
        .map(([id, at]) => hits.get(id) - at);
      results.isolation[kind] = {
        p50: percentile(isoLat, 50),
        max: Math.max(...isoLat),
        n: isoLat.length,
      };
      log(
        `healthy webhook beside six ${kind} endpoints: p50 ${fmt(results.isolation[kind].p50)} ms, max ${fmt(results.isolation[kind].max)} ms`
      );
      await setEnabled(inst, { name: { $startsWith: `isolation ${kind} ` } }, false);
      await untilDrained(inst, 120_000);
    }
    await setEnabled(inst, {}, false);

    // ---- 2. throughput -------------------------------------------------------------------
    // TP_ROUNDS rounds, each: fill the outbox with the worker off and time the drain from the
    // moment it starts; the same requests from a bare axios loop; the same events through
    // Strapi's built-in webhooks. The ratios are taken within a round (the three runs are
    // seconds apart) and the median round reported: on a shared machine the speed drifts by
    // ±30 % over minutes, more than what is compared. Five rounds, not three: with runs of
    // under a second each, single rounds ranged from ×0.37 to ×0.68 of bare axios in one bench.
    await inst.call('createWebhook', { body: WEBHOOK('burst', uidQ, rx.url('/burst')) });
    await inst.call('waitWebhooks', { uid: uidQ, event: 'entry.create', count: 1 });
    const concurrencyTp = Math.min(concurrency, perWebhook);
    const tpRounds = [];
    let sample = null;
    for (let r = 0; r < TP_ROUNDS; r++) {
      await setWorker(inst, false);
      await inst.call('write', {
        uid: uidQ,
        n: N_BURST,
        concurrency: 4,
        prefix: `burst${r}`,
        data: { customer: 'ACME' },
      });
      const startedAt = await setWorker(inst, true);
      await rx.waitCount('/burst', N_BURST * (r + 1), 600_000);
      const drainMs = lastArrival(rx.got('/burst')) - startedAt;
      await untilDrained(inst, 120_000);

      // The same requests, sent by a bare axios loop in the Strapi process at the same concurrency.
      sample ??= await inst.call('eval', {
        code: `const r = await strapi.db.query('plugin::document-webhooks.log').findOne({ where: { requestUrl: { $endsWith: '/burst' } } }); return { body: r.requestBody, headers: r.requestHeaders };`,
      });
      const bareMs = await inst.call('eval', {
        code: `const axios = require('axios'); const http = require('http');
          const agent = new http.Agent({ keepAlive: true, maxSockets: ${concurrencyTp} });
          const body = ${JSON.stringify(sample.body)}; let next = 0; const t0 = performance.now();
          const one = async () => { while (next++ < ${N_BURST}) await axios.post(${JSON.stringify(rx.url('/bare'))}, body, { httpAgent: agent, headers: { 'content-type': 'application/json' }, maxRedirects: 0, timeout: 5000, responseType: 'text', transformResponse: (x) => x }); };
          await Promise.all(Array.from({ length: ${concurrencyTp} }, one)); agent.destroy(); return performance.now() - t0;`,
      });

      // Strapi's built-in webhooks: the same number of entry.create events on its event hub.
      await inst.call('eval', {
        code: `const store = strapi.get('webhookStore'); const runner = strapi.get('webhookRunner');
          const w = await store.createWebhook({ name: 'builtin', url: ${JSON.stringify(rx.url('/builtin'))}, headers: {}, events: ['entry.create'], isEnabled: true });
          runner.add(w);
          const entry = JSON.parse(${JSON.stringify(sample.body)}).entry;
          const t0 = performance.now();
          for (let i = 0; i < ${N_BURST}; i++) await strapi.eventHub.emit('entry.create', { model: 'quotation', uid: ${JSON.stringify(uidQ)}, entry: { ...entry, id: i } });
          globalThis.__builtinT0 = t0; globalThis.__builtinId = w.id; return t0;`,
      });
      await rx.waitCount('/builtin', N_BURST * (r + 1), 600_000);
      const builtinMs = await inst.call('eval', {
        code: `const ms = performance.now() - globalThis.__builtinT0; const runner = strapi.get('webhookRunner'); runner.remove({ id: globalThis.__builtinId }); await strapi.get('webhookStore').deleteWebhook(globalThis.__builtinId); return ms;`,
      });
      const round = {
        ours: N_BURST / (drainMs / 1000),
        bare: N_BURST / (bareMs / 1000),
        builtin: N_BURST / (builtinMs / 1000),
      };
      tpRounds.push(round);
      log(
        `throughput round ${r + 1}: ours ${fmt(round.ours)}/s, bare axios ${fmt(round.bare)}/s, built-in ${fmt(round.builtin)}/s`
      );
    }
    const ratios = (f) => tpRounds.map(f).sort((a, b) => a - b);
    results.throughput = {
      concurrency: concurrencyTp,
      rounds: tpRounds,
      ours: median(tpRounds.map((x) => x.ours)),
      bare: median(tpRounds.map((x) => x.bare)),
      builtin: median(tpRounds.map((x) => x.builtin)),
      vsBare: ratios((x) => x.ours / x.bare),
      vsBuiltin: ratios((x) => x.ours / x.builtin),
      bareVsBuiltin: ratios((x) => x.bare / x.builtin),
    };

    // ---- 2b. the same number of deliveries to 5 webhooks, a receiver answering in SLOW_MS ---
    // Receivers take time to answer; the built-in runner sends 5 requests at a time in all,
    // the plugin `perWebhookConcurrency` per webhook (up to `concurrency`).
    const nFan = Math.ceil(N_BURST / 5);
    await setEnabled(inst, {}, false);
    for (let i = 0; i < 5; i++)
      await inst.call('createWebhook', { body: WEBHOOK(`slow ${i}`, uidQ, rx.url('/slow')) });
    await inst.call('waitWebhooks', { uid: uidQ, event: 'entry.create', count: 5 });
    await setWorker(inst, false);
    await inst.call('write', {
      uid: uidQ,
      n: nFan,
      concurrency: 4,
      prefix: 'fan',
      data: { customer: 'ACME' },
    });
    const startedFan = await setWorker(inst, true);
    await rx.waitCount('/slow', nFan * 5, 600_000);
    results.slow = {
      n: nFan * 5,
      ms: SLOW_MS,
      ours: (nFan * 5) / ((lastArrival(rx.got('/slow')) - startedFan) / 1000),
    };
    await untilDrained(inst, 120_000);
    await inst.call('eval', {
      code: `const store = strapi.get('webhookStore'); const runner = strapi.get('webhookRunner'); globalThis.__slow = [];
        for (let i = 0; i < 5; i++) { const w = await store.createWebhook({ name: 'builtin slow ' + i, url: ${JSON.stringify(rx.url('/slow-builtin'))}, headers: {}, events: ['entry.create'], isEnabled: true }); runner.add(w); __slow.push(w); }
        const entry = JSON.parse(${JSON.stringify(sample.body)}).entry;
        globalThis.__slowT0 = performance.timeOrigin + performance.now();
        for (let i = 0; i < ${nFan}; i++) await strapi.eventHub.emit('entry.create', { model: 'quotation', uid: ${JSON.stringify(uidQ)}, entry: { ...entry, id: i } });
        return true;`,
    });
    await rx.waitCount('/slow-builtin', nFan * 5, 600_000);
    const slowT0 = await inst.call('eval', {
      code: `const runner = strapi.get('webhookRunner'); for (const w of __slow) { runner.remove(w); await strapi.get('webhookStore').deleteWebhook(w.id); } return __slowT0;`,
    });
    results.slow.builtin = (nFan * 5) / ((lastArrival(rx.got('/slow-builtin')) - slowT0) / 1000);
    log(
      `5 webhooks, receiver answering in ${SLOW_MS} ms: ours ${fmt(results.slow.ours)}/s, built-in ${fmt(results.slow.builtin)}/s`
    );
    await setEnabled(inst, { name: { $startsWith: 'slow ' } }, false);
    await setEnabled(inst, { name: 'burst' }, true);

    // ---- 5. request-log size (the rows of the sections above: real deliveries) ---------------
    results.logSize = await inst.call('eval', { code: LOG_SIZE_SQL[DB] });
    log(
      `request log: ${results.logSize.rows} rows, ${fmt(results.logSize.bytes / 1048576)} MiB with indexes, ${fmt(results.logSize.bytes / results.logSize.rows, 0)} B per delivery (request body ${fmt(results.logSize.body, 0)} B)`
    );

    // ---- 6. two instances on one database ------------------------------------------------------
    // The same burst (to five webhooks, so the global concurrency is used) drained by one
    // instance, then by two; CPU of each Strapi process (process.cpuUsage) over its drain.
    if (DB !== 'sqlite' && Date.now() < DEADLINE - 120_000) {
      await setEnabled(inst, {}, false);
      for (let i = 0; i < 5; i++)
        await inst.call('createWebhook', { body: WEBHOOK(`pair ${i}`, uidQ, rx.url('/pair')) });
      await inst.call('waitWebhooks', { uid: uidQ, event: 'entry.create', count: 5 });
      const nPair = N_BURST;
      const cpu = (i) =>
        i.call('eval', {
          code: `const u = process.cpuUsage(); return (u.user + u.system) / 1000;`,
        });
      const drainWith = async (group, label) => {
        for (const i of group) await setWorker(i, false);
        const before = rx.got('/pair').length;
        await inst.call('write', {
          uid: uidQ,
          n: nPair / 5,
          concurrency: 4,
          prefix: label,
          data: { customer: 'ACME' },
        });
        const cpu0 = await Promise.all(group.map(cpu));
        const t0 = await Promise.all(group.map((i) => setWorker(i, true)));
        await rx.waitCount('/pair', before + nPair, 600_000);
        const ms = lastArrival(rx.got('/pair')) - Math.min(...t0);
        const cpuMs = (await Promise.all(group.map(cpu))).map((c, k) => c - cpu0[k]);
        await untilDrained(inst, 120_000);
        return {
          rate: nPair / (ms / 1000),
          cpuMs,
          cpuPerDelivery: cpuMs.reduce((a, b) => a + b, 0) / nPair,
        };
      };
      const second = spawnInstance({ dbEnv: dbs[0].env, config, name: 'bench-2' });
      instances.push(second);
      await second.ready;
      await second.call('waitWebhooks', { uid: uidQ, event: 'entry.create', count: 5 });
      const pairRounds = [];
      // Alternating, so drift of a shared machine hits both alike; the ratio is taken per round.
      for (let r = 0; r < (QUICK ? 2 : 3); r++) {
        await setWorker(second, false);
        const one = await drainWith([inst], `one${r}`);
        const two = await drainWith([inst, second], `two${r}`);
        pairRounds.push({ one, two });
        log(
          `round ${r + 1}: one instance ${fmt(one.rate)}/s (${fmt(one.cpuPerDelivery, 2)} CPU-ms/delivery), two ${fmt(two.rate)}/s (${fmt(two.cpuPerDelivery, 2)} CPU-ms/delivery; ${two.cpuMs.map((c) => fmt(c, 0)).join(' + ')} ms)`
        );
      }
      results.pair = { n: nPair, rounds: pairRounds, load: os.loadavg()[0] };
      await setWorker(second, false);
      await second.stop().catch(() => second.kill());
      await setEnabled(inst, { name: { $startsWith: 'pair ' } }, false);
      await setEnabled(inst, { name: 'burst' }, true);
    }

    // ---- 4. backlog ------------------------------------------------------------------------
    if (Date.now() < DEADLINE - 60_000) {
      await setWorker(inst, false);
      const webhookId = await inst.call('eval', {
        code: `return (await strapi.db.query('plugin::document-webhooks.webhook').findOne({ where: { name: 'burst' } })).id;`,
      });
      // Several webhooks so the drain runs at the global concurrency, not one webhook's cap.
      const ids = [webhookId];
      for (let i = 1; i < concurrency / perWebhook; i++) {
        ids.push(
          (
            await inst.call('createWebhook', {
              body: WEBHOOK(`backlog ${i}`, uidQ, rx.url('/backlog')),
            })
          ).id
        );
      }
      let t0 = performance.now();
      await inst.call('eval', {
        code: `const knex = strapi.db.connection; const now = new Date(); const ids = ${JSON.stringify(ids)};
          const body = ${JSON.stringify(sample.body)}; const url = ${JSON.stringify(rx.url('/backlog'))};
          for (let i = 0; i < ${N_BACKLOG}; i += 500) {
            const rows = [];
            for (let j = i; j < Math.min(i + 500, ${N_BACKLOG}); j++) rows.push({ webhook_id: ids[j % ids.length], webhook_name: 'backlog', event: 'entry.create', content_type: ${JSON.stringify(uidQ)},
              target_document_id: 'bk' + j, status: 'pending', message_id: 'msg_bk' + j + '_' + now.getTime(), attempts: 0, attempt_log: '[]', request_url: url, request_method: 'POST',
              request_headers: '{"content-type":"application/json"}', request_body: body, next_attempt_at: now, created_at: now, updated_at: now });
            await knex('document_webhooks_logs').insert(rows);
          }
          return true;`,
      });
      const insertMs = performance.now() - t0;
      log(`backlog: ${N_BACKLOG} pending deliveries inserted in ${fmt(insertMs / 1000)} s`);
      // The admin list with the backlog in the table.
      const listMs = await inst.call('eval', {
        // Query-string values, as the admin API passes them.
        code: `const logs = strapi.plugin('document-webhooks').service('logs'); const times = [];
          for (const q of [{ page: '1', pageSize: '25' }, { page: '1', pageSize: '25', status: 'pending' }, { page: '1', pageSize: '25', webhook: '${webhookId}' }, { page: '100', pageSize: '25' }]) {
            const t0 = performance.now(); await logs.find(q); times.push(performance.now() - t0); }
          return times;`,
      });
      const liveHeap = () =>
        inst.call('eval', {
          code: `global.gc(); return process.memoryUsage().heapUsed / 1048576;`,
        });
      const heap0 = await liveHeap();
      let heapPeak = heap0;
      const rss0 = rssOf(inst.pid);
      let peak = rss0;
      const sampler = setInterval(() => {
        const r = rssOf(inst.pid);
        if (r > peak) peak = r;
      }, 250);
      // RSS includes garbage V8 has not collected yet (it grows its heap before a full
      // collection); the live heap after a forced one, every 5 s, shows what is retained.
      const heapSampler = setInterval(() => {
        liveHeap().then(
          (h) => (heapPeak = Math.max(heapPeak, h)),
          () => {}
        );
      }, 5000);
      t0 = performance.now();
      const budget = Math.max(30_000, DEADLINE - Date.now() - 20_000);
      let drained = true;
      await setWorker(inst, true);
      try {
        await rx.waitCount('/backlog', N_BACKLOG, budget);
      } catch {
        drained = false;
      }
      clearInterval(sampler);
      clearInterval(heapSampler);
      const ms = performance.now() - t0;
      const got = rx.got('/backlog').length;
      results.backlog = {
        n: N_BACKLOG,
        delivered: got,
        drained,
        ms,
        rate: got / (ms / 1000),
        rssStart: rss0,
        rssPeak: peak,
        heapStart: heap0,
        heapPeak,
        listMs,
      };
      log(
        `backlog: ${got}/${N_BACKLOG} delivered in ${fmt(ms / 1000)} s (${fmt(results.backlog.rate)}/s), RSS ${fmt(rss0, 0)} → peak ${fmt(peak, 0)} MiB; log list ${listMs.map((x) => fmt(x)).join(' / ')} ms`
      );
    } else {
      log('backlog: skipped (time budget)');
    }

    // ---- 7. delivery statistics --------------------------------------------------------------
    if (Date.now() < DEADLINE - 60_000) {
      await setWorker(inst, false);
      results.stats = await benchStats(inst, rx);
    }
  } finally {
    for (const i of instances) await i.stop().catch(() => i.kill());
    await rx.close();
    for (const db of dbs) await db.drop().catch(() => {});
    if (server) await server.stop();
  }
  return results;
}

/**
 * 7. `GET /webhooks/:id/stats` with N_STATS finished deliveries in the log: spread evenly over
 * 10 webhooks and the last 30 days (so one webhook has N/10, of which N/300 in the last 24 h),
 * inserted in bulk; each range timed through the service (as the admin API calls it), the
 * median of 7 runs after one warm-up.
 */
async function benchStats(inst, rx) {
  const hooks = [];
  for (let i = 0; i < 10; i++)
    hooks.push(
      (
        await inst.call('createWebhook', {
          body: WEBHOOK(`stats ${i}`, 'api::article.article', rx.url('/stats'), { enabled: false }),
        })
      ).id
    );
  const t0 = performance.now();
  await inst.call('eval', {
    code: `const knex = strapi.db.connection; const ids = ${JSON.stringify(hooks)}; const n = ${N_STATS}; const now = Date.now(); const span = 30 * 86400000;
      const statuses = ['delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'failed', 'exhausted'];
      // Transactions of 20,000 rows in INSERTs of 500 (SQLite compiles one into a compound SELECT of at most 500 terms).
      for (let i = 0; i < n; i += 20000) {
        await knex.transaction(async (trx) => {
          for (let j = i; j < Math.min(i + 20000, n); j += 500) {
            const rows = [];
            for (let k = j; k < Math.min(j + 500, n); k++) {
              const at = new Date(now - span + Math.floor((k / n) * span));
              rows.push({ webhook_id: ids[k % 10], webhook_name: 'stats', event: 'entry.create', content_type: 'api::article.article', target_document_id: 'st' + k,
                status: statuses[k % 10], message_id: 'msg_st' + k, attempts: 1, duration_ms: 5 + ((k * 7919) % 400), created_at: at, updated_at: at });
            }
            await trx('document_webhooks_logs').insert(rows);
          }
        });
      }
      return true;`,
  });
  const insertMs = performance.now() - t0;
  log(`stats: ${N_STATS} log rows inserted in ${fmt(insertMs / 1000)} s`);
  const timeRanges = async (when) => {
    const times = await inst.call('eval', {
      code: `const svc = strapi.plugin('document-webhooks').service('stats'); const out = {};
      for (const range of ['24h', '7d', '30d']) {
        await svc.series(${hooks[0]}, { range });
        const ms = [];
        for (let i = 0; i < 7; i++) { const t0 = performance.now(); await svc.series(${hooks[0]}, { range }); ms.push(performance.now() - t0); }
        ms.sort((a, b) => a - b);
        const r = await svc.series(${hooks[0]}, { range });
        out[range] = { ms: ms[3], max: ms[6], rows: r.buckets.reduce((n, b) => n + b.delivered + b.failed + b.exhausted, 0) };
      }
      return out;`,
    });
    for (const [range, x] of Object.entries(times))
      log(
        `stats ${range}${when ? `, ${when}` : ''}: median ${fmt(x.ms, 2)} ms (max ${fmt(x.max, 2)}) over ${x.rows} deliveries of the webhook`
      );
    return times;
  };
  // PostgreSQL: an index-only scan reads the table too for pages its visibility map does not
  // mark all-visible, which only VACUUM sets; autovacuum may or may not have got to the fresh
  // rows yet. So timed as the insert leaves them (autovacuum's progress noted), then again after
  // VACUUM (ANALYZE) (docs/benchmarks.md, "Delivery statistics").
  const vacuumState = () =>
    inst.call('eval', {
      code: `const r = await strapi.db.connection.raw("SELECT c.relpages, c.relallvisible, s.n_ins_since_vacuum, s.autovacuum_count FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = 'document_webhooks_logs'"); return r.rows[0];`,
    });
  const before = DB === 'postgres' ? await vacuumState() : null;
  const times = await timeRanges(DB === 'postgres' ? 'as inserted' : '');
  let vacuumed = null;
  if (DB === 'postgres') {
    await inst.call('eval', {
      code: `await strapi.db.connection.raw('VACUUM (ANALYZE) document_webhooks_logs'); return true;`,
    });
    vacuumed = await timeRanges('after VACUUM (ANALYZE)');
    log(
      `stats: before VACUUM ${JSON.stringify(before)}, after ${JSON.stringify(await vacuumState())}`
    );
  }
  return { n: N_STATS, insertMs, times, vacuumed, before, load: os.loadavg()[0] };
}

/** The rows of section 7. */
const statsRows = (st) =>
  [
    [st.times, st.vacuumed ? ', as inserted' : ''],
    [st.vacuumed, ', after VACUUM (ANALYZE)'],
  ].flatMap(([times, when]) =>
    Object.entries(times ?? {}).map(([range, x]) => [
      `stats of one webhook, range ${range}${when} (${x.rows} of ${st.n} log rows), median of 7 (max)`,
      `${fmt(x.ms, 1)} ms (${fmt(x.max, 1)})`,
      '< 100 ms',
    ])
  );

/** The rows of section 1. */
const overheadRows = (r) =>
  r.overhead
    ? [
        ['write, median, 0 webhooks', `${fmt(r.overhead.base, 2)} ms`, ''],
        ['write, median, 10 matching webhooks', `${fmt(r.overhead.with10, 2)} ms`, ''],
        ['write overhead ratio', `×${fmt(r.overhead.ratio, 2)}`, '≤ ×1.15'],
      ]
    : [];

/** The rows of section 1b. */
const coalescingRows = (r) => [
  ...(r.coalesce
    ? [
        [
          'write, median, 10 coalescing webhooks (per document, 2 s)',
          `${fmt(r.coalesce.with10, 2)} ms (0 webhooks: ${fmt(r.coalesce.base, 2)} ms)`,
          '',
        ],
        ['write overhead ratio, coalescing webhooks', `×${fmt(r.coalesce.ratio, 2)}`, '≤ ×1.15'],
      ]
    : []),
  ...(r.coalesceBurst
    ? [
        [
          `burst: ${r.coalesceBurst.updates} updates over 10 documents (${fmt(r.coalesceBurst.writeMs / 1000)} s), 2 s window: deliveries`,
          `${r.coalesceBurst.deliveries} (last ${fmt(r.coalesceBurst.lastAfterMs)} ms after the last update)`,
          '10',
        ],
      ]
    : []),
];

function report(r) {
  const t = r.throughput;
  // Sorted per-round ratios: the median, then every round.
  const ratioCell = (xs) => `×${fmt(median(xs), 2)} (${xs.map((x) => fmt(x, 2)).join(', ')})`;
  const l = r.latency;
  const b = r.backlog;
  const rows = [
    ...overheadRows(r),
    ...coalescingRows(r),
    [
      `throughput, drain of ${r.sizes.burst} (request log on), median of ${t.rounds.length} rounds`,
      `${fmt(t.ours)} /s`,
      '',
    ],
    [`bare axios loop, concurrency ${t.concurrency}`, `${fmt(t.bare)} /s`, ''],
    ['… ours / bare axios, median round (all rounds)', ratioCell(t.vsBare), '≥ ×0.5'],
    ["Strapi's built-in webhooks", `${fmt(t.builtin)} /s`, ''],
    ['… ours / built-in, median round (all rounds)', ratioCell(t.vsBuiltin), '≥ ×2'],
    ['… bare axios / built-in (no database at all)', ratioCell(t.bareVsBuiltin), ''],
    [`latency commit → receiver, idle, p50 (n=${l.n})`, `${fmt(l.p50)} ms`, '≤ 25 ms'],
    ['latency, p90', `${fmt(l.p90)} ms`, ''],
    ['latency, p99', `${fmt(l.p99)} ms`, ''],
    ...Object.entries(r.isolation ?? {}).map(([kind, x]) => [
      `healthy webhook latency beside slow endpoints (6 × ${kind}), p50 / max`,
      `${fmt(x.p50)} ms / ${fmt(x.max)} ms`,
      '< 200 ms / < 2 s',
    ]),
  ];
  const sl = r.slow;
  if (sl) {
    rows.push(
      [
        `5 webhooks × ${sl.n / 5} writes, receiver answering in ${sl.ms} ms: ours`,
        `${fmt(sl.ours)} /s`,
        '',
      ],
      ['… Strapi built-in, same', `${fmt(sl.builtin)} /s`, ''],
      ['… ours / built-in', `×${fmt(sl.ours / sl.builtin, 2)}`, '≥ ×2']
    );
  }
  if (b) {
    rows.push(
      [
        `backlog of ${b.n}: delivered`,
        `${b.delivered}${b.drained ? '' : ' (time budget hit)'}`,
        'all',
      ],
      ['backlog drain rate', `${fmt(b.rate)} /s`, ''],
      [
        'backlog RSS at start → peak',
        `${fmt(b.rssStart, 0)} → ${fmt(b.rssPeak, 0)} MiB`,
        'bounded',
      ],
      [
        'backlog live heap after full GC, start → peak (every 5 s)',
        `${fmt(b.heapStart, 0)} → ${fmt(b.heapPeak, 0)} MiB`,
        'bounded',
      ],
      [
        'admin log list with backlog (page 1 / status / webhook / page 100)',
        b.listMs.map((x) => `${fmt(x)} ms`).join(', '),
        'fast',
      ]
    );
  }
  const z = r.logSize;
  if (z) {
    rows.push([
      `request log: bytes per delivery, table + indexes (${z.rows} rows, request body ${fmt(z.body, 0)} B on average)`,
      `${fmt(z.bytes / z.rows, 0)} B`,
      '',
    ]);
  }
  if (r.stats) rows.push(...statsRows(r.stats));
  const pr = r.pair;
  if (pr) {
    const med = (f) => median(pr.rounds.map(f));
    const all = (f, d) =>
      pr.rounds
        .map(f)
        .map((x) => fmt(x, d))
        .join(', ');
    rows.push(
      [
        `two instances: drain of ${pr.n} (5 webhooks), one instance, median of ${pr.rounds.length} rounds`,
        `${fmt(med((x) => x.one.rate))} /s`,
        '',
      ],
      ['… two instances on the same database', `${fmt(med((x) => x.two.rate))} /s`, ''],
      [
        '… two / one, per round',
        `×${fmt(
          med((x) => x.two.rate / x.one.rate),
          2
        )} (${all((x) => x.two.rate / x.one.rate, 2)})`,
        '',
      ],
      [
        'CPU-ms per delivery (Strapi processes), one instance',
        `${fmt(
          med((x) => x.one.cpuPerDelivery),
          2
        )} (${all((x) => x.one.cpuPerDelivery, 2)})`,
        '',
      ],
      [
        '… two instances, both together',
        `${fmt(
          med((x) => x.two.cpuPerDelivery),
          2
        )} (${all((x) => x.two.cpuPerDelivery, 2)})`,
        '',
      ],
      [
        '… two instances, CPU-ms of each over the drain',
        pr.rounds.map((x) => x.two.cpuMs.map((c) => fmt(c, 0)).join(' + ')).join('; '),
        '',
      ]
    );
  }
  return markdownTable(rows);
}

/** Rows `[measure, result, goal]` as a Markdown table. */
function markdownTable(rows) {
  const w = [
    Math.max(...rows.map((x) => x[0].length)),
    Math.max(...rows.map((x) => x[1].length)),
    8,
  ];
  const line = (c) => `| ${c[0].padEnd(w[0])} | ${c[1].padEnd(w[1])} | ${c[2].padEnd(w[2])} |`;
  return [
    line(['measure', 'result', 'goal']),
    `|${'-'.repeat(w[0] + 2)}|${'-'.repeat(w[1] + 2)}|${'-'.repeat(w[2] + 2)}|`,
    ...rows.map(line),
  ].join('\n');
}

const SECTION_TITLE = { postgres: 'PostgreSQL', mariadb: 'MariaDB' };
const marks = (db) => [`<!-- bench:${db} -->`, `<!-- /bench:${db} -->`];

/** The section a `--db postgres|mariadb` run writes: its table, between markers. */
function serverSection(r, table, started) {
  const m = r.machine;
  const [open, close] = marks(r.db);
  return `${open}
## ${SECTION_TITLE[r.db]}

Measured by \`npm run bench -- --db ${r.db}${QUICK ? ' --quick' : ''}${N_BACKLOG !== (QUICK ? 10000 : 100000) ? ` --backlog ${N_BACKLOG}` : ''}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${((Date.now() - started) / 1000).toFixed(0)} s in all.
**Load average at start ${m.load}, at the two-instance section ${r.pair ? fmt(r.pair.load, 2) : 'n/a'}** on ${m.cpu} (other test suites were running on the machine: absolute rates are low and noisy; the ratios are taken within alternating rounds).
Server: started by the script from the Debian package (test/helpers/databases.js), on 127.0.0.1, fsync off; the same Strapi child process and plugin config as above; writes and deliveries of the sizes ${JSON.stringify(r.sizes)}.

${table}
${close}
`;
}

/** `old` with the section of `db` replaced (or added before the hand-written findings). */
function withSection(old, db, section) {
  const [open, close] = marks(db);
  const a = old.indexOf(open);
  const b = old.indexOf(close);
  if (a >= 0 && b > a) return old.slice(0, a) + section.trimEnd() + old.slice(b + close.length);
  const at = old.indexOf('\n## Findings');
  return at >= 0 ? `${old.slice(0, at)}\n${section}${old.slice(at)}` : `${old}\n${section}`;
}

/** What a SQLite run keeps of the old file: the server databases' sections and the findings. */
function keptSections(old) {
  let kept = '';
  for (const db of [
    ...Object.keys(SECTION_TITLE),
    'stats-sqlite',
    'stats-postgres',
    'stats-mariadb',
  ]) {
    const [open, close] = marks(db);
    const a = old.indexOf(open);
    const b = old.indexOf(close);
    if (a >= 0 && b > a) kept += `\n${old.slice(a, b + close.length)}\n`;
  }
  const at = old.indexOf('\n## Findings');
  return kept + (at >= 0 ? old.slice(at) : '');
}

/** `--only stats`: its table in its own section per database (kept by a full SQLite run, as the server sections). */
function writeStatsSection(r, started) {
  const rows = statsRows(r.stats);
  const w = [
    Math.max(...rows.map((x) => x[0].length)),
    Math.max(...rows.map((x) => x[1].length)),
    8,
  ];
  const line = (c) => `| ${c[0].padEnd(w[0])} | ${c[1].padEnd(w[1])} | ${c[2].padEnd(w[2])} |`;
  const table = [
    line(['measure', 'result', 'goal']),
    `|${'-'.repeat(w[0] + 2)}|${'-'.repeat(w[1] + 2)}|${'-'.repeat(w[2] + 2)}|`,
    ...rows.map(line),
  ].join('\n');
  console.log(`\n${table}\n`);
  const [open, close] = marks(`stats-${r.db}`);
  const section = `${open}
### Delivery statistics, ${r.db === 'sqlite' ? 'SQLite' : SECTION_TITLE[r.db]}

Measured by \`npm run bench -- --db ${r.db} --only stats\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${((Date.now() - started) / 1000).toFixed(0)} s in all (the ${r.stats.n} rows inserted in ${fmt(r.stats.insertMs / 1000)} s).
**Load average at start ${r.machine.load}, when timing ${fmt(r.stats.load, 2)}** on ${r.machine.cpu}. ${r.stats.n} finished deliveries spread evenly over 10 webhooks and the last 30 days; the webhook timed has a tenth of them.${r.stats.before ? ` When first timed, ${r.stats.before.n_ins_since_vacuum} of the rows had been inserted since the table's last vacuum (autovacuum had run ${r.stats.before.autovacuum_count} times; ${r.stats.before.relallvisible} of ${r.stats.before.relpages} pages all-visible as it left them).` : ''}

${table}
${close}
`;
  let old = '';
  try {
    old = fs.readFileSync(OUT, 'utf8');
  } catch {
    /* first run */
  }
  fs.writeFileSync(OUT, withSection(old, `stats-${r.db}`, section));
  console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
}

if (require.main === module) {
  const started = Date.now();
  main()
    .then((r) => {
      if (ONLY === 'stats') {
        writeStatsSection(r, started);
        process.exit(0);
      }
      if (ONLY === 'coalescing' || ONLY === 'writes') {
        console.log(`\n${markdownTable([...overheadRows(r), ...coalescingRows(r)])}\n`);
        process.exit(0);
      }
      const table = report(r);
      console.log(`\n${table}\n`);
      const m = r.machine;
      const md = `# Benchmarks

Measured by \`npm run bench\` (\`scripts/bench.js\`) on ${new Date().toISOString().slice(0, 10)}; ${((Date.now() - started) / 1000).toFixed(0)} s in all.
Re-run it to measure your machine; it prints the same table and rewrites this file.

- Machine: ${m.cpu}, ${m.memory}, ${m.os}; load average at start ${m.load} (a shared machine: other work was running).
- Node ${m.node}, Strapi ${m.strapi}, database **${r.db}**${r.db === 'sqlite' ? ` (the default, better-sqlite3; \`journal_mode=${r.journal?.mode ?? '?'}\`, \`synchronous=${r.journal?.synchronous ?? '?'}\` (0 OFF, 1 NORMAL, 2 FULL) as set by \`playground/config/database.js\`)` : ' (a server started by the script, fsync off)'}.
- One Strapi instance in a child process (\`test/scale/child.js\`), the receiver an HTTP server in the benchmark's process on 127.0.0.1 answering 200 at once (after ${SLOW_MS} ms for the five-webhook row).
- Plugin config: \`concurrency: 20\`, \`perWebhookConcurrency: 4\` (the defaults), \`pollIntervalMs: 1000\`.

${table}

## What is measured

- **Write overhead**: ${r.sizes.writes} sequential \`strapi.documents('api::article.article').create()\` calls (the Document Service, as the Content Manager and REST API use it) with no webhook and as many with 10 enabled webhooks matching \`entry.create\` on the type, in ${r.overhead.rounds} alternating rounds per side, the worker running and delivering meanwhile (each round without webhooks starts once everything is delivered); median latency of each side. The capture adds one transaction, one read of the written document and one outbox insert per write, whatever the number of webhooks.
- **Coalescing** (docs/events.md, "Bursts: coalescing windows"): the write overhead measured the same way with 10 webhooks coalescing per document (2 s windows) instead of 10 plain ones; and a burst of ${r.coalesceBurst ? r.coalesceBurst.updates : '?'} sequential \`update()\` calls spread over 10 quotations, one webhook on \`entry.update\` coalescing per document with a 2 s window: the deliveries received once everything is drained, and how long after the last update the last one arrived (the 2 s quiet period plus the send).
- **Throughput**: ${r.sizes.burst} deliveries to one webhook, captured with the worker stopped, then drained: time from the worker's start (its template thread already running) to the last request received, each delivery logged (request, response, attempt) in the request log. One webhook's deliveries run at most \`perWebhookConcurrency\` (4) at once, so the bare loop uses that concurrency: ${r.sizes.burst} \`axios.post\` calls of the same body from the Strapi process with a keep-alive agent. Strapi's built-in webhooks (\`webhookStore\` + \`webhookRunner\`, a webhook on \`entry.create\`) get the same number of \`entry.create\` events on \`strapi.eventHub\`; its runner is fixed at concurrency 5 and keeps no durable queue or per-request log. The three are run one after the other in each of ${r.throughput.rounds.length} rounds; the ratios are taken within a round and the median round is reported, every round in brackets (the speed of a shared machine drifts over minutes by more than what is compared).
- **Five webhooks, a receiver that takes ${SLOW_MS} ms**: the same number of deliveries, ${r.slow ? r.slow.n / 5 : '?'} writes each going to 5 webhooks, the receiver answering after ${SLOW_MS} ms; ours from the worker's start, the built-in runner (5 webhooks in its store) from the first event emitted, both to the last request received. The built-in runner sends 5 requests at a time in all; the plugin up to \`perWebhookConcurrency\` per webhook and \`concurrency\` in all (the defaults, 4 and 20).
- **Healthy webhook latency beside slow endpoints** (docs/scaling.md, "Isolation"): one webhook to a receiver answering at once and six to a receiver answering in 4 s (then six to one that accepts the request and never answers: each attempt ends at the 5 s default timeout), all on the same type, 30 writes 50 ms apart, the default \`concurrency\` (20) and \`perWebhookConcurrency\` (4); the healthy webhook's commit → receiver latency, measured as below. Six slow webhooks × 4 slots are more than the 20 global slots.
- **Latency**: ${r.sizes.latency} single writes on an otherwise idle instance, each waiting for its delivery; from the moment \`create()\` resolved (the transaction committed) to the request's arrival at the receiver (wall clock of the same machine).
- **Backlog**: ${r.backlog ? r.backlog.n : r.sizes.backlog} pending deliveries inserted directly in the log table (spread over ${20 / 4} webhooks so the whole \`concurrency\` is used), then the worker started; RSS of the Strapi process sampled every 250 ms, and its live heap (\`heapUsed\` right after a forced full collection) every 5 s. The admin log list (\`GET /logs\` service, 25 per page) timed with the backlog in place.
`;
      fs.mkdirSync(path.dirname(OUT), { recursive: true });
      let old = '';
      try {
        old = fs.readFileSync(OUT, 'utf8');
      } catch {
        /* first run */
      }
      fs.writeFileSync(
        OUT,
        r.db === 'sqlite'
          ? md + keptSections(old)
          : withSection(old, r.db, serverSection(r, table, started))
      );
      console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
      process.exit(0);
    })
    .catch((err) => {
      console.error(err && err.stack ? err.stack : err);
      process.exit(1);
    });
}
