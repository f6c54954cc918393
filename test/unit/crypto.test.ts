import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decryptSecret,
  decryptWithKeys,
  deriveKey,
  encryptSecret,
  isEncrypted,
  SecretDecryptError,
} from '../../server/src/secrets/crypto';

const key = deriveKey('strapi-admin-encryption-key-for-tests');
const otherKey = deriveKey('a-different-key');
const plain = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function flip(payload: string, part: 0 | 1 | 2): string {
  const prefix = 'enc:v1:';
  const parts = payload.slice(prefix.length).split(':');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return prefix + parts.join(':');
}

function expectSafeError(fn: () => unknown): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SecretDecryptError);
  const text = `${(err as Error).message} ${(err as Error).stack ?? ''} ${JSON.stringify(err)}`;
  expect(text).not.toContain(plain);
  expect(text).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  expect(text).not.toContain(key.toString('hex'));
  expect(text).not.toContain(key.toString('base64'));
  expect(text).not.toContain('strapi-admin-encryption-key-for-tests');
}

describe('deriveKey', () => {
  it('derives a deterministic 32-byte key per material', () => {
    expect(key).toHaveLength(32);
    expect(deriveKey('strapi-admin-encryption-key-for-tests').equals(key)).toBe(true);
    expect(otherKey.equals(key)).toBe(false);
  });
  it('refuses empty material', () => {
    expect(() => deriveKey('')).toThrow(TypeError);
  });
});

describe('encryptSecret / decryptSecret', () => {
  it('round-trips, and the stored form does not contain the plaintext', () => {
    const stored = encryptSecret(plain, key);
    expect(stored).toMatch(/^enc:v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain(plain);
    expect(decryptSecret(stored, key)).toBe(plain);
  });
  it('property: round-trips any string (including empty and non-ASCII)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(decryptSecret(encryptSecret(s, key), key)).toBe(s);
      }),
      {
        numRuns: 200,
      }
    );
  });
  it('uses a random IV: two encryptions of the same value differ', () => {
    const a = encryptSecret(plain, key);
    const b = encryptSecret(plain, key);
    expect(a).not.toBe(b);
    expect(a.split(':')[2]).not.toBe(b.split(':')[2]);
  });
  it('detects tampering with IV, tag or ciphertext', () => {
    const stored = encryptSecret(plain, key);
    for (const part of [0, 1, 2] as const)
      expectSafeError(() => decryptSecret(flip(stored, part), key));
    expectSafeError(() => decryptSecret(stored.slice(0, -2), key));
  });
  it('fails with a wrong key', () => {
    expectSafeError(() => decryptSecret(encryptSecret(plain, key), otherKey));
  });
  it('rejects malformed payloads without echoing them', () => {
    expectSafeError(() => decryptSecret(plain, key));
    expectSafeError(() => decryptSecret('enc:v1:AAAA:BBBB', key));
    expectSafeError(() => decryptSecret('enc:v1:AAAA:BBBB:CCCC', key));
  });
  it('refuses keys that are not 32 bytes', () => {
    expect(() => encryptSecret(plain, Buffer.alloc(16))).toThrow(TypeError);
  });
});

describe('decryptWithKeys (key rotation)', () => {
  const [current, previous, other] = [
    'current-key-material-0001',
    'previous-key-material-0002',
    'other-key-material-00003',
  ].map(deriveKey);

  it('decrypts with the first key that fits and says which', () => {
    expect(decryptWithKeys(encryptSecret('s1', current), [current, previous])).toEqual({
      plain: 's1',
      index: 0,
    });
    expect(decryptWithKeys(encryptSecret('s2', previous), [current, previous])).toEqual({
      plain: 's2',
      index: 1,
    });
  });

  it('fails with the generic error when no key fits, or with none', () => {
    const payload = encryptSecret('secret-value', other);
    for (const keys of [[current, previous], []]) {
      let caught: unknown;
      try {
        decryptWithKeys(payload, keys);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SecretDecryptError);
      expect(String((caught as Error).message)).toMatch(/could not decrypt secret/);
      expect(String((caught as Error).message)).not.toContain('secret-value');
    }
  });

  it('a value that is not encrypted fails at once, whatever the keys', () => {
    expect(() => decryptWithKeys('plain text', [current, previous])).toThrow(
      /not an encrypted secret/
    );
  });
});

describe('isEncrypted', () => {
  it('recognises the stored format only', () => {
    expect(isEncrypted(encryptSecret('x', key))).toBe(true);
    expect(isEncrypted(encryptSecret('', key))).toBe(true);
    for (const v of [
      plain,
      '',
      null,
      undefined,
      42,
      {},
      'enc:v1:',
      'enc:v1:a:b',
      'enc:v1:a:b:c:d',
      'enc:v1:a+/:b:c',
    ]) {
      expect(isEncrypted(v)).toBe(false);
    }
  });
});
