import type { Core } from '@strapi/strapi';
import { ACTIONS } from './permissions';
import { verifyProbes } from './capture/snapshot';
import { isWatchable } from './definitions/content-types';
import { getPluginConfig } from './plugin';
import { getService } from './utils/get-service';

const RETENTION_JOB = 'document-webhooks-log-retention';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  await strapi.service('admin::permission').actionProvider.registerMany(ACTIONS);
  // Fails the boot on a missing/short key in production rather than on first use.
  getService(strapi, 'secrets').init();
  if (getPluginConfig(strapi).previousEncryptionKeys?.length) await reencryptSecrets(strapi);
  await reconcileConfigWebhooks(strapi);
  await verifyProbes(
    strapi,
    Object.keys(strapi.contentTypes).filter((uid) =>
      isWatchable(strapi.getModel(uid as any) as any)
    )
  );
  await getService(strapi, 'engine').start();
  getService(strapi, 'backfill').startRunner();

  const purge = async () => {
    try {
      // Every instance runs the job; the one holding its lease purges (docs/scaling.md).
      const { count } = await getService(strapi, 'logs').purgeExpired();
      if (count)
        strapi.log.info(
          `[document-webhooks] purged ${count} request-log records older than ${getPluginConfig(strapi).logRetentionDays} days`
        );
    } catch (err) {
      strapi.log.error(`[document-webhooks] retention purge failed: ${(err as Error).message}`);
    }
  };
  strapi.cron.add({ [RETENTION_JOB]: { task: purge, options: { rule: '17 3 * * *' } } });
};

/**
 * Key rotation (docs/security.md): values a previous key encrypted are rewritten with the
 * current one. They decrypt either way, so a failure here is logged and the boot goes on.
 */
async function reencryptSecrets(strapi: Core.Strapi) {
  try {
    const { updated, unreadable } = await getService(strapi, 'webhooks').reencryptSecrets();
    if (updated) {
      strapi.log.info(
        `[document-webhooks] re-encrypted the secrets of ${updated} webhook(s) with the current encryptionKey; previousEncryptionKeys can be removed once every instance runs with this key`
      );
    }
    if (unreadable.length) {
      strapi.log.warn(
        `[document-webhooks] webhook(s) ${unreadable.join(', ')}: a secret or secret header value that no configured key decrypts; their deliveries fail until it is entered again`
      );
    }
  } catch (err) {
    strapi.log.error(
      `[document-webhooks] re-encrypting secrets with the current encryptionKey failed: ${(err as Error).message}`
    );
  }
}

/**
 * Webhooks as code (docs/api.md): the config's `webhooks` become the managed webhooks. An
 * invalid entry throws, which stops the boot with a message naming `webhooks[i].<field>`.
 */
async function reconcileConfigWebhooks(strapi: Core.Strapi) {
  const { created, updated, removed } = await getService(strapi, 'webhooks').reconcileConfig();
  const parts = [
    ['created', created],
    ['updated', updated],
    ['deleted', removed],
  ].filter(([, names]) => names.length);
  if (parts.length) {
    strapi.log.info(
      `[document-webhooks] webhooks from the plugin config: ${parts.map(([verb, names]) => `${verb} ${(names as string[]).map((n) => JSON.stringify(n)).join(', ')}`).join('; ')}`
    );
  }
}
