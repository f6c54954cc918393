/**
 * The admin API's webhook requests and responses (docs/api.md), imported by the server and
 * the admin panel alike so the two cannot drift apart. Types and constant lists only: no
 * Node or browser API, so both builds can bundle it.
 */

/** Strapi's own event names; Frappe doc events map onto them (docs/events.md). */
export const EVENTS = [
  'entry.create',
  'entry.update',
  'entry.delete',
  'entry.publish',
  'entry.unpublish',
  'entry.draft-discard',
] as const;
export type WebhookEvent = (typeof EVENTS)[number];

export const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'] as const;
export const BODY_TYPES = ['default', 'json', 'form'] as const;
export type BodyType = (typeof BODY_TYPES)[number];

/** How a coalescing webhook groups changes (docs/events.md, "Bursts: coalescing windows"). */
export const COALESCE_BY = ['document', 'webhook'] as const;
export type CoalesceBy = (typeof COALESCE_BY)[number];

/** A webhook's `coalesce` as stored and returned; on input `maxWaitSeconds` may be left out. */
export interface CoalesceSettings {
  by: CoalesceBy;
  windowSeconds: number;
  maxWaitSeconds: number;
}
export type CoalesceInput = Omit<CoalesceSettings, 'maxWaitSeconds'> & {
  maxWaitSeconds?: number | null;
};

/** A request header; a secret one's value is null in responses (and in requests: keep it). */
export interface HeaderInput {
  name: string;
  value: string | null;
  secret?: boolean;
}

export interface FormField {
  field: string;
  key: string;
}

/** Body of `POST /webhooks` and `PUT /webhooks/:id`. */
export interface WebhookInput {
  name: string;
  enabled: boolean;
  contentType: string;
  events: WebhookEvent[];
  condition: string | null;
  url: string;
  dynamicUrl: boolean;
  method: string;
  bodyType: BodyType;
  jsonTemplate: string | null;
  formFields: FormField[];
  headers: HeaderInput[];
  /** A `whsec_` secret to set, null to remove it; absent keeps the stored one. */
  secret?: string | null;
  timeoutMs: number;
  maxAttempts: number;
  /** null (or absent): every change is its own delivery; else changes coalesce into windows. */
  coalesce?: CoalesceInput | null;
}

/** A webhook as every route returns it: no secret values, ever. */
export interface Webhook extends Omit<WebhookInput, 'secret' | 'headers' | 'coalesce'> {
  id: number;
  coalesce: CoalesceSettings | null;
  headers: (HeaderInput & { secret: boolean })[];
  hasSecret: boolean;
  secretRotating: boolean;
  disabledReason: string | null;
  /** Declared in the plugin config's `webhooks`: read-only in the admin API. */
  managed: boolean;
  createdAt: string;
  updatedAt: string;
}

/** `GET /content-types`: the types a webhook can watch, for the admin's pickers. */
export interface ContentTypeInfo {
  uid: string;
  displayName: string;
  kind: string;
  draftAndPublish: boolean;
  localized: boolean;
  attributes: { name: string; type: string }[];
}

/** `GET /webhooks/stats`, per webhook id. */
export interface WebhookStats {
  lastStatus: string | null;
  lastAt: string | null;
  total24h: number;
  delivered24h: number;
  /** Delivered / finished (delivered + failed + exhausted) over the last 24 h; null when none. */
  successRate24h: number | null;
  /** Deliveries not done yet, whatever their age: `pending` (due or being sent) + `failed` (awaiting a retry). */
  queued: number;
}

/** `POST /webhooks/:id/preview`: the condition's result and the exact request; nothing is sent. */
export interface PreviewResponse {
  matches: boolean;
  conditionError: string | null;
  request: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string | null;
  } | null;
  error: string | null;
}

/** `POST /webhooks/:id/test`: one attempt, sent now and logged. */
export interface TestResponse {
  status: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  logId?: number;
}

/** One entry of a 400 ValidationError's `details.errors`. */
export interface FieldError {
  path: (string | number)[];
  message: string;
}

/** Body of preview and test: a real document (the draft first), or none for a sample one. */
export interface DocumentRef {
  documentId?: string;
  locale?: string | null;
}

/** What a backfill sends (docs/events.md): not an event a webhook subscribes to. */
export const BACKFILL_EVENT = 'entry.backfill';

/** Body of `POST /webhooks/:id/backfill`. */
export interface BackfillInput {
  locale?: string;
  status?: 'published' | 'draft';
}

/** A backfill's progress (`GET /webhooks/:id/backfill`, docs/api.md). */
export interface BackfillJob {
  id: number;
  webhookId: number;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  locale: string | null;
  status: 'published' | 'draft';
  /** Documents to queue, counted when it started. */
  total: number;
  /** Documents queued so far (the condition is applied as they are fanned out). */
  queued: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** `GET /webhooks/:id/backfill`: how many documents a backfill would send, and the last backfill. */
export interface BackfillInfo {
  documents: number;
  job: BackfillJob | null;
}
