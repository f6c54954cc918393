export const PLUGIN_ID = 'document-webhooks';
