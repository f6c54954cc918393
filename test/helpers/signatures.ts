/**
 * An independent Standard Webhooks / Frappe signature verifier for the integration tests: no
 * code shared with the plugin, so a bug in its signing cannot hide in a shared helper.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { expect } from 'vitest';
import type { ReceivedRequest } from './receiver';

const hmacB64 = (key: Buffer, content: string) =>
  createHmac('sha256', key).update(content, 'utf8').digest('base64');
const standardKey = (secret: string) => {
  expect(secret.startsWith('whsec_')).toBe(true);
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
};
const sameB64 = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** One of the request's `webhook-signature` entries is `v1,` + HMAC-SHA256 of `id.timestamp.body` with `secret`. */
export function verifyStandard(r: ReceivedRequest, secret: string): boolean {
  const id = String(r.headers['webhook-id']);
  const ts = String(r.headers['webhook-timestamp']);
  const expected = hmacB64(standardKey(secret), `${id}.${ts}.${r.body}`);
  return String(r.headers['webhook-signature'] ?? '')
    .split(' ')
    .some((sig) => sig.startsWith('v1,') && sameB64(sig.slice(3), expected));
}

/** Frappe's header: base64 HMAC-SHA256 of the body with the secret's UTF-8 bytes. */
export const verifyFrappe = (r: ReceivedRequest, secret: string) =>
  sameB64(
    String(r.headers['x-frappe-webhook-signature'] ?? ''),
    hmacB64(Buffer.from(secret, 'utf8'), r.body)
  );
