/** Admin API (docs/api.md): every route needs an admin session and the matching RBAC action. */
/** Every listed action is required (Strapi's `admin::hasPermissions` checks them all). */
const guard = (actions: string | string[]) => ({
  policies: [
    'admin::isAuthenticatedAdmin',
    {
      name: 'admin::hasPermissions',
      config: { actions: [actions].flat().map((a) => `plugin::document-webhooks.${a}`) },
    },
  ],
});

const route = (method: string, path: string, handler: string, action: string | string[]) => ({
  method,
  path,
  handler,
  config: guard(action),
});

export default {
  type: 'admin',
  routes: [
    route('GET', '/webhooks', 'webhooks.find', 'read'),
    route('POST', '/webhooks', 'webhooks.create', 'create'),
    // Before /webhooks/:id, which would take "export" for an id.
    route('GET', '/webhooks/export', 'webhooks.export', 'read'),
    route('POST', '/webhooks/import', 'webhooks.import', ['create', 'update']),
    route('GET', '/webhooks/:id', 'webhooks.findOne', 'read'),
    route('PUT', '/webhooks/:id', 'webhooks.update', 'update'),
    route('DELETE', '/webhooks/:id', 'webhooks.delete', 'delete'),
    route('POST', '/webhooks/:id/preview', 'webhooks.preview', 'read'),
    route('POST', '/webhooks/:id/test', 'webhooks.test', 'test'),
    route('POST', '/webhooks/:id/rotate-secret', 'webhooks.rotateSecret', 'update'),
    route('GET', '/webhooks/:id/stats', 'webhooks.series', 'read'),
    // Sends requests to the receiver, like a test: both permissions (docs/api.md).
    route('GET', '/webhooks/:id/backfill', 'webhooks.backfillInfo', 'read'),
    route('POST', '/webhooks/:id/backfill', 'webhooks.backfill', ['update', 'test']),
    route('DELETE', '/webhooks/:id/backfill', 'webhooks.cancelBackfill', ['update', 'test']),
    route('GET', '/content-types', 'webhooks.contentTypes', 'read'),
    route('GET', '/stats', 'webhooks.stats', 'read'),
    route('GET', '/logs', 'logs.find', 'logs.read'),
    route('POST', '/logs/retry', 'logs.retryMany', 'logs.retry'),
    route('GET', '/logs/:id', 'logs.findOne', 'logs.read'),
    route('POST', '/logs/:id/retry', 'logs.retry', 'logs.retry'),
  ],
};
