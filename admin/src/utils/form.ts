/**
 * The webhook form's state and its mapping to and from the admin API (docs/api.md): pure
 * functions, unit-tested in test/unit/form.test.ts; the page and its sections only render them.
 */
import {
  EVENTS,
  type BodyType,
  type CoalesceBy,
  type ContentTypeInfo,
  type FieldError,
  type Webhook,
  type WebhookEvent,
  type WebhookInput,
} from '../../../server/src/contracts';

/** What the form will do to the signing secret on save. */
export type SecretChange =
  { kind: 'set'; value: string } | { kind: 'generated'; value: string } | { kind: 'remove' } | null;

/**
 * A header row; `stored` secret rows keep their server-side value while `value` is null.
 * `id` is the row's React key, made when the row is made, so removing a row does not hand
 * its neighbour's input state (focus, a typed value) to another row.
 */
export interface HeaderRow {
  id: string;
  name: string;
  value: string | null;
  secret: boolean;
  stored: boolean;
}

/** A form-body row: a document field sent under `key`; `id` as for headers. */
export interface FormFieldRow {
  id: string;
  field: string;
  key: string;
}

export interface Values {
  name: string;
  enabled: boolean;
  contentType: string;
  events: WebhookEvent[];
  condition: string;
  url: string;
  dynamicUrl: boolean;
  method: string;
  timeoutMs: number;
  maxAttempts: number;
  bodyType: BodyType;
  jsonTemplate: string;
  formFields: FormFieldRow[];
  headers: HeaderRow[];
  /** Bursts (docs/events.md, "Bursts: coalescing windows"): off, or a window per document or per webhook. */
  coalesceBy: 'off' | CoalesceBy;
  windowSeconds: number;
  /** null: the default, min(10 × window, 86400). */
  maxWaitSeconds: number | null;
}

let lastRowId = 0;
/** A key for a new editable row, unique in this page load. */
export const newRowId = () => `row-${++lastRowId}`;

export const emptyValues = (): Values => ({
  name: '',
  enabled: true,
  contentType: '',
  events: [],
  condition: '',
  url: '',
  dynamicUrl: false,
  method: 'POST',
  timeoutMs: 5000,
  maxAttempts: 8,
  bodyType: 'default',
  jsonTemplate: '',
  formFields: [],
  headers: [],
  coalesceBy: 'off',
  windowSeconds: 10,
  maxWaitSeconds: null,
});

export const emptyHeader = (): HeaderRow => ({
  id: newRowId(),
  name: '',
  value: '',
  secret: false,
  stored: false,
});
export const emptyFormField = (): FormFieldRow => ({ id: newRowId(), field: '', key: '' });

export const fromWebhook = (w: Webhook): Values => ({
  name: w.name,
  enabled: w.enabled,
  contentType: w.contentType,
  events: [...w.events],
  condition: w.condition ?? '',
  url: w.url,
  dynamicUrl: w.dynamicUrl,
  method: w.method,
  timeoutMs: w.timeoutMs,
  maxAttempts: w.maxAttempts,
  bodyType: w.bodyType,
  jsonTemplate: w.jsonTemplate ?? '',
  formFields: w.formFields.map((f) => ({ id: newRowId(), field: f.field, key: f.key })),
  // The API never returns a secret header's value: the row keeps the stored one until replaced.
  headers: w.headers.map((h) => ({
    id: newRowId(),
    name: h.name,
    value: h.value,
    secret: h.secret,
    stored: h.secret,
  })),
  coalesceBy: w.coalesce?.by ?? 'off',
  windowSeconds: w.coalesce?.windowSeconds ?? 10,
  // The default stays the default (it follows the window) unless another value was set.
  maxWaitSeconds:
    w.coalesce && w.coalesce.maxWaitSeconds !== defaultMaxWait(w.coalesce.windowSeconds)
      ? w.coalesce.maxWaitSeconds
      : null,
});

/** `maxWaitSeconds` when left empty (docs/api.md). */
export const defaultMaxWait = (windowSeconds: number) => Math.min(10 * windowSeconds, 86400);

/** The body of create/update. Blank condition/template are null; a stored secret header left empty is kept (null). */
export const toPayload = (v: Values, secret: SecretChange): WebhookInput => ({
  name: v.name,
  enabled: v.enabled,
  contentType: v.contentType,
  events: v.events,
  condition: v.condition.trim() === '' ? null : v.condition,
  url: v.url,
  dynamicUrl: v.dynamicUrl,
  method: v.method,
  timeoutMs: v.timeoutMs,
  maxAttempts: v.maxAttempts,
  bodyType: v.bodyType,
  jsonTemplate: v.jsonTemplate.trim() === '' ? null : v.jsonTemplate,
  formFields: v.formFields.map(({ field, key }) => ({ field, key })),
  headers: v.headers.map((h) => ({
    name: h.name,
    value: h.secret && h.stored && (h.value === null || h.value === '') ? null : (h.value ?? ''),
    secret: h.secret,
  })),
  coalesce:
    v.coalesceBy === 'off'
      ? null
      : {
          by: v.coalesceBy,
          windowSeconds: v.windowSeconds,
          ...(v.maxWaitSeconds === null ? {} : { maxWaitSeconds: v.maxWaitSeconds }),
        },
  ...(secret?.kind === 'set' || secret?.kind === 'generated' ? { secret: secret.value } : {}),
  ...(secret?.kind === 'remove' ? { secret: null } : {}),
});

/** Unsaved changes: anything that would change what is sent on save (row keys are not). */
export const isDirty = (values: Values, initial: Values, secret: SecretChange): boolean =>
  secret !== null ||
  JSON.stringify(withoutRowIds(values)) !== JSON.stringify(withoutRowIds(initial));

const withoutRowIds = (v: Values) => ({
  ...v,
  formFields: v.formFields.map(({ id: _id, ...f }) => f),
  headers: v.headers.map(({ id: _id, ...h }) => h),
});

/** An event checked or unchecked; the list stays in the order of EVENTS. */
export const toggleEvent = (
  events: readonly WebhookEvent[],
  event: WebhookEvent,
  checked: boolean
): WebhookEvent[] =>
  checked
    ? EVENTS.filter((e) => e === event || events.includes(e))
    : events.filter((e) => e !== event);

/** The "Secret" box of a header row: unticking a kept secret asks for a plain value. */
export const setHeaderSecret = (row: HeaderRow, secret: boolean): HeaderRow => ({
  ...row,
  secret,
  stored: secret && row.stored,
  value: !secret && row.value === null ? '' : row.value,
});

/** A form field picked: its key defaults to the field's name. */
export const pickFormField = (row: FormFieldRow, field: string): FormFieldRow => ({
  ...row,
  field,
  key: row.key || field,
});

/** The fields a form body can send: documentId, id and the content type's attributes. */
export const fieldChoices = (contentType: ContentTypeInfo | undefined): string[] => [
  ...new Set(['documentId', 'id', ...(contentType?.attributes.map((a) => a.name) ?? [])]),
];

export type FieldErrors = Record<string, string>;

/** A 400's `details.errors` by field path (`headers.0.value`; the first message per path), and those without a path. */
export const mapServerErrors = (list: FieldError[]): { fields: FieldErrors; other: string[] } => {
  const fields: FieldErrors = {};
  const other: string[] = [];
  for (const e of list) {
    const key = e.path.join('.');
    if (!key) other.push(e.message);
    else if (!fields[key]) fields[key] = e.message;
  }
  return { fields, other };
};

/** Form fields whose server errors come under another path: the bursts fields are `coalesce`'s keys. */
const ERROR_PATHS: Record<string, string> = {
  coalesceBy: 'coalesce',
  windowSeconds: 'coalesce.windowSeconds',
  maxWaitSeconds: 'coalesce.maxWaitSeconds',
};

/** The errors left once a field (and its rows, `headers.1.name` for `headers`) is edited. */
export const clearFieldErrors = (errors: FieldErrors, field: string): FieldErrors => {
  const path = ERROR_PATHS[field] ?? field;
  return Object.fromEntries(
    Object.entries(errors).filter(([k]) => k !== path && !k.startsWith(`${path}.`))
  );
};

/** Fields the form shows an error next to; the body's fields only while their body type is chosen. */
const SHOWN = new Set([
  'name',
  'enabled',
  'contentType',
  'events',
  'condition',
  'url',
  'dynamicUrl',
  'method',
  'timeoutMs',
  'maxAttempts',
  'secret',
  'bodyType',
  'jsonTemplate',
  'formFields',
  'coalesce',
]);

/** Errors no field shows right now (`path: message`), for the alert at the top of the form. */
export const strayErrors = (errors: FieldErrors, bodyType: BodyType): string[] =>
  Object.entries(errors)
    .filter(([k]) => {
      const top = k.split('.')[0];
      return (
        !SHOWN.has(top) ||
        (top === 'jsonTemplate' && bodyType !== 'json') ||
        (top === 'formFields' && bodyType !== 'form')
      );
    })
    .map(([k, m]) => `${k}: ${m}`);
