/**
 * Issue 2: the plugin config is validated at start-up; an invalid one fails `strapi.load()` with a
 * message naming the key. Each boot runs in its own child Node process with a deadline, so a
 * half-booted Strapi can never keep this test process (or its database handles) alive.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PLAYGROUND, ROOT, tempDbFile } from '../helpers/strapi';

interface BootOutcome {
  loaded: boolean;
  error?: string;
  config?: Record<string, any>;
  exitCode: number | null;
  stderr: string;
}

const CHILD = `
const { createStrapi } = require('@strapi/strapi');
const strapi = createStrapi({ appDir: ${JSON.stringify(PLAYGROUND)}, distDir: ${JSON.stringify(PLAYGROUND)} });
const report = (o) => process.stdout.write('\\nDW_RESULT ' + JSON.stringify(o) + '\\n');
strapi.load().then(
  async () => {
    report({ loaded: true, config: strapi.config.get('plugin::document-webhooks') });
    try { await strapi.destroy(); } catch {}
    process.exit(0);
  },
  (err) => {
    report({ loaded: false, error: String((err && err.message) || err) });
    process.exit(3);
  }
);
`;

/** Boot the playground in a child process with this plugin config; resolve with what happened. */
function bootInChild(config: Record<string, unknown>, deadlineMs = 90_000): Promise<BootOutcome> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', CHILD],
      {
        cwd: ROOT,
        timeout: deadlineMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          DATABASE_FILENAME: tempDbFile(),
          SERVE_ADMIN: 'false',
          STRAPI_LOG_LEVEL: 'error',
          STRAPI_TELEMETRY_DISABLED: 'true',
          DOCUMENT_WEBHOOKS_CONFIG: JSON.stringify(config),
        },
      },
      (err, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('DW_RESULT '));
        if (!line) {
          reject(
            new Error(
              `child boot produced no result (${err?.message ?? 'no error'})\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`
            )
          );
          return;
        }
        const exitCode = err ? ((err as any).code ?? null) : 0;
        resolve({ ...JSON.parse(line.slice('DW_RESULT '.length)), exitCode, stderr });
      }
    );
  });
}

describe('plugin config validation at start-up', () => {
  it('a valid config loads, and the given values are used as they are', async () => {
    const out = await bootInChild({
      concurrency: 3,
      retrySchedule: [1, 2],
      allowedHosts: ['hooks.example.com'],
      logRetentionDays: 7,
    });
    expect(out.error).toBeUndefined();
    expect(out.loaded).toBe(true);
    expect(out.exitCode).toBe(0);
    expect(out.config).toMatchObject({
      concurrency: 3,
      logRetentionDays: 7,
      maxResponseBodyBytes: 20480,
      allowPrivateAddresses: false,
    });
    // A shorter schedule replaces the default one; it is not merged index by index into it.
    expect(out.config!.retrySchedule).toEqual([1, 2]);
    expect(out.config!.allowedHosts).toEqual(['hooks.example.com']);
  });

  it('defaults apply when nothing is configured', async () => {
    const out = await bootInChild({});
    expect(out.loaded).toBe(true);
    expect(out.config).toMatchObject({
      concurrency: 20,
      defaultTimeoutMs: 5000,
      maxResponseBodyBytes: 20480,
      allowPrivateAddresses: false,
      logRetentionDays: 30,
    });
    expect(out.config!.retrySchedule).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });

  const hook = {
    name: 'a',
    contentType: 'api::article.article',
    events: ['entry.create'],
    url: 'https://hooks.example.com/a',
    secret: 'whsec-not-echoed-1234',
  };
  const invalid: [string, Record<string, unknown>, string][] = [
    ['concurrency: 0', { concurrency: 0 }, 'concurrency'],
    ['retrySchedule: "x"', { retrySchedule: 'x' }, 'retrySchedule'],
    ['retrySchedule with a negative delay', { retrySchedule: [5, -1] }, 'retrySchedule'],
    ['an unknown key', { retryScheduel: [1, 2] }, 'retryScheduel'],
    ['defaultTimeoutMs out of range', { defaultTimeoutMs: 50 }, 'defaultTimeoutMs'],
    [
      'allowPrivateAddresses not a boolean',
      { allowPrivateAddresses: 'yes' },
      'allowPrivateAddresses',
    ],
    ['allowedHosts not a list of strings', { allowedHosts: 'localhost' }, 'allowedHosts'],
    ['encryptionKey too short', { encryptionKey: 'short' }, 'encryptionKey'],
    [
      'a previous encryption key too short',
      { previousEncryptionKeys: ['a-long-enough-old-key-0123', 'short'] },
      'previousEncryptionKeys[1]',
    ],
    [
      'previousEncryptionKeys not a list',
      { previousEncryptionKeys: 'a-long-enough-old-key-0123' },
      'previousEncryptionKeys',
    ],
    // Webhooks as code: each entry is checked like an admin API body.
    ['webhooks not a list', { webhooks: { name: 'x' } }, 'webhooks'],
    ['a webhook that is not an object', { webhooks: [hook, 'x'] }, 'webhooks[1]'],
    [
      'a webhook url that is not http(s)',
      { webhooks: [{ ...hook, url: 'ftp://example.com' }] },
      'webhooks[0].url: url must be an absolute http:// or https:// URL',
    ],
    [
      'a webhook on an unknown content type',
      { webhooks: [hook, { ...hook, name: 'b', contentType: 'api::nope.nope' }] },
      'webhooks[1].contentType',
    ],
    [
      'a reserved webhook header',
      { webhooks: [{ ...hook, headers: [{ name: 'Host', value: 'x' }] }] },
      'webhooks[0].headers[0].name',
    ],
    [
      'a secret header without a value',
      { webhooks: [{ ...hook, headers: [{ name: 'X-Key', value: null, secret: true }] }] },
      'webhooks[0].headers[0].value',
    ],
    ['two webhooks of one name', { webhooks: [hook, { ...hook }] }, 'webhooks[1].name'],
    ['an unknown webhook field', { webhooks: [{ ...hook, colour: 'red' }] }, 'webhooks[0].colour'],
  ];

  it.each(invalid)('%s fails strapi.load() naming the key', async (_label, config, key) => {
    const out = await bootInChild(config);
    expect(out.loaded).toBe(false);
    expect(out.exitCode).toBe(3);
    expect(out.error).toContain(key);
    expect(out.error).toMatch(/document-webhooks/);
    // Key material is never echoed.
    expect(out.error).not.toContain('a-long-enough-old-key');
    expect(out.error).not.toContain('whsec-not-echoed');
  });
});
