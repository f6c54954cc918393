'use strict';
/**
 * One Strapi instance in its own process, driven over IPC by the scale tests and the
 * benchmark. The database and plugin config come from the environment the parent sets
 * (DATABASE_* as read by playground/config/database.js, DOCUMENT_WEBHOOKS_CONFIG).
 *
 * Messages from the parent: { id, cmd, ...args }; replies: { id, ok, result | error }.
 * Unsolicited: { type: 'ready', port } once listening; { type: 'committed', documentIds }
 * after writes commit (batched), so a parent can compare with what the receiver saw;
 * { type: 'fault', kind, error } on an unhandledRejection/uncaughtException, after which the
 * process exits 70 as Node would have ended it (the tests fail on any fault).
 *
 * Commands:
 *   createWebhook {body}              → the webhook (plugin service, as the admin API does)
 *   waitWebhooks {uid, event, count}  → resolves when the in-memory index has `count` webhooks
 *   write {uid, n, concurrency, prefix, data?, spacingMs?, settle?}  → creates n documents; { ids, ms, latencies? }
 *                                     settle: also wait until Strapi's own entry.create event of each
 *                                     (its post-commit re-read of the entry) has been emitted
 *   counts                            → log rows per status and outbox size
 *   eval {code}                       → runs `code` as an async function of (strapi) (bench only)
 *   stall {ms}                        → blocks the event loop for `ms` (a GC pause, a busy CPU)
 *   stop                              → destroys Strapi and exits 0
 */
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const PLAYGROUND = path.join(ROOT, 'playground');
process.env.SERVE_ADMIN = 'false';
process.env.STRAPI_TELEMETRY_DISABLED = 'true';
process.env.STRAPI_LOG_LEVEL = process.env.STRAPI_LOG_LEVEL || 'error';

let strapi;
const send = (msg) => {
  if (process.connected) process.send(msg);
};

async function boot() {
  const { createStrapi } = require(require.resolve('@strapi/strapi', { paths: [ROOT] }));
  strapi = createStrapi({ appDir: PLAYGROUND, distDir: PLAYGROUND });
  await strapi.load();
  await strapi.server.mount();
  const server = strapi.server.httpServer;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  send({ type: 'ready', port: server.address().port, pid: process.pid });
}

const plugin = () => strapi.plugin('document-webhooks');

// spacingMs: the i-th write starts spacingMs × i after the first (a steady rate), or as soon as
// the event loop has turned once when behind.
async function write({
  uid = 'api::article.article',
  n,
  concurrency = 8,
  prefix = 'doc',
  data = {},
  timings = false,
  stamps = false,
  reportEvery = 20,
  spacingMs = 0,
  settle = false,
}) {
  const ids = [];
  // The Document Service re-reads each entry for its entry.create event after the commit, in a
  // promise nothing awaits: a fault test must not cut the database off under those reads.
  const emitted = new Set();
  const unsubscribe = settle
    ? strapi.eventHub.subscribe((event, payload) => {
        if (event === 'entry.create' && payload?.uid === uid && payload.entry?.documentId)
          emitted.add(payload.entry.documentId);
      })
    : null;
  const latencies = timings ? [] : null;
  // Wall-clock commit times (sub-millisecond, comparable across processes of this machine).
  const committedAt = stamps ? [] : null;
  let pending = [];
  const flush = () => {
    if (pending.length) send({ type: 'committed', documentIds: pending });
    pending = [];
  };
  let next = 0;
  const started = Date.now();
  const one = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      if (spacingMs) {
        const wait = started + i * spacingMs - Date.now();
        await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
      }
      const t0 = process.hrtime.bigint();
      const doc = await strapi
        .documents(uid)
        .create({ data: { title: `${prefix}-${i}`, ...data } });
      if (latencies) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (committedAt)
        committedAt.push([doc.documentId, performance.timeOrigin + performance.now()]);
      ids.push(doc.documentId);
      pending.push(doc.documentId);
      if (pending.length >= reportEvery) flush();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, one));
    if (settle) {
      const deadline = Date.now() + 60_000;
      while (ids.some((id) => !emitted.has(id))) {
        if (Date.now() > deadline)
          throw new Error(`entry.create emitted for ${emitted.size}/${ids.length} documents`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } finally {
    unsubscribe?.();
  }
  flush();
  return { count: ids.length, ms: Date.now() - started, latencies, committedAt };
}

async function counts() {
  const logs = strapi.db.query('plugin::document-webhooks.log');
  const out = { outbox: await strapi.db.query('plugin::document-webhooks.outbox-event').count({}) };
  for (const status of ['pending', 'failed', 'delivered', 'exhausted'])
    out[status] = await logs.count({ where: { status } });
  return out;
}

async function handle(msg) {
  switch (msg.cmd) {
    case 'createWebhook':
      return plugin().service('webhooks').create(msg.body);
    case 'waitWebhooks': {
      const deadline = Date.now() + (msg.timeoutMs || 15_000);
      for (;;) {
        const ids = plugin().service('engine').webhooksFor(msg.uid, msg.event);
        if (ids.length >= msg.count) return ids;
        if (Date.now() > deadline) throw new Error(`index has ${ids.length}/${msg.count} webhooks`);
        await plugin().service('engine').definitionsChanged();
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    case 'write':
      return write(msg);
    case 'counts':
      return counts();
    case 'eval':
      return new Function('strapi', 'require', `return (async () => { ${msg.code} })()`)(
        strapi,
        (name) => require(require.resolve(name, { paths: [ROOT] }))
      );
    case 'stall': {
      const end = Date.now() + msg.ms;
      while (Date.now() < end);
      return true;
    }
    case 'memory':
      return process.memoryUsage();
    case 'stop':
      await strapi.destroy();
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
}

process.on('message', (msg) => {
  if (!msg || typeof msg !== 'object' || !msg.cmd) return;
  handle(msg).then(
    (result) => send({ id: msg.id, ok: true, result }),
    (err) => send({ id: msg.id, ok: false, error: String((err && err.stack) || err) })
  );
});
// Node ends the process on either: report it to the parent first.
for (const kind of ['unhandledRejection', 'uncaughtException']) {
  process.on(kind, (err) => {
    console.error(`[child ${process.pid}] ${kind}:`, err);
    if (process.connected)
      process.send({ type: 'fault', kind, error: String((err && err.stack) || err) }, () =>
        process.exit(70)
      );
    else process.exit(70);
  });
}
// The parent went away: do not linger.
process.on('disconnect', () => process.exit(0));

boot().catch((err) => {
  console.error(err);
  process.exit(1);
});
