/**
 * Export and import of webhook definitions between environments (docs/api.md, "Export and
 * import"). Pure: the service reads, validates and writes.
 */
import type { FieldError, HeaderInput } from './types';
import { DEFINITION_FIELDS } from './reconcile';

export const EXPORT_VERSION = 1;
export const ON_CONFLICT = ['skip', 'overwrite'] as const;
export type OnConflict = (typeof ON_CONFLICT)[number];
/** Most definitions one import may carry (each is validated, JSON templates rendered). */
export const MAX_IMPORT = 500;
/** The reason an imported webhook waits disabled for a secret the export could not carry. */
export const SECRET_REQUIRED = 'secret required';

/** A webhook as the admin API returns it (the fields export reads). */
export interface ExportSource {
  hasSecret: boolean;
  headers: HeaderInput[];
  [field: string]: unknown;
}

/**
 * The definition fields of a webhook, without secrets: secret headers keep their name with
 * `value: null`; `needsSecret` says the webhook signs (its secret is set again after import).
 */
export function exportDefinition(w: ExportSource): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(
    DEFINITION_FIELDS.filter((f) => f in w).map((f) => [f, w[f]])
  );
  out.headers = (w.headers ?? []).map((h) =>
    h.secret
      ? { name: h.name, value: null, secret: true }
      : { name: h.name, value: h.value, secret: false }
  );
  if (w.hasSecret) out.needsSecret = true;
  return out;
}

export interface ImportPlan {
  /** Indexes of the entries to create. */
  create: number[];
  /** Entries that overwrite the existing webhook of their name. */
  update: { index: number; id: number }[];
  /** Entries left alone: a managed webhook has the name, or `onConflict` is `skip`. */
  skip: number[];
  /** Names two or more existing webhooks share: which one to overwrite is not guessed. */
  errors: FieldError[];
}

/** Match validated entries (unique names) to the stored webhooks by name. */
export function planImport(
  names: string[],
  stored: { id: number; name: string; managed: boolean }[],
  onConflict: OnConflict
): ImportPlan {
  const plan: ImportPlan = { create: [], update: [], skip: [], errors: [] };
  names.forEach((name, index) => {
    const same = stored.filter((s) => s.name === name);
    if (same.some((s) => s.managed)) plan.skip.push(index);
    else if (same.length > 1) {
      const ids = same.map((s) => s.id).sort((a, b) => a - b);
      plan.errors.push({
        path: ['webhooks', index, 'name'],
        message: `name "${name}" is shared by ${same.length} existing webhooks (ids ${ids.join(', ')}): rename them so that the import can match by name`,
      });
    } else if (same.length === 1) {
      if (onConflict === 'overwrite') plan.update.push({ index, id: same[0].id });
      else plan.skip.push(index);
    } else plan.create.push(index);
  });
  return plan;
}
