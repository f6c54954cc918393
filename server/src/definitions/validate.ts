import * as yup from 'yup';
import { BODY_TYPES, EVENTS, METHODS } from './events';
import type { FieldError, WebhookInput } from './types';
import type { Webhook } from '../contracts/webhooks';
import { validateCondition } from '../condition';
import { checkTemplate, MAX_TEMPLATE_LENGTH } from '../render/template-check';
import { reservedHeaderReason } from './headers';
import { coalesceErrors, normalizeCoalesce, type CoalesceSettings } from '../coalesce/window';

/** RFC 7230 `token`: the characters allowed in a header field name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header values: visible ASCII/Latin-1 and tabs/spaces, never CR, LF or NUL (header injection). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Deepest nesting of arrays/objects accepted in a request body: a definition needs 3 (body →
 * headers → header). Deeper input is refused before any recursive code (yup's messages print
 * the value) can overflow the stack on it.
 */
export const MAX_INPUT_DEPTH = 8;

/**
 * The fields of a definition, each once. A record over the contract's `WebhookInput`
 * (`contracts/webhooks.ts`), so the compiler refuses a field of it missing here and a name
 * that is not one; `test/unit/webhook-fields.test.ts` holds it against the table's columns.
 */
const INPUT_FIELDS: Record<keyof WebhookInput, true> = {
  name: true,
  enabled: true,
  contentType: true,
  events: true,
  condition: true,
  url: true,
  dynamicUrl: true,
  method: true,
  bodyType: true,
  jsonTemplate: true,
  formFields: true,
  headers: true,
  secret: true,
  timeoutMs: true,
  maxAttempts: true,
  coalesce: true,
};
export const WEBHOOK_FIELDS = Object.keys(INPUT_FIELDS) as readonly (keyof WebhookInput)[];

/**
 * Fields the API returns but ignores on input, so a client may send back what it read: every
 * field of the response (`Webhook`) that is not an input field, and two older ones.
 */
const READ_ONLY_FIELDS: Record<
  Exclude<keyof Webhook, keyof WebhookInput> | 'documentId' | 'stats',
  true
> = {
  id: true,
  documentId: true,
  hasSecret: true,
  secretRotating: true,
  createdAt: true,
  updatedAt: true,
  disabledReason: true,
  stats: true,
  managed: true,
};

/** Every top-level field a request body may carry; any other is refused by name. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  ...WEBHOOK_FIELDS,
  ...Object.keys(READ_ONLY_FIELDS),
]);

const isHttpUrl = (value: string) => {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

const schema = yup
  .object({
    name: yup
      .string()
      .strict()
      .trim('must not start or end with spaces')
      .min(1)
      .max(255)
      .required(),
    enabled: yup.boolean().strict().required(),
    contentType: yup.string().strict().max(255).required(),
    events: yup
      .array(
        yup
          .string()
          .strict()
          .oneOf([...EVENTS], 'must be one of: ${values}')
          .required()
      )
      .strict()
      .min(1, 'must contain at least one event')
      .required()
      .test('unique', 'must not repeat an event', (v) => !v || new Set(v).size === v.length),
    condition: yup.string().strict().nullable().defined(),
    url: yup.string().strict().max(4096).required(),
    dynamicUrl: yup.boolean().strict().required(),
    method: yup
      .string()
      .strict()
      .oneOf([...METHODS], 'must be one of: ${values}')
      .required(),
    bodyType: yup
      .string()
      .strict()
      .oneOf([...BODY_TYPES], 'must be one of: ${values}')
      .required(),
    jsonTemplate: yup.string().strict().max(MAX_TEMPLATE_LENGTH).nullable().defined(),
    formFields: yup
      .array(
        yup
          .object({
            field: yup.string().strict().max(255).required(),
            key: yup.string().strict().min(1).max(255).required(),
          })
          .noUnknown(true, 'has unknown key "${unknown}"')
          .strict()
          .required()
      )
      .strict()
      .max(200)
      .required()
      .test(
        'unique-keys',
        'must not repeat a key',
        (v) => !v || new Set(v.map((f) => f?.key)).size === v.length
      ),
    headers: yup
      .array(
        yup
          .object({
            name: yup
              .string()
              .strict()
              .max(256)
              .required()
              .matches(HEADER_NAME, 'must be a valid HTTP header name (RFC 7230 token)')
              .test('reserved', (v, ctx) => {
                const reason = v ? reservedHeaderReason(v) : null;
                return reason ? ctx.createError({ message: `header "${v}" ${reason}` }) : true;
              }),
            // null = "keep the stored value" for secret headers on update.
            value: yup.string().strict().max(8192).nullable().defined().matches(HEADER_VALUE, {
              message: 'must not contain control characters such as CR or LF',
              excludeEmptyString: true,
            }),
            secret: yup.boolean().strict().optional(),
          })
          .noUnknown(true, 'has unknown key "${unknown}"')
          .strict()
          .required()
      )
      .strict()
      .max(50)
      .required(),
    secret: yup.string().strict().min(8).max(512).nullable().optional(),
    timeoutMs: yup.number().strict().integer().min(100).max(30000).required(),
    maxAttempts: yup.number().strict().integer().min(1).max(20).required(),
  })
  .strict();

/** yup's "headers[0].name" → ["headers", 0, "name"]. */
const toPath = (path: string | undefined): (string | number)[] =>
  (path ?? '')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));

export interface ValidationContext {
  /** Names of the attributes a snapshot of the content type carries, or null when the uid is not a content type a webhook can watch (docs/events.md). */
  attributesOf(uid: string): string[] | null;
  /**
   * Render a JSON template against a sample document (for a coalescing webhook, a window of
   * one change of it, so `changes` is there); resolve to an error message or null.
   */
  tryJsonTemplate(
    template: string,
    uid: string,
    coalesce: CoalesceSettings | null
  ): Promise<string | null>;
}

/** Containers of a value, counted from the value itself (a string is 0, `[]` is 1), walked without recursion. */
function nestingDepth(value: unknown, limit: number): { depth: number; path: (string | number)[] } {
  const stack: { v: unknown; depth: number; path: (string | number)[] }[] = [
    { v: value, depth: 0, path: [] },
  ];
  let deepest = { depth: 0, path: [] as (string | number)[] };
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth + 1 > deepest.depth) deepest = { depth: depth + 1, path };
    if (depth + 1 > limit) break;
    for (const [k, child] of Object.entries(v))
      stack.push({ v: child, depth: depth + 1, path: [...path, Array.isArray(v) ? Number(k) : k] });
  }
  return deepest;
}

/**
 * Fields of a request body nested deeper than MAX_INPUT_DEPTH (the body itself counts as one),
 * each named by its path down to the item of a list field (`["headers", 0, "name"]`).
 */
export function nestingErrors(
  body: Record<string, unknown>,
  listFields: readonly string[] = ['headers', 'formFields']
): FieldError[] {
  return Object.entries(body).flatMap(([key, value]) => {
    const { depth, path } = nestingDepth(value, MAX_INPUT_DEPTH - 1);
    if (depth <= MAX_INPUT_DEPTH - 1) return [];
    const at: (string | number)[] = [key];
    if (listFields.includes(key) && typeof path[0] === 'number') {
      at.push(path[0]);
      if (typeof path[1] === 'string') at.push(path[1]);
    }
    return [
      {
        path: at,
        message: `${at.join('.')} is nested too deeply (more than ${MAX_INPUT_DEPTH} levels of arrays or objects in the request body)`,
      },
    ];
  });
}

/** Unknown top-level keys are refused by name rather than silently dropped. */
export function unknownFieldErrors(input: Record<string, unknown>): FieldError[] {
  return Object.keys(input)
    .filter((k) => !KNOWN_FIELDS.has(k))
    .map((k) => ({ path: [k], message: `${k} is not a known field` }));
}

/**
 * Validate a complete webhook definition (defaults already applied). Returns every problem,
 * each naming its field, so the UI can show them all at once.
 */
export async function validateWebhook(
  input: WebhookInput,
  ctx: ValidationContext
): Promise<FieldError[]> {
  let errors: FieldError[] = [];
  try {
    schema.validateSync(input, { abortEarly: false });
  } catch (err) {
    if (!(err instanceof yup.ValidationError)) throw err;
    errors = (err.inner.length ? err.inner : [err]).map((e) => ({
      path: toPath(e.path),
      message: e.message,
    }));
  }
  errors.push(...coalesceErrors(input.coalesce));
  const bad = new Set(errors.map((e) => String(e.path[0])));
  const add = (path: (string | number)[], message: string) => errors.push({ path, message });

  // Semantic checks, each only where the shape was already right.
  let attributes: string[] | null = null;
  if (!bad.has('contentType')) {
    attributes = ctx.attributesOf(input.contentType);
    if (!attributes)
      add(
        ['contentType'],
        `contentType "${input.contentType}" is not a content type webhooks can watch (those the Content Manager lists: api::… or plugin::users-permissions.user)`
      );
  }
  if (!bad.has('condition') && input.condition != null && input.condition.trim() !== '') {
    const problem = validateCondition(input.condition);
    if (problem) add(['condition'], `condition is invalid: ${problem}`);
  }
  if (!bad.has('url') && !bad.has('dynamicUrl')) {
    if (input.dynamicUrl) {
      const problem = checkTemplate(input.url);
      if (problem) add(['url'], `url template is invalid: ${problem}`);
    } else if (!isHttpUrl(input.url)) {
      add(['url'], 'url must be an absolute http:// or https:// URL');
    }
  }
  if (!bad.has('bodyType') && input.bodyType === 'json' && !bad.has('jsonTemplate')) {
    if (!input.jsonTemplate || input.jsonTemplate.trim() === '') {
      add(['jsonTemplate'], 'jsonTemplate is required when bodyType is "json"');
    } else {
      const problem = checkTemplate(input.jsonTemplate);
      if (problem) add(['jsonTemplate'], `jsonTemplate is invalid: ${problem}`);
      else if (attributes) {
        const renderProblem = bad.has('coalesce')
          ? null
          : await ctx.tryJsonTemplate(
              input.jsonTemplate,
              input.contentType,
              normalizeCoalesce(input.coalesce)
            );
        if (renderProblem) add(['jsonTemplate'], `jsonTemplate ${renderProblem}`);
      }
    }
  }
  if (!bad.has('bodyType') && input.bodyType === 'form' && !bad.has('formFields')) {
    if (input.formFields.length === 0)
      add(['formFields'], 'formFields must list at least one field when bodyType is "form"');
  }
  if (attributes && !bad.has('formFields')) {
    const known = new Set([...attributes, 'id', 'documentId']);
    input.formFields.forEach((f, i) => {
      if (!known.has(f.field))
        add(
          ['formFields', i, 'field'],
          `field "${f.field}" does not exist on ${input.contentType}`
        );
    });
  }
  if (!bad.has('headers')) {
    const seen = new Map<string, number>();
    input.headers.forEach((h, i) => {
      if (h.value === null && !h.secret)
        add(['headers', i, 'value'], 'value is required for a non-secret header');
      // HTTP names are case-insensitive: two spellings would go out as one merged header.
      const first = seen.get(h.name.toLowerCase());
      if (first !== undefined)
        add(
          ['headers', i, 'name'],
          `header "${h.name}" repeats headers[${first}] ("${input.headers[first].name}"): names are case-insensitive`
        );
      else seen.set(h.name.toLowerCase(), i);
    });
  }
  if (!bad.has('secret') && typeof input.secret === 'string' && input.secret.startsWith('whsec_')) {
    const raw = Buffer.from(input.secret.slice(6), 'base64');
    if (raw.length < 24 || raw.length > 64)
      add(['secret'], 'secret with the whsec_ prefix must carry 24 to 64 base64-encoded bytes');
  }
  return errors;
}
