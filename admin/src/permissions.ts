import { PLUGIN_ID } from './pluginId';

const action = (name: string) => ({ action: `plugin::${PLUGIN_ID}.${name}`, subject: null });

/**
 * RBAC actions (docs/api.md, docs/admin.md). `useRBAC` names each allowed action after the last dot of its
 * uid, so `logs.read` would collide with `read`: webhook and log permissions are checked in
 * two separate groups.
 */
export const PERMISSIONS = {
  webhooks: [action('read'), action('create'), action('update'), action('delete'), action('test')],
  logs: [action('logs.read'), action('logs.retry')],
  read: [action('read')],
  logsRead: [action('logs.read')],
};
