/**
 * Encryption at rest for webhook secrets and secret header values (AES-256-GCM).
 *
 * Stored format: `enc:v1:<iv>:<tag>:<ciphertext>`, each part base64url. GCM authenticates
 * the ciphertext (and the `enc:v1` label as additional data), so tampering or a wrong key
 * is detected instead of yielding garbage.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export const ENCRYPTED_PREFIX = 'enc:v1:';
const HKDF_INFO = 'document-webhooks:secrets:v1';
// A fixed, public salt is fine for HKDF when the input is already a high-entropy secret
// (Strapi's admin `secrets.encryptionKey`); the info label separates this key from any
// other use of the same material.
const HKDF_SALT = 'strapi-plugin-document-webhooks';
const AAD = Buffer.from('enc:v1', 'utf8');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** Thrown on any decryption failure. Its message never contains the payload, plaintext or key. */
export class SecretDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptError';
  }
}

/** 32-byte AES key from arbitrary key material via HKDF-SHA256. */
export function deriveKey(material: string): Buffer {
  if (typeof material !== 'string' || material.length === 0) {
    throw new TypeError('encryption key material must be a non-empty string');
  }
  return Buffer.from(hkdfSync('sha256', Buffer.from(material, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
}

export function encryptSecret(plain: string, key: Buffer): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES); // fresh per encryption: GCM must never reuse (key, iv)
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(AAD);
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${ENCRYPTED_PREFIX}${iv.toString('base64url')}:${tag.toString('base64url')}:${ciphertext.toString('base64url')}`;
}

export function decryptSecret(payload: string, key: Buffer): string {
  assertKey(key);
  if (!isEncrypted(payload))
    throw new SecretDecryptError('value is not an encrypted secret (expected enc:v1 format)');
  const [ivPart, tagPart, dataPart] = (payload as string)
    .slice(ENCRYPTED_PREFIX.length)
    .split(':') as [string, string, string];
  const iv = Buffer.from(ivPart, 'base64url');
  const tag = Buffer.from(tagPart, 'base64url');
  const data = Buffer.from(dataPart, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new SecretDecryptError('encrypted secret is malformed');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(AAD);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    // Deliberately drop the OpenSSL error: the message stays generic and secret-free.
    throw new SecretDecryptError(
      'could not decrypt secret: wrong encryption key or corrupted value'
    );
  }
}

/**
 * Decrypt with the first of `keys` that fits (key rotation: the current key first, then the
 * previous ones); `index` tells which. Throws the generic SecretDecryptError when none fits.
 */
export function decryptWithKeys(payload: string, keys: Buffer[]): { plain: string; index: number } {
  let last: unknown = new SecretDecryptError('could not decrypt secret: no encryption key');
  for (let index = 0; index < keys.length; index += 1) {
    try {
      return { plain: decryptSecret(payload, keys[index]), index };
    } catch (err) {
      // A malformed value fails the same way with every key.
      if (!(err instanceof SecretDecryptError) || !isEncrypted(payload)) throw err;
      last = err;
    }
  }
  throw last;
}

/** True for strings in the `enc:v1:iv:tag:ciphertext` shape (does not prove the key fits). */
export function isEncrypted(value: unknown): boolean {
  if (typeof value !== 'string' || !value.startsWith(ENCRYPTED_PREFIX)) return false;
  const parts = value.slice(ENCRYPTED_PREFIX.length).split(':');
  return (
    parts.length === 3 && parts[0] !== '' && parts[1] !== '' && parts.every((p) => B64URL.test(p))
  );
}

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) {
    throw new TypeError('encryption key must be a 32-byte Buffer (use deriveKey)');
  }
}
