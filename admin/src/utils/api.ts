/** Admin API of the plugin (docs/api.md), as the admin panel uses it. */
export const API = '/document-webhooks';

export const EVENTS = [
  'entry.create',
  'entry.update',
  'entry.delete',
  'entry.publish',
  'entry.unpublish',
  'entry.draft-discard',
] as const;

/** Frappe/Dokos doc event names, shown as hints next to Strapi's. */
export const FRAPPE_EVENTS: Record<string, string | undefined> = {
  'entry.create': 'after_insert',
  'entry.update': 'on_update',
  'entry.delete': 'on_trash',
  'entry.publish': 'on_submit',
  'entry.unpublish': 'on_cancel',
};

export const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'] as const;
export const BODY_TYPES = ['default', 'json', 'form'] as const;
export const LOG_STATUSES = ['pending', 'delivered', 'failed', 'exhausted'] as const;

export interface Header {
  name: string;
  value: string | null;
  secret: boolean;
}

export interface FormField {
  field: string;
  key: string;
}

export interface Webhook {
  id: number;
  name: string;
  enabled: boolean;
  contentType: string;
  events: string[];
  condition: string | null;
  url: string;
  dynamicUrl: boolean;
  method: string;
  bodyType: 'default' | 'json' | 'form';
  jsonTemplate: string | null;
  formFields: FormField[];
  headers: Header[];
  hasSecret: boolean;
  secretRotating?: boolean;
  timeoutMs: number;
  maxAttempts: number;
  disabledReason?: string | null;
  /** Declared in the plugin config: read-only in the admin. */
  managed?: boolean;
  createdAt?: string;
  updatedAt?: string;
}

export interface ContentType {
  uid: string;
  displayName: string;
  kind: string;
  draftAndPublish: boolean;
  localized: boolean;
  attributes: { name: string; type: string }[];
}

export interface WebhookStats {
  lastStatus: string | null;
  lastAt: string | null;
  total24h: number;
  delivered24h: number;
  successRate24h: number | null;
  /** Pending + failed awaiting a retry. */
  queued: number;
}

export interface Log {
  id: number;
  webhook: { id: number; name: string };
  event: string;
  uid: string;
  documentId: string | null;
  locale: string | null;
  status: 'pending' | 'delivered' | 'failed' | 'exhausted';
  attempts: number;
  attemptLog: { at: string; status: number | null; durationMs: number | null; error: string | null }[];
  nextAttemptAt: string | null;
  requestUrl: string | null;
  requestMethod: string | null;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  responseStatus: number | null;
  responseHeaders: Record<string, string>;
  responseBody: string | null;
  error: string | null;
  durationMs: number | null;
  user: { id: number; email: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface Pagination {
  page: number;
  pageSize: number;
  pageCount: number;
  total: number;
}

export interface FieldError {
  path: (string | number)[];
  message: string;
}

/** The `details.errors` of a 400 ValidationError, or null for any other failure. */
export function fieldErrors(err: unknown): FieldError[] | null {
  const errors = (err as any)?.response?.data?.error?.details?.errors;
  return Array.isArray(errors) ? errors : null;
}

/** A readable message for any failed request. */
export function errorMessage(err: unknown): string {
  const e = err as any;
  return e?.response?.data?.error?.message ?? e?.message ?? String(err);
}

/** Pretty-print a JSON body; anything else is shown as it is. */
export function pretty(body: string | null | undefined): string {
  if (body === null || body === undefined) return '';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** A new `whsec_` secret made in the browser (32 random bytes), for a webhook not yet saved. */
export function generateSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  let bin = '';
  bytes.forEach((b) => (bin += String.fromCharCode(b)));
  return `whsec_${btoa(bin)}`;
}
