/**
 * Issue 2: webhook secrets and secret header values are AES-256-GCM `enc:v1:` strings in the
 * database itself, never plain text. On SQLite the file is read with better-sqlite3 (a separate
 * connection, bypassing Strapi); on PostgreSQL/MariaDB the rows are read with raw SQL.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';

const BASE = '/document-webhooks/webhooks';
const TABLE = 'document_webhooks_webhooks';
const SECRET = 'shared-signing-secret-Z9q!';
const HEADER_SECRET = 'Bearer header-token-Q7x';
const ENC = /^enc:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;

let app: TestApp;

beforeAll(async () => {
  app = await bootStrapi();
});

afterAll(async () => {
  await app?.stop();
});

const onSqlite = () => (process.env.TEST_DB ?? 'sqlite') === 'sqlite';

/** The row as the database stores it (JSON columns as their text), bypassing the query engine. */
async function sqliteRow(id: number): Promise<Record<string, any>> {
  if (!onSqlite()) {
    const row = await app.strapi.db.connection(TABLE).where({ id }).first();
    return {
      ...row,
      headers: typeof row.headers === 'string' ? row.headers : JSON.stringify(row.headers),
    };
  }
  const db = new Database(app.dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT * FROM ${TABLE} WHERE id = ?`).get(id) as Record<string, any>;
  } finally {
    db.close();
  }
}

/**
 * Everything stored: on SQLite every byte written so far (main file and WAL) as latin1 text;
 * on a server database every row of the plugin's tables.
 */
async function databaseBytes(): Promise<string> {
  if (!onSqlite()) {
    const tables = [
      'document_webhooks_webhooks',
      'document_webhooks_logs',
      'document_webhooks_outbox',
    ];
    const dumps = await Promise.all(tables.map((t) => app.strapi.db.connection(t).select('*')));
    return JSON.stringify(dumps);
  }
  return [app.dbFile, `${app.dbFile}-wal`, `${app.dbFile}-journal`]
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f).toString('latin1'))
    .join('\n');
}

const createWithSecrets = async (name: string) => {
  const res = await app.api('POST', BASE, {
    name,
    contentType: 'api::quotation.quotation',
    events: ['entry.update'],
    url: 'https://receiver.example.com/hook',
    secret: SECRET,
    headers: [
      { name: 'Authorization', value: HEADER_SECRET, secret: true },
      { name: 'X-Plain', value: 'plain-value', secret: false },
    ],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data as { id: number };
};

describe('secrets at rest', () => {
  it('stores the secret and secret header values as enc:v1 ciphertext', async () => {
    const w = await createWithSecrets('at rest A');
    const row = await sqliteRow(w.id);
    expect(row).toBeTruthy();

    expect(typeof row.secret).toBe('string');
    expect(row.secret).toMatch(ENC);
    expect(row.secret).not.toContain(SECRET);

    const headers = JSON.parse(row.headers);
    const auth = headers.find((h: any) => h.name === 'Authorization');
    expect(auth.secret).toBe(true);
    expect(auth.value).toMatch(ENC);
    expect(auth.value).not.toContain(HEADER_SECRET);
    expect(auth.value).not.toContain('header-token');
    // Non-secret headers are stored as they are.
    expect(headers.find((h: any) => h.name === 'X-Plain').value).toBe('plain-value');
    expect(row.headers).not.toContain(HEADER_SECRET);

    // The ciphertexts do decrypt back to the secrets with the plugin's key.
    const secrets = app.strapi.plugin('document-webhooks').service('secrets');
    expect(secrets.decrypt(row.secret)).toBe(SECRET);
    expect(secrets.decrypt(auth.value)).toBe(HEADER_SECRET);

    // And the plaintext is nowhere in the database files.
    const bytes = await databaseBytes();
    expect(bytes).not.toContain(SECRET);
    expect(bytes).not.toContain(HEADER_SECRET);
  });

  it('encrypts the same secret differently for two webhooks (fresh IV each time)', async () => {
    const a = await sqliteRow((await createWithSecrets('at rest B')).id);
    const b = await sqliteRow((await createWithSecrets('at rest C')).id);
    expect(a.secret).toMatch(ENC);
    expect(b.secret).toMatch(ENC);
    expect(a.secret).not.toBe(b.secret);
    const ha = JSON.parse(a.headers)[0].value;
    const hb = JSON.parse(b.headers)[0].value;
    expect(ha).not.toBe(hb);
  });

  it('keeps rotated and updated secrets encrypted too', async () => {
    const w = await createWithSecrets('at rest D');
    const rotated = await app.api('POST', `${BASE}/${w.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const newSecret: string = rotated.body.data.secret;
    let row = await sqliteRow(w.id);
    expect(row.secret).toMatch(ENC);
    expect(row.secret).not.toContain(newSecret.slice('whsec_'.length));
    // The rotated-out secret keeps signing during the grace period, encrypted as well.
    const prev = row.previous_secret ?? row.previousSecret;
    expect(prev).toMatch(ENC);
    expect(prev).not.toContain(SECRET);

    const updated = await app.api('PUT', `${BASE}/${w.id}`, {
      secret: 'replacement-secret-value',
      headers: [{ name: 'Authorization', value: 'Bearer replaced-header-token', secret: true }],
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    row = await sqliteRow(w.id);
    expect(row.secret).toMatch(ENC);
    expect(row.secret).not.toContain('replacement-secret-value');
    expect(JSON.parse(row.headers)[0].value).toMatch(ENC);
    expect(row.headers).not.toContain('replaced-header-token');
    const bytes = await databaseBytes();
    expect(bytes).not.toContain('replacement-secret-value');
    expect(bytes).not.toContain('replaced-header-token');
    expect(bytes).not.toContain(newSecret);
  });
});
