import { describe, expect, it } from 'vitest';
import schema from '../../server/src/content-types/webhook/schema.json';
import {
  KNOWN_FIELDS,
  WEBHOOK_FIELDS,
  unknownFieldErrors,
} from '../../server/src/definitions/validate';
import { DEFAULTS, toPublic } from '../../server/src/services/webhook-fields';
import type { WebhookRow } from '../../server/src/definitions/types';

/** Columns the server sets itself: never part of a definition a client sends. */
const SERVER_COLUMNS = [
  'previousSecret',
  'previousSecretExpiresAt',
  'disabledReason',
  'failingSince',
  'managed',
];

const row: WebhookRow = {
  ...DEFAULTS(5000),
  id: 1,
  documentId: 'd1',
  name: 'a',
  contentType: 'api::article.article',
  events: ['entry.create'],
  url: 'https://hooks.example.com/a',
  coalesce: null,
  headers: [{ name: 'X-Key', value: 'enc:v1:x', secret: true }],
  secret: null,
  previousSecret: null,
  previousSecretExpiresAt: null,
  disabledReason: null,
  failingSince: null,
  managed: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('the list of webhook fields', () => {
  it('is every column of the webhook table a client may set, and no other', () => {
    const columns = Object.keys(schema.attributes).filter((c) => !SERVER_COLUMNS.includes(c));
    expect([...WEBHOOK_FIELDS].sort()).toEqual(columns.sort());
  });

  it('knows every field a response carries, so a client may send back what it read', () => {
    const returned = Object.keys(toPublic(row));
    expect(returned.filter((f) => !KNOWN_FIELDS.has(f))).toEqual([]);
    expect(unknownFieldErrors(toPublic(row) as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('refuses any other field by name', () => {
    expect(unknownFieldErrors({ name: 'a', colour: 'red' })).toEqual([
      { path: ['colour'], message: 'colour is not a known field' },
    ]);
  });
});
