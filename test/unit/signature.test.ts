import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FRAPPE_SIGNATURE_HEADER,
  frappeSignature,
  generateSecret,
  newMessageId,
  secretKeyBytes,
  signatureHeaders,
  standardSignature,
} from '../../server/src/sign/signature';

// ---------------------------------------------------------------------------------------
// Independent reference implementation, written from the Standard Webhooks spec
// (spec/standard-webhooks.md, "Signature scheme"): content `${msg_id}.${timestamp}.${payload}`,
// HMAC-SHA256 with the base64-decoded part of the `whsec_` secret, `v1,` + base64.
// It uses WebCrypto + atob/btoa instead of node:crypto's createHmac/Buffer.
// ---------------------------------------------------------------------------------------
const subtle = webcrypto.subtle;
const enc = new TextEncoder();

function b64ToBytes(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
function bytesToB64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}
async function hmacB64(key: Uint8Array, message: string): Promise<string> {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return bytesToB64(await subtle.sign('HMAC', k, enc.encode(message)));
}
async function refStandardSign(
  whsecSecret: string,
  id: string,
  ts: number,
  payload: string
): Promise<string> {
  return `v1,${await hmacB64(b64ToBytes(whsecSecret.replace(/^whsec_/, '')), `${id}.${ts}.${payload}`)}`;
}
/** A receiver's verification, as the spec describes it: any `v1,` entry may match. */
async function refVerify(
  whsecSecret: string,
  headers: Record<string, string>,
  payload: string
): Promise<boolean> {
  const expected = await refStandardSign(
    whsecSecret,
    headers['webhook-id']!,
    Number(headers['webhook-timestamp']),
    payload
  );
  return (headers['webhook-signature'] ?? '').split(' ').some((s) => s === expected);
}

// Vector from standard-webhooks/standard-webhooks libraries/javascript/src/webhook.test.ts
// ("sign function works"); re-computed independently with Python's hmac module.
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_TS = 1614265330;
const SPEC_PAYLOAD = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('standardSignature', () => {
  it('matches the official Standard Webhooks test vector', async () => {
    expect(standardSignature(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_PAYLOAD)).toBe(SPEC_SIGNATURE);
    expect(await refStandardSign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_PAYLOAD)).toBe(SPEC_SIGNATURE);
  });

  it('agrees with the independent implementation for arbitrary keys, ids, timestamps and bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.stringMatching(/^msg_[0-9A-Za-z]{1,30}$/),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.string({ unit: 'binary' }),
        async (key, id, ts, body) => {
          const secret = `whsec_${Buffer.from(key).toString('base64')}`;
          expect(standardSignature(secret, id, ts, body)).toBe(
            await refStandardSign(secret, id, ts, body)
          );
        }
      ),
      { numRuns: 200 }
    );
  });

  it('changes when any signed part changes', () => {
    const base = standardSignature(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_PAYLOAD);
    expect(standardSignature(SPEC_SECRET, SPEC_ID + 'x', SPEC_TS, SPEC_PAYLOAD)).not.toBe(base);
    expect(standardSignature(SPEC_SECRET, SPEC_ID, SPEC_TS + 1, SPEC_PAYLOAD)).not.toBe(base);
    expect(standardSignature(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_PAYLOAD + ' ')).not.toBe(base);
  });

  it('refuses ids with "." and non-integer timestamps (they would make the signed content ambiguous)', () => {
    expect(() => standardSignature(SPEC_SECRET, 'msg_a.b', SPEC_TS, '')).toThrow(TypeError);
    expect(() => standardSignature(SPEC_SECRET, 'msg a', SPEC_TS, '')).toThrow(TypeError);
    expect(() => standardSignature(SPEC_SECRET, '', SPEC_TS, '')).toThrow(TypeError);
    expect(() => standardSignature(SPEC_SECRET, SPEC_ID, 1.5, '')).toThrow(TypeError);
    expect(() => standardSignature(SPEC_SECRET, SPEC_ID, -1, '')).toThrow(TypeError);
  });
});

describe('secretKeyBytes', () => {
  it('base64-decodes whsec_ secrets', () => {
    expect(
      secretKeyBytes(SPEC_SECRET).equals(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'))
    ).toBe(true);
  });
  it('uses the UTF-8 bytes of any other string (documented choice)', () => {
    expect(secretKeyBytes('my secret é').equals(Buffer.from('my secret é', 'utf8'))).toBe(true);
    // no prefix → not decoded, even if it looks like base64
    expect(secretKeyBytes('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').toString('utf8')).toBe(
      'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    );
    // prefix but not valid base64 → whole string as UTF-8
    expect(secretKeyBytes('whsec_not base64!').toString('utf8')).toBe('whsec_not base64!');
    expect(secretKeyBytes('whsec_').toString('utf8')).toBe('whsec_');
  });
});

describe('generateSecret', () => {
  it('is whsec_ + base64 of 32 random bytes', () => {
    const s = generateSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKeyBytes(s)).toHaveLength(32);
    expect(new Set(Array.from({ length: 100 }, generateSecret)).size).toBe(100);
  });
  it('produces secrets the independent implementation can verify', async () => {
    const s = generateSecret();
    const headers = signatureHeaders({
      secrets: [s],
      msgId: 'msg_x',
      timestampSeconds: 1700000000,
      body: '{}',
    });
    expect(await refVerify(s, headers, '{}')).toBe(true);
  });
});

describe('frappeSignature', () => {
  // Computed with Frappe's exact expression (webhook.py get_webhook_headers):
  //   base64.b64encode(hmac.new(secret.encode("utf8"), data.encode("utf8"), hashlib.sha256).digest())
  // in CPython 3 for this secret/body.
  it('matches a vector computed with Frappe’s Python expression', () => {
    expect(frappeSignature('my-frappe-secret é', '{"name": "TASK-0001", "status": "Open"}')).toBe(
      'NCwsp+ms9eZgeupaDmXrFN5T9qSubfV4I1lR1yfXAVc='
    );
  });
  it('uses the whole secret string, prefix included, as UTF-8 key', async () => {
    const secret = generateSecret();
    expect(frappeSignature(secret, 'body')).toBe(await hmacB64(enc.encode(secret), 'body'));
  });
});

describe('signatureHeaders', () => {
  const body = '{"doc":{"id":1}}';
  const msgId = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const ts = 1674087231;

  it('sends only id and timestamp when there is no secret', () => {
    expect(signatureHeaders({ secrets: [], msgId, timestampSeconds: ts, body })).toEqual({
      'webhook-id': msgId,
      'webhook-timestamp': String(ts),
    });
    expect(
      signatureHeaders({ secrets: [''], msgId, timestampSeconds: ts, body })
    ).not.toHaveProperty('webhook-signature');
  });

  it('signs with the current secret (Standard Webhooks + Frappe)', async () => {
    const h = signatureHeaders({
      secrets: [SPEC_SECRET],
      msgId: SPEC_ID,
      timestampSeconds: SPEC_TS,
      body: SPEC_PAYLOAD,
    });
    expect(h['webhook-signature']).toBe(SPEC_SIGNATURE);
    expect(h[FRAPPE_SIGNATURE_HEADER]).toBe(await hmacB64(enc.encode(SPEC_SECRET), SPEC_PAYLOAD));
    expect(await refVerify(SPEC_SECRET, h, SPEC_PAYLOAD)).toBe(true);
    expect(await refVerify(SPEC_SECRET, h, SPEC_PAYLOAD + 'x')).toBe(false);
  });

  it('during rotation carries both signatures, current first; Frappe header uses the current one', async () => {
    const current = generateSecret();
    const previous = generateSecret();
    const h = signatureHeaders({ secrets: [current, previous], msgId, timestampSeconds: ts, body });
    const parts = h['webhook-signature']!.split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(await refStandardSign(current, msgId, ts, body));
    expect(parts[1]).toBe(await refStandardSign(previous, msgId, ts, body));
    expect(await refVerify(current, h, body)).toBe(true);
    expect(await refVerify(previous, h, body)).toBe(true);
    expect(await refVerify(generateSecret(), h, body)).toBe(false);
    expect(h[FRAPPE_SIGNATURE_HEADER]).toBe(frappeSignature(current, body));
  });
});

describe('newMessageId', () => {
  it('is msg_ + 27 base62 characters and unique', () => {
    const ids = Array.from({ length: 2000 }, newMessageId);
    for (const id of ids) expect(id).toMatch(/^msg_[0-9A-Za-z]{27}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
  it('is usable as a signed id (no ".")', () => {
    expect(() => standardSignature(SPEC_SECRET, newMessageId(), SPEC_TS, '')).not.toThrow();
  });
});
