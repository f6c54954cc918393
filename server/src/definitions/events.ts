/** Strapi's own event names; Frappe doc events map onto them (see README). */
export const EVENTS = [
  'entry.create',
  'entry.update',
  'entry.delete',
  'entry.publish',
  'entry.unpublish',
  'entry.draft-discard',
] as const;
export type WebhookEvent = (typeof EVENTS)[number];

/** Document Service action → event. */
export const ACTION_EVENTS: Record<string, WebhookEvent> = {
  create: 'entry.create',
  update: 'entry.update',
  delete: 'entry.delete',
  publish: 'entry.publish',
  unpublish: 'entry.unpublish',
  discardDraft: 'entry.draft-discard',
};

export const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'] as const;
export const BODY_TYPES = ['default', 'json', 'form'] as const;
