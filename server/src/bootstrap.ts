import type { Core } from '@strapi/strapi';
import { ACTIONS } from './permissions';
import { getPluginConfig, PLUGIN_ID } from './plugin';

const RETENTION_JOB = 'document-webhooks-log-retention';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  await strapi.service('admin::permission').actionProvider.registerMany(ACTIONS);
  // Fails the boot on a missing/short key in production rather than on first use.
  strapi.plugin(PLUGIN_ID).service('secrets').init();
  if (getPluginConfig(strapi).previousEncryptionKeys?.length) await reencryptSecrets(strapi);
  await strapi.plugin(PLUGIN_ID).service('engine').start();

  const purge = async () => {
    try {
      // Every instance runs the job; the one holding its lease purges (docs/scaling.md).
      const { count } = await strapi.plugin(PLUGIN_ID).service('logs').purgeExpired();
      if (count) strapi.log.info(`[document-webhooks] purged ${count} request-log records older than ${getPluginConfig(strapi).logRetentionDays} days`);
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
    const { updated, unreadable } = await strapi.plugin(PLUGIN_ID).service('webhooks').reencryptSecrets();
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
    strapi.log.error(`[document-webhooks] re-encrypting secrets with the current encryptionKey failed: ${(err as Error).message}`);
  }
}
