import type { FieldError } from '../../../server/src/contracts';

/** Admin API of the plugin (docs/api.md), as the admin panel uses it. */
export const API = '/document-webhooks';

// Request and response types live in the contracts module the server imports too.
export {
  EVENTS,
  METHODS,
  BODY_TYPES,
  LOG_STATUSES,
  STATS_RANGES,
} from '../../../server/src/contracts';
export type {
  BackfillInfo,
  BackfillJob,
  ContentTypeInfo as ContentType,
  DocumentRef,
  FieldError,
  FormField,
  HeaderInput as Header,
  Log,
  Pagination,
  PreviewResponse,
  StatsBucket,
  StatsRange,
  TestResponse,
  Webhook,
  WebhookInput,
  WebhookSeries,
  WebhookStats,
} from '../../../server/src/contracts';

/** Frappe/Dokos doc event names, shown as hints next to Strapi's. */
export const FRAPPE_EVENTS: Record<string, string | undefined> = {
  'entry.create': 'after_insert',
  'entry.update': 'on_update',
  'entry.delete': 'on_trash',
  'entry.publish': 'on_submit',
  'entry.unpublish': 'on_cancel',
};

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
