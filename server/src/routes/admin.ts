/** Admin API (docs/api.md): every route needs an admin session and the matching RBAC action. */
const guard = (action: string) => ({
  policies: [
    'admin::isAuthenticatedAdmin',
    { name: 'admin::hasPermissions', config: { actions: [`plugin::document-webhooks.${action}`] } },
  ],
});

const route = (method: string, path: string, handler: string, action: string) => ({
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
    route('GET', '/webhooks/:id', 'webhooks.findOne', 'read'),
    route('PUT', '/webhooks/:id', 'webhooks.update', 'update'),
    route('DELETE', '/webhooks/:id', 'webhooks.delete', 'delete'),
    route('POST', '/webhooks/:id/preview', 'webhooks.preview', 'read'),
    route('POST', '/webhooks/:id/test', 'webhooks.test', 'test'),
    route('POST', '/webhooks/:id/rotate-secret', 'webhooks.rotateSecret', 'update'),
    route('GET', '/content-types', 'webhooks.contentTypes', 'read'),
    route('GET', '/stats', 'webhooks.stats', 'read'),
    route('GET', '/logs', 'logs.find', 'logs.read'),
    route('POST', '/logs/retry', 'logs.retryMany', 'logs.retry'),
    route('GET', '/logs/:id', 'logs.findOne', 'logs.read'),
    route('POST', '/logs/:id/retry', 'logs.retry', 'logs.retry'),
  ],
};
