/**
 * Changing `encryptionKey` with the former key in `previousEncryptionKeys` (docs/security.md):
 * the same database, booted three times. Secrets written under the old key keep signing and
 * keep their header values, are rewritten with the new key at start-up, and the old key can
 * then be dropped from the config.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret, deriveKey } from '../../server/src/secrets/crypto';
import {
  eventually,
  startReceiver,
  type ReceivedRequest,
  type Receiver,
} from '../helpers/receiver';
import { verifyStandard } from '../helpers/signatures';
import { bootStrapi, type TestApp } from '../helpers/strapi';

const BASE = '/document-webhooks/webhooks';
const TABLE = 'document_webhooks_webhooks';
const Q = 'api::quotation.quotation';
const OLD_KEY = 'old-encryption-key-material-0123456789';
const NEW_KEY = 'new-encryption-key-material-9876543210';
const HEADER_SECRET = 'Bearer rotated-key-header-token';

let rx: Receiver;
let app: TestApp | null = null;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

/** Stop the running app (if any) and boot another. */
async function restart(opts: Parameters<typeof bootStrapi>[0]): Promise<TestApp> {
  const running = app;
  app = null;
  await running?.stop();
  return (app = await bootStrapi(opts));
}

/** The stored values that are encrypted, as the database holds them. */
async function storedValues(id: number): Promise<string[]> {
  const row = await app!.strapi.db.connection(TABLE).where({ id }).first();
  const headers = typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers;
  return [
    row.secret,
    row.previous_secret,
    ...headers.filter((h: any) => h.secret).map((h: any) => h.value),
  ];
}

/** One delivery of a new quotation, as the receiver got it. */
async function deliver(customer: string): Promise<ReceivedRequest> {
  await app!.strapi.documents(Q).create({ data: { customer } });
  return rx.waitFor((reqs) => reqs.find((r) => r.body.includes(customer)));
}

describe('encryptionKey rotation with previousEncryptionKeys', () => {
  it('keeps every secret working across the change and re-encrypts it with the new key', async () => {
    app = await restart({ config: { encryptionKey: OLD_KEY } });
    const created = await app.api('POST', BASE, {
      name: 'key rotation',
      contentType: Q,
      events: ['entry.create'],
      url: rx.url('/rotation'),
      secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      headers: [{ name: 'Authorization', value: HEADER_SECRET, secret: true }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: number = created.body.data.id;
    const first = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    // A rotation in progress: the previous secret is stored (and signs) too.
    const rotated = await app.api('POST', `${BASE}/${id}/rotate-secret`);
    const current: string = rotated.body.data.secret;
    const before = await storedValues(id);
    expect(before).toHaveLength(3);
    for (const v of before) expect(() => decryptSecret(v, deriveKey(OLD_KEY))).not.toThrow();
    const dbFile = app.dbFile;

    // New key, old one listed as previous: re-encrypted at start-up.
    app = await restart({
      dbFile,
      config: { encryptionKey: NEW_KEY, previousEncryptionKeys: [OLD_KEY] },
    });
    const after = await storedValues(id);
    expect(after).toHaveLength(3);
    after.forEach((v, i) => {
      expect(v).not.toBe(before[i]);
      expect(decryptSecret(v, deriveKey(NEW_KEY))).toBe(
        decryptSecret(before[i], deriveKey(OLD_KEY))
      );
      expect(() => decryptSecret(v, deriveKey(OLD_KEY))).toThrow(/could not decrypt/);
    });
    const r1 = await deliver('After the key change');
    expect(r1.headers.authorization).toBe(HEADER_SECRET);
    expect(verifyStandard(r1, current)).toBe(true);
    expect(verifyStandard(r1, first)).toBe(true);
    // The API still says a secret is set and never shows it.
    const got = await app.api('GET', `${BASE}/${id}`);
    expect(got.body.data).toMatchObject({ hasSecret: true, secretRotating: true });
    expect(JSON.stringify(got.body)).not.toContain(HEADER_SECRET);

    // The old key dropped from the config: nothing needs it any more.
    app = await restart({ dbFile, config: { encryptionKey: NEW_KEY } });
    expect(await storedValues(id)).toEqual(after);
    const r2 = await deliver('Old key gone');
    expect(r2.headers.authorization).toBe(HEADER_SECRET);
    expect(verifyStandard(r2, current)).toBe(true);
    const log = await eventually(async () => {
      const res = await app!.api('GET', `/document-webhooks/logs?webhook=${id}&status=delivered`);
      return res.body.data.length >= 2 ? res.body.data : null;
    });
    expect(log.length).toBe(2);
  });

  it('a value no configured key decrypts leaves the boot going and fails only that delivery, with the reason', async () => {
    app = await restart({ config: { encryptionKey: OLD_KEY } });
    const created = await app.api('POST', BASE, {
      name: 'lost key',
      contentType: Q,
      events: ['entry.create'],
      url: rx.url('/lost'),
      secret: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
    });
    const id: number = created.body.data.id;
    app = await restart({
      dbFile: app.dbFile,
      config: { encryptionKey: NEW_KEY, previousEncryptionKeys: ['some-other-former-key-000000'] },
    });
    await app.strapi.documents(Q).create({ data: { customer: 'Unreadable secret' } });
    const failed = await eventually(async () => {
      const res = await app!.api('GET', `/document-webhooks/logs?webhook=${id}`);
      return res.body.data.find((l: any) => l.status === 'failed' || l.status === 'exhausted');
    });
    expect(failed.error).toMatch(/could not decrypt secret/);
    expect(rx.requests.some((r) => r.url === '/lost')).toBe(false);
  });
});
