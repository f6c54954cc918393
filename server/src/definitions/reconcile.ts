/**
 * Webhooks as code (docs/api.md, "Webhooks as code"): the plugin config's `webhooks` are
 * reconciled with the stored webhooks by name at every start. Pure planning; the glue that
 * reads, decrypts and writes is in services/webhooks.ts.
 */
import type { FieldError, WebhookInput } from './types';
import { WEBHOOK_FIELDS } from './validate';
import { normalizeCoalesce } from '../coalesce/window';

/** The fields of a definition without its signing secret: what export writes and reconciliation compares. */
export const DEFINITION_FIELDS = WEBHOOK_FIELDS.filter((f) => f !== 'secret');

/** A complete definition with its secrets in plain text (from the config, or a stored row decrypted). */
export interface Definition extends Omit<WebhookInput, 'secret' | 'headers'> {
  secret: string | null;
  headers: { name: string; value: string; secret: boolean }[];
}

export interface StoredWebhook {
  id: number;
  name: string;
  managed: boolean;
  /** null when a secret of the row no configured key decrypts: it is then rewritten. */
  definition: Definition | null;
}

export interface ReconcilePlan {
  create: Definition[];
  /** `adopt`: an existing webhook of that name, created in the admin, becomes managed. */
  update: { id: number; definition: Definition; adopt: boolean }[];
  remove: { id: number; name: string }[];
  unchanged: string[];
  /** Config entries whose name several unmanaged webhooks share: which one to manage is not guessed. */
  ambiguous: { index: number; name: string; ids: number[] }[];
}

/** JSON with object keys sorted at every level (PostgreSQL's jsonb does not keep key order). */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]])
        )
      : v
  );

/** The comparable form: what the webhook sends and to whom, as stored (an empty condition is none). */
const comparable = (d: Definition) => ({
  ...Object.fromEntries(DEFINITION_FIELDS.map((f) => [f, (d as any)[f] ?? null])),
  condition: d.condition && d.condition.trim() !== '' ? d.condition : null,
  headers: (d.headers ?? []).map((h) => ({
    name: h.name,
    value: h.value,
    secret: Boolean(h.secret),
  })),
  secret: d.secret ?? null,
  coalesce: normalizeCoalesce(d.coalesce),
});

export const sameDefinition = (a: Definition, b: Definition): boolean =>
  canonical(comparable(a)) === canonical(comparable(b));

/** The unique index allows one managed webhook per name; the lowest id, should older data hold more. */
const firstManaged = (stored: StoredWebhook[], name: string) =>
  stored.filter((s) => s.managed && s.name === name).sort((a, b) => a.id - b.id)[0];

/**
 * What to do so that the managed webhooks are exactly `desired` (names unique, validated):
 * a managed webhook of the name is updated when it differs; else a single unmanaged one of
 * the name is adopted; else one is created. Managed webhooks not desired are removed.
 */
export function planReconcile(desired: Definition[], stored: StoredWebhook[]): ReconcilePlan {
  const plan: ReconcilePlan = { create: [], update: [], remove: [], unchanged: [], ambiguous: [] };
  const wanted = new Set(desired.map((d) => d.name));
  desired.forEach((definition, index) => {
    const named = stored.filter((s) => s.name === definition.name);
    const managed = firstManaged(stored, definition.name);
    if (managed) {
      if (managed.definition && sameDefinition(managed.definition, definition))
        plan.unchanged.push(definition.name);
      else plan.update.push({ id: managed.id, definition, adopt: false });
      return;
    }
    if (named.length === 1) plan.update.push({ id: named[0].id, definition, adopt: true });
    else if (named.length > 1)
      plan.ambiguous.push({
        index,
        name: definition.name,
        ids: named.map((s) => s.id).sort((a, b) => a - b),
      });
    else plan.create.push(definition);
  });
  // A managed webhook stays only while the config names it (and is the one matched above).
  const matched = (s: StoredWebhook) =>
    wanted.has(s.name) && firstManaged(stored, s.name)?.id === s.id;
  for (const s of stored)
    if (s.managed && !matched(s)) plan.remove.push({ id: s.id, name: s.name });
  return plan;
}

/** `["headers", 0, "value"]` → `headers[0].value`. */
export const dottedPath = (path: (string | number)[]): string =>
  path.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p),
    ''
  );

/** One start-up message naming every problem as `webhooks[i].<field>: <rule>`. */
export function configErrorMessage(problems: { index: number; errors: FieldError[] }[]): string {
  const lines = problems.flatMap(({ index, errors }) =>
    errors.map((e) => {
      const field = dottedPath(e.path);
      return `webhooks[${index}]${field ? (field.startsWith('[') ? field : `.${field}`) : ''}: ${e.message}`;
    })
  );
  return `Invalid config for plugin "document-webhooks": ${lines.join('; ')}`;
}

/** Errors for entries whose name repeats an earlier entry's (names identify webhooks here). */
export function repeatedNameErrors(
  entries: { name?: unknown }[]
): { index: number; errors: FieldError[] }[] {
  const first = new Map<string, number>();
  const out: { index: number; errors: FieldError[] }[] = [];
  entries.forEach((e, index) => {
    if (typeof e?.name !== 'string') return;
    const seen = first.get(e.name);
    if (seen === undefined) first.set(e.name, index);
    else
      out.push({
        index,
        errors: [
          {
            path: ['name'],
            message: `name "${e.name}" repeats webhooks[${seen}]: names identify webhooks and must be unique`,
          },
        ],
      });
  });
  return out;
}
