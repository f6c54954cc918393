import type { Core } from '@strapi/strapi';
import { decryptWithKeys, deriveKey, encryptSecret } from '../secrets/crypto';
import { getPluginConfig } from '../plugin';

/** Minimum key material length; shorter keys are refused in production. */
export const MIN_KEY_LENGTH = 16;

/**
 * AES-256-GCM for secrets at rest. The key comes from the plugin's `encryptionKey`, or the
 * admin's `secrets.encryptionKey` that every Strapi 5 app already has. Values encrypted with
 * one of `previousEncryptionKeys` still decrypt (key rotation, docs/security.md).
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  let keys: Buffer[] | null = null;
  /** The current key first (most values use it), then the previous ones; derived once. */
  const getKeys = () =>
    (keys ??= [
      currentKey(),
      ...(getPluginConfig(strapi).previousEncryptionKeys ?? []).map(deriveKey),
    ]);
  const getKey = () => getKeys()[0];
  const currentKey = () => {
    const material =
      getPluginConfig(strapi).encryptionKey ??
      (strapi.config.get('admin.secrets.encryptionKey') as string | undefined);
    if (!material || material.length < MIN_KEY_LENGTH) {
      const message =
        "document-webhooks: encryptionKey is missing or shorter than 16 characters; set the plugin's `encryptionKey` or `admin.secrets.encryptionKey` (ENCRYPTION_KEY).";
      if (process.env.NODE_ENV === 'production') throw new Error(message);
      strapi.log.warn(`${message} Using an insecure development key.`);
      return deriveKey(`document-webhooks-insecure-development-key:${material ?? ''}`);
    }
    return deriveKey(material);
  };
  return {
    /** Called at start-up so a bad key stops the boot rather than the first save. */
    init() {
      keys = null;
      getKeys();
    },
    encrypt: (plain: string) => encryptSecret(plain, getKey()),
    decrypt: (payload: string) => decryptWithKeys(payload, getKeys()).plain,
    /** `payload` encrypted with the current key, or null when it already is. Throws when no key decrypts it. */
    reencrypt(payload: string): string | null {
      const { plain, index } = decryptWithKeys(payload, getKeys());
      return index === 0 ? null : encryptSecret(plain, getKey());
    },
  };
};
