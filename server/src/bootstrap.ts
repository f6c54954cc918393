import type { Core } from '@strapi/strapi';
import { ACTIONS } from './permissions';
import { getPluginConfig, PLUGIN_ID } from './plugin';

const RETENTION_JOB = 'document-webhooks-log-retention';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  await strapi.service('admin::permission').actionProvider.registerMany(ACTIONS);
  // Fails the boot on a missing/short key in production rather than on first use.
  strapi.plugin(PLUGIN_ID).service('secrets').init();
  await strapi.plugin(PLUGIN_ID).service('engine').start();

  const purge = async () => {
    try {
      const { count } = await strapi.plugin(PLUGIN_ID).service('logs').purgeExpired();
      if (count) strapi.log.info(`[document-webhooks] purged ${count} request-log records older than ${getPluginConfig(strapi).logRetentionDays} days`);
    } catch (err) {
      strapi.log.error(`[document-webhooks] retention purge failed: ${(err as Error).message}`);
    }
  };
  strapi.cron.add({ [RETENTION_JOB]: { task: purge, options: { rule: '17 3 * * *' } } });
};
