/**
 * Issue 5 — secrets, end to end through a real Strapi.
 *
 * - Signing secrets and secret header values are stored AES-256-GCM encrypted (`enc:v1:`) and
 *   never appear in plain text in the database rows (definitions and request logs).
 * - They never appear in any API response (create, list, get, update, preview, test,
 *   rotate-secret except its one-time answer, logs, validation errors), nor in Strapi's log
 *   output (every winston write at level `debug` and all of stdout/stderr are captured while
 *   creating, updating, testing, delivering and failing).
 * - The receiver does get them (positive control: the guard does not simply drop them).
 * - Start-up with NODE_ENV=production refuses a missing or too short key (child processes
 *   with a deadline).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, PLAYGROUND, ROOT, type TestApp } from '../helpers/strapi';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { verifyStandard } from '../helpers/signatures';

const Q = 'api::quotation.quotation';
const BASE = '/document-webhooks/webhooks';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const SECRET2 = `plain-secret-${randomBytes(12).toString('hex')}`;
const HEADER_SECRET = `hdr-${randomBytes(16).toString('hex')}`;
const HEADER_SECRET2 = `hdr2-${randomBytes(16).toString('hex')}`;
const BAD_SECRET = `whsec_${randomBytes(8).toString('base64')}`; // too short: refused, must not be echoed
const forbiddenTexts = () => [
  SECRET,
  SECRET.slice(6),
  SECRET2,
  HEADER_SECRET,
  HEADER_SECRET2,
  BAD_SECRET,
  ...rotated,
];
const rotated: string[] = [];

let app: TestApp;
let rx: Receiver;
const captured: string[] = [];
const responses: string[] = [];
let restore: (() => void) | null = null;

/** Every API answer goes through here so all of them are checked at the end. */
const api = async (method: string, url: string, body?: unknown) => {
  const res = await app.api(method, url, body);
  responses.push(`${method} ${url} → ${res.status} ${JSON.stringify(res.body)}`);
  return res;
};

beforeAll(async () => {
  process.env.STRAPI_LOG_LEVEL = 'debug';
  rx = await startReceiver();
  app = await bootStrapi({ config: { retrySchedule: [3600] } });

  // Capture everything Strapi logs: winston writes (any level) and raw stdout/stderr.
  const log = app.strapi.log;
  const originalWrite = log.write.bind(log);
  log.write = (info: any) => {
    try {
      captured.push(JSON.stringify(info) + String(info?.message ?? ''));
    } catch {
      captured.push(String(info?.message ?? info));
    }
    return originalWrite(info);
  };
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: any, ...rest: any[]) => {
    captured.push(String(chunk));
    return out(chunk, ...rest);
  }) as any;
  process.stderr.write = ((chunk: any, ...rest: any[]) => {
    captured.push(String(chunk));
    return err(chunk, ...rest);
  }) as any;
  restore = () => {
    log.write = originalWrite;
    process.stdout.write = out;
    process.stderr.write = err;
  };
});

afterAll(async () => {
  restore?.();
  await app?.stop();
  await rx?.close();
});

const expectNoSecret = (text: string, where: string) => {
  for (const s of forbiddenTexts())
    expect(text.includes(s), `${where} contains a secret (${s.slice(0, 12)}…)`).toBe(false);
};

describe('secrets never leave in clear', () => {
  let id: number;
  let failingId: number;

  it('create/read/update/preview/test/deliver/fail: responses carry no secret, the receiver does', async () => {
    const headers = [
      { name: 'X-Api-Key', value: HEADER_SECRET, secret: true },
      { name: 'X-Plain', value: 'visible', secret: false },
    ];
    const created = await api('POST', BASE, {
      name: 'signed',
      contentType: Q,
      events: ['entry.create'],
      url: rx.url('/ok'),
      secret: SECRET,
      headers,
    });
    expect(created.status).toBe(201);
    id = created.body.data.id;
    expect(created.body.data).toMatchObject({
      hasSecret: true,
      headers: [
        { name: 'X-Api-Key', value: null, secret: true },
        { name: 'X-Plain', value: 'visible' },
      ],
    });
    expect(created.body.data).not.toHaveProperty('secret');

    rx.respond((req) =>
      req.url === '/fail' ? { status: 500, body: 'receiver exploded' } : { status: 200, body: 'ok' }
    );
    const failing = await api('POST', BASE, {
      name: 'failing',
      contentType: Q,
      events: ['entry.create'],
      url: rx.url('/fail'),
      secret: SECRET2,
      headers: [{ name: 'Authorization', value: `Bearer ${HEADER_SECRET2}`, secret: true }],
      maxAttempts: 2,
    });
    expect(failing.status).toBe(201);
    failingId = failing.body.data.id;

    await api('GET', BASE);
    await api('GET', `${BASE}/${id}`);
    // Update without the secrets keeps them (null = keep the stored header value).
    const upd = await api('PUT', `${BASE}/${id}`, {
      name: 'signed (renamed)',
      headers: [{ name: 'X-Api-Key', value: null, secret: true }, ...headers.slice(1)],
    });
    expect(upd.status).toBe(200);
    expect(upd.body.data.hasSecret).toBe(true);

    const doc = await app.strapi.documents(Q).create({ data: { customer: 'secrets' } });
    const preview = await api('POST', `${BASE}/${id}/preview`, { documentId: doc.documentId });
    expect(preview.status).toBe(200);
    expect(preview.body.data.request.headers['X-Api-Key']).toBe('[REDACTED]');
    const test = await api('POST', `${BASE}/${id}/test`, { documentId: doc.documentId });
    expect(test.body.data).toMatchObject({ status: 200, error: null });
    const failedTest = await api('POST', `${BASE}/${failingId}/test`, {});
    expect(failedTest.body.data.status).toBe(500);

    // Deliveries: one delivered, one failed (retry in an hour).
    const ok = await rx.waitFor((reqs) =>
      reqs.find((r) => r.url === '/ok' && JSON.parse(r.body).event === 'entry.create')
    );
    await rx.waitFor((reqs) =>
      reqs.find((r) => r.url === '/fail' && JSON.parse(r.body).event === 'entry.create')
    );
    // Positive control: the receiver gets the real values, and the signature uses the real secret.
    expect(ok.headers['x-api-key']).toBe(HEADER_SECRET);
    expect(verifyStandard(ok, SECRET)).toBe(true);
    const failLog = await eventually(async () => {
      const res = await api('GET', `/document-webhooks/logs?webhook=${failingId}&status=failed`);
      return res.body.data.find((l: any) => l.event === 'entry.create');
    });
    expect(failLog.requestHeaders.Authorization).toBe('[REDACTED]');
    await eventually(
      async () =>
        (await api('GET', `/document-webhooks/logs?webhook=${id}&status=delivered`)).body.data
          .length >= 2
    );

    // Rotation: the new secret is shown once, in that answer only.
    const rot = await app.api('POST', `${BASE}/${id}/rotate-secret`);
    expect(rot.status).toBe(200);
    rotated.push(rot.body.data.secret);
    // Replace the secret and a header with new values; then remove the secret.
    expect((await api('PUT', `${BASE}/${failingId}`, { secret: null })).body.data.hasSecret).toBe(
      false
    );

    // Validation failures with secrets in the body do not echo them.
    const bad1 = await api('POST', BASE, {
      name: 'bad',
      contentType: Q,
      events: ['entry.create'],
      url: rx.url('/x'),
      secret: BAD_SECRET,
    });
    expect(bad1.status).toBe(400);
    const bad2 = await api('POST', BASE, {
      name: '',
      contentType: 'api::nope.nope',
      events: [],
      url: 'ftp://x',
      secret: SECRET,
      headers: [{ name: 'X-Api-Key', value: `${HEADER_SECRET}\r\nX-Injected: 1`, secret: true }],
    });
    expect(bad2.status).toBe(400);
    const bad3 = await api('PUT', `${BASE}/${id}`, {
      secret: SECRET2,
      timeoutMs: 'soon',
      headers: [{ name: 'bad name', value: HEADER_SECRET2, secret: true }],
    });
    expect(bad3.status).toBe(400);

    // Every log record, list and detail.
    const logs = await api('GET', '/document-webhooks/logs?pageSize=100');
    for (const l of logs.body.data) await api('GET', `/document-webhooks/logs/${l.id}`);
  });

  it('no API response contained a secret', () => {
    expect(responses.length).toBeGreaterThan(10);
    for (const r of responses) expectNoSecret(r, r.slice(0, 80));
  });

  it('stored encrypted: raw definition and log rows hold no plain secret', async () => {
    const rows = await app.strapi.db.query('plugin::document-webhooks.webhook').findMany({});
    const signed = rows.find((r: any) => r.id === id);
    expect(signed.secret).toMatch(/^enc:v1:/);
    expect(signed.previousSecret).toMatch(/^enc:v1:/);
    expect(signed.headers.find((h: any) => h.name === 'X-Api-Key').value).toMatch(/^enc:v1:/);
    const logRows = await app.strapi.db.query('plugin::document-webhooks.log').findMany({});
    expect(logRows.length).toBeGreaterThan(3);
    const raw = await app.strapi.db.connection.raw('SELECT * FROM document_webhooks_webhooks');
    const rawLogs = await app.strapi.db.connection.raw('SELECT * FROM document_webhooks_logs');
    const rawOutbox = await app.strapi.db.connection.raw('SELECT * FROM document_webhooks_outbox');
    expectNoSecret(JSON.stringify([rows, logRows, raw, rawLogs, rawOutbox]), 'database');
  });

  it("Strapi's log output never contained a secret", async () => {
    // Make sure the capture is live: a failed delivery logs at debug level.
    await eventually(() =>
      captured.some((l) => l.includes('[document-webhooks]') && l.includes('failed'))
    );
    expect(captured.length).toBeGreaterThan(0);
    expectNoSecret(captured.join('\n'), 'server log');
  });
});

describe('start-up refuses a bad key in production', () => {
  const CHILD = `
    const { createStrapi } = require(${JSON.stringify(require.resolve('@strapi/strapi'))});
    const dir = ${JSON.stringify(PLAYGROUND)};
    (async () => {
      const strapi = createStrapi({ appDir: dir, distDir: dir });
      await strapi.load();
      console.log('LOADED-OK');
      await strapi.destroy();
      process.exit(0);
    })().catch((err) => { console.error('BOOT-FAILED', err && err.message); process.exit(3); });
  `;

  const boot = (env: Record<string, string>, deadlineMs = 90_000) =>
    new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const dir = mkdtempSync(join(tmpdir(), 'dw-prod-'));
      const child = spawn(process.execPath, ['-e', CHILD], {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_ENV: 'production',
          DATABASE_FILENAME: join(dir, 'data.db'),
          SERVE_ADMIN: 'false',
          STRAPI_TELEMETRY_DISABLED: 'true',
          STRAPI_LOG_LEVEL: 'error',
          DOCUMENT_WEBHOOKS_CONFIG: '{}',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c) => (output += c));
      child.stderr.on('data', (c) => (output += c));
      const timer = setTimeout(() => {
        child.kill('SIGKILL'); // only this child, by its handle
        reject(new Error(`child did not finish within ${deadlineMs} ms: ${output.slice(-500)}`));
      }, deadlineMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
        resolve({ code, output });
      });
    });

  it('missing key → refuses to start, naming encryptionKey', async () => {
    const r = await boot({ ENCRYPTION_KEY: '' });
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toMatch(/BOOT-FAILED.*encryptionKey is missing or shorter than 16 characters/);
    expect(r.output).not.toContain('LOADED-OK');
  });

  it('too short key → refuses to start', async () => {
    const r = await boot({ ENCRYPTION_KEY: 'short-key' });
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toMatch(/BOOT-FAILED.*encryptionKey/);
    expect(r.output).not.toContain('short-key');
  });

  it('too short plugin `encryptionKey` → the config validator refuses, naming the key', async () => {
    const r = await boot({
      ENCRYPTION_KEY: 'a-long-enough-admin-key-0123456789',
      DOCUMENT_WEBHOOKS_CONFIG: JSON.stringify({ encryptionKey: 'tiny' }),
    });
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toMatch(/encryptionKey: must be at least 16 characters/);
  });

  it('a proper key → starts (positive control)', async () => {
    const r = await boot({ ENCRYPTION_KEY: 'a-long-enough-production-key-0123456789' });
    expect(r.output).toContain('LOADED-OK');
    expect(r.code).toBe(0);
  });
});
