/**
 * Delivery signatures.
 *
 * Two schemes are emitted side by side:
 * - Standard Webhooks (https://www.standardwebhooks.com, symmetric "v1"):
 *   `webhook-signature: v1,<base64 HMAC-SHA256(key, "<msgId>.<timestamp>.<body>")>`.
 * - Frappe/Dokos: `X-Frappe-Webhook-Signature: <base64 HMAC-SHA256(secret.encode("utf8"), body)>`
 *   (frappe/integrations/doctype/webhook/webhook.py, `get_webhook_headers`), so receivers
 *   migrated from Frappe keep working unchanged.
 */
import { createHmac, randomBytes, randomFillSync } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
export const FRAPPE_SIGNATURE_HEADER = 'X-Frappe-Webhook-Signature';

const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `whsec_` + base64 of 32 random bytes (the spec asks for 24..64 bytes of randomness). */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The HMAC key for the Standard Webhooks signature.
 *
 * - `whsec_<base64>` (what `generateSecret` / rotate-secret produce): the base64-decoded
 *   bytes after the prefix, exactly as the spec and the official libraries do it.
 * - Anything else (a free-form secret typed by a user, e.g. copied over from Frappe, or a
 *   `whsec_` string whose remainder is not valid base64): the UTF-8 bytes of the whole
 *   string. Receivers using the official libraries can verify those with the "raw" key
 *   format; we never guess that an arbitrary string is base64, because a typed password
 *   that happens to look like base64 would otherwise be silently decoded.
 */
export function secretKeyBytes(secret: string): Buffer {
  if (secret.startsWith(SECRET_PREFIX)) {
    const encoded = secret.slice(SECRET_PREFIX.length);
    if (encoded.length > 0 && encoded.length % 4 === 0 && STRICT_BASE64.test(encoded)) {
      const bytes = Buffer.from(encoded, 'base64');
      if (bytes.length > 0) return bytes;
    }
  }
  return Buffer.from(secret, 'utf8');
}

/** `v1,` + base64(HMAC-SHA256(secretKeyBytes(secret), `${msgId}.${timestamp}.${body}`)). */
export function standardSignature(
  secret: string,
  msgId: string,
  timestampSeconds: number,
  body: string
): string {
  assertSignable(msgId, timestampSeconds);
  const mac = createHmac('sha256', secretKeyBytes(secret))
    .update(`${msgId}.${timestampSeconds}.${body}`, 'utf8')
    .digest('base64');
  return `v1,${mac}`;
}

/** base64(HMAC-SHA256(UTF-8 bytes of the whole secret string, body)) — Frappe's scheme. */
export function frappeSignature(secret: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body, 'utf8').digest('base64');
}

export interface SignatureHeaderOptions {
  /** Current secret first, then previous secrets still inside their rotation grace period. */
  secrets: string[];
  msgId: string;
  timestampSeconds: number;
  body: string;
}

/**
 * Headers for one attempt. `webhook-id`/`webhook-timestamp` are always sent (the id is the
 * receiver's idempotency key); signatures only when the webhook has a secret. During a
 * rotation every still-valid secret signs, space-separated, current first, so receivers
 * holding either secret verify. The Frappe header carries the current secret only (Frappe
 * receivers compare one value).
 */
export function signatureHeaders(opts: SignatureHeaderOptions): Record<string, string> {
  const { msgId, timestampSeconds, body } = opts;
  assertSignable(msgId, timestampSeconds);
  const headers: Record<string, string> = {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSeconds),
  };
  const secrets = opts.secrets.filter((s) => typeof s === 'string' && s.length > 0);
  if (secrets.length > 0) {
    headers['webhook-signature'] = secrets
      .map((s) => standardSignature(s, msgId, timestampSeconds, body))
      .join(' ');
    headers[FRAPPE_SIGNATURE_HEADER] = frappeSignature(secrets[0]!, body);
  }
  return headers;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `msg_` + 27 random base62 characters (~160 bits, same length as Svix's KSUID-based ids). */
export function newMessageId(): string {
  let out = '';
  while (out.length < 27) {
    const byte = randomByte();
    // Rejection sampling: 248 = 4 * 62, so accepted bytes map uniformly onto the alphabet.
    if (byte < 248) out += BASE62[byte % 62];
  }
  return `msg_${out}`;
}

// Random bytes drawn 4 KiB at a time (one id per fan-out delivery; a call into the CSPRNG per
// id showed in profiles), as Node's own randomUUID does with its cache.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function randomByte(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++];
}

/**
 * The spec warns that id and timestamp must not contain `.` (they are `.`-delimited in the
 * signed content); we also refuse whitespace/control characters since they become headers.
 */
function assertSignable(msgId: string, timestampSeconds: number): void {
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (typeof msgId !== 'string' || msgId.length === 0 || /[.\s\x00-\x1f\x7f]/.test(msgId)) {
    throw new TypeError(
      'webhook message id must be non-empty and contain no ".", whitespace or control characters'
    );
  }
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new TypeError('webhook timestamp must be a non-negative integer number of seconds');
  }
}
