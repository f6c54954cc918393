import type { WebhookEvent } from '../contracts/webhooks';

// The lists are part of the admin API contract, shared with the admin panel (docs/architecture.md).
export { EVENTS, METHODS, BODY_TYPES, type WebhookEvent } from '../contracts/webhooks';

/** Document Service action → event. */
export const ACTION_EVENTS: Record<string, WebhookEvent> = {
  create: 'entry.create',
  update: 'entry.update',
  delete: 'entry.delete',
  publish: 'entry.publish',
  unpublish: 'entry.unpublish',
  discardDraft: 'entry.draft-discard',
};
