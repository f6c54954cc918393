import type { Core } from '@strapi/strapi';
import type { PluginConfig } from './config';

export const PLUGIN_ID = 'document-webhooks';
export const WEBHOOK_UID = 'plugin::document-webhooks.webhook';
export const LOG_UID = 'plugin::document-webhooks.log';
export const OUTBOX_UID = 'plugin::document-webhooks.outbox-event';
export const LEASE_UID = 'plugin::document-webhooks.lease';
export const CONTEXT_UID = 'plugin::document-webhooks.context';
export const BACKFILL_UID = 'plugin::document-webhooks.backfill';

export const getPluginConfig = (strapi: Core.Strapi): PluginConfig =>
  strapi.config.get(`plugin::${PLUGIN_ID}`) as PluginConfig;
