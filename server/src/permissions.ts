/** RBAC actions: `plugin::document-webhooks.<uid>` (docs/api.md, docs/admin.md). */
export const ACTIONS = [
  { uid: 'read', displayName: 'Read webhooks', subCategory: 'webhooks' },
  { uid: 'create', displayName: 'Create webhooks', subCategory: 'webhooks' },
  { uid: 'update', displayName: 'Update webhooks', subCategory: 'webhooks' },
  { uid: 'delete', displayName: 'Delete webhooks', subCategory: 'webhooks' },
  { uid: 'test', displayName: 'Send test requests', subCategory: 'webhooks' },
  { uid: 'logs.read', displayName: 'Read the request log', subCategory: 'request log' },
  { uid: 'logs.retry', displayName: 'Retry deliveries', subCategory: 'request log' },
].map((a) => ({ section: 'plugins', pluginName: 'document-webhooks', ...a }));
