import type { Core } from '@strapi/strapi';
import { randomBytes } from 'node:crypto';
import type { FieldError, WebhookInput, WebhookRow } from '../definitions/types';
import { nestingErrors, unknownFieldErrors, validateWebhook } from '../definitions/validate';
import { SecretDecryptError } from '../secrets/crypto';
import { getPluginConfig, WEBHOOK_UID } from '../plugin';
import { WebhookValidationError } from '../errors';
import {
  configErrorMessage,
  planReconcile,
  repeatedNameErrors,
  type Definition,
  type StoredWebhook,
} from '../definitions/reconcile';
import {
  EXPORT_VERSION,
  exportDefinition,
  MAX_IMPORT,
  ON_CONFLICT,
  planImport,
  SECRET_REQUIRED,
  type OnConflict,
} from '../definitions/transfer';
import { toPublic, toRow, type WebhookFields } from './webhook-fields';

export interface ImportResult {
  created: string[];
  updated: string[];
  skipped: string[];
}

/**
 * Webhooks as code and export/import (docs/api.md): the Strapi side of
 * `definitions/reconcile.ts` and `definitions/transfer.ts`, part of the `webhooks` service.
 * `changed` tells the engine that definitions changed.
 */
export const webhooksAsCode = (
  strapi: Core.Strapi,
  shared: WebhookFields,
  changed: () => Promise<void>
) => {
  const query = () => strapi.db.query(WEBHOOK_UID);
  const { secrets, validationContext, mergeHeaders, withDefaults } = shared;

  /**
   * One definition of the config or of an import, checked as a POST body is: the complete
   * definition (defaults applied) and its problems, with paths relative to the entry.
   */
  const checkEntry = async (
    raw: unknown,
    mode: 'config' | 'import'
  ): Promise<{ input: WebhookInput; needsSecret: boolean; errors: FieldError[] }> => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      return {
        input: null as unknown as WebhookInput,
        needsSecret: false,
        errors: [{ path: [], message: 'must be an object with the webhook fields' }],
      };
    }
    const entry = raw as Record<string, unknown>;
    const deep = nestingErrors(entry);
    if (deep.length)
      return { input: null as unknown as WebhookInput, needsSecret: false, errors: deep };
    // `needsSecret` is what an export says about a webhook that signs; only imports carry it.
    const { needsSecret, ...fields } = entry;
    const errors = unknownFieldErrors(mode === 'import' ? fields : entry);
    if (mode === 'import' && needsSecret !== undefined && typeof needsSecret !== 'boolean') {
      errors.push({ path: ['needsSecret'], message: 'needsSecret must be a boolean' });
    }
    const input = withDefaults(fields);
    if (mode === 'config') {
      // An env() variable that is not set reads as undefined: refused rather than taken as "does not sign".
      if ('secret' in entry && entry.secret === undefined) {
        errors.push({
          path: ['secret'],
          message:
            'secret is undefined (an env() variable that is not set?): use null for a webhook that does not sign',
        });
      }
      if (Array.isArray(input.headers)) {
        input.headers.forEach((h, i) => {
          if (
            h &&
            typeof h === 'object' &&
            h.secret &&
            (h.value === null || h.value === undefined)
          ) {
            errors.push({
              path: ['headers', i, 'value'],
              message:
                'value is required for a secret header in the config (an env() variable that is not set?)',
            });
          }
        });
      }
    }
    errors.push(...(await validateWebhook(input, validationContext)));
    // One message per field: the config's own check above says more than the generic one.
    const seen = new Set<string>();
    const unique = errors.filter((e) => {
      const key = JSON.stringify(e.path);
      return seen.has(key) ? false : (seen.add(key), true);
    });
    return { input, needsSecret: needsSecret === true, errors: unique };
  };

  const decryptedHeaders = (row: WebhookRow) =>
    (row.headers ?? []).map((h) => (h.secret ? { ...h, value: secrets().decrypt(h.value) } : h));

  /** A stored row as a definition with its secrets decrypted, or null when one does not decrypt. */
  const storedDefinition = (row: WebhookRow): Definition | null => {
    try {
      const { headers: _masked, ...pub } = toPublic(row);
      return {
        ...pub,
        secret: row.secret ? secrets().decrypt(row.secret) : null,
        headers: decryptedHeaders(row),
      };
    } catch (err) {
      if (err instanceof SecretDecryptError) return null;
      throw err;
    }
  };

  /** Row columns for a managed webhook from its config definition (`current`: the row it replaces). */
  const managedData = (
    d: Definition,
    current: { row: WebhookRow; secret: string | null | undefined } | null
  ) => {
    const input = { ...d } as unknown as WebhookInput;
    const data: Record<string, unknown> = {
      ...toRow(
        input,
        d.headers.map((h) => (h.secret ? { ...h, value: secrets().encrypt(h.value) } : h))
      ),
      managed: true,
    };
    // `undefined`: the stored secret did not decrypt, so it is replaced.
    if (!current || current.secret !== d.secret) {
      data.secret = d.secret ? secrets().encrypt(d.secret) : null;
      // A secret changed in the config keeps signing beside the new one for the rotation grace period.
      const graceMs = getPluginConfig(strapi).secretRotationGraceHours * 3600_000;
      const keep = current?.secret && d.secret && graceMs > 0;
      data.previousSecret = keep ? current!.row.secret : null;
      data.previousSecretExpiresAt = keep ? new Date(Date.now() + graceMs).toISOString() : null;
    }
    if (current && d.enabled && !current.row.enabled)
      Object.assign(data, { disabledReason: null, failingSince: null });
    return data;
  };

  /** Another instance wrote the same managed webhook first: the unique index (name, managed) refused ours. */
  const isUniqueViolation = (err: any) =>
    err?.code === '23505' ||
    err?.code === 'ER_DUP_ENTRY' ||
    err?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /unique constraint|duplicate entry/i.test(String(err?.message));

  return {
    /**
     * Webhooks as code (docs/api.md): make the managed webhooks exactly the config's
     * `webhooks`, matched by name. An invalid entry throws (the boot stops) before anything
     * is written. Several instances may run this at once: a create that loses the race to the
     * unique index is planned again from what the winner stored.
     */
    async reconcileConfig(): Promise<{ created: string[]; updated: string[]; removed: string[] }> {
      const entries = (getPluginConfig(strapi).webhooks ?? []) as unknown[];
      const problems: { index: number; errors: FieldError[] }[] = [];
      const desired: Definition[] = [];
      for (const [index, raw] of entries.entries()) {
        const { input, errors } = await checkEntry(raw, 'config');
        if (errors.length) problems.push({ index, errors });
        else {
          desired.push({
            ...input,
            secret: input.secret ?? null,
            headers: input.headers.map((h) => ({
              name: h.name,
              value: h.value as string,
              secret: Boolean(h.secret),
            })),
          });
        }
      }
      problems.push(...repeatedNameErrors(entries as { name?: unknown }[]));
      if (problems.length)
        throw new Error(configErrorMessage(problems.sort((a, b) => a.index - b.index)));

      // What this instance wrote, over every attempt.
      const done = { created: [] as string[], updated: [] as string[], removed: [] as string[] };
      for (let attempt = 1; ; attempt += 1) {
        const rows = (await query().findMany({ orderBy: { id: 'asc' } })) as WebhookRow[];
        const decrypted = new Map(rows.map((r) => [r.id, storedDefinition(r)]));
        const stored: StoredWebhook[] = rows.map((r) => ({
          id: r.id,
          name: r.name,
          managed: r.managed === true,
          definition: decrypted.get(r.id) ?? null,
        }));
        const plan = planReconcile(desired, stored);
        if (plan.ambiguous.length) {
          throw new Error(
            configErrorMessage(
              plan.ambiguous.map((a) => ({
                index: a.index,
                errors: [
                  {
                    path: ['name'],
                    message: `name "${a.name}" is shared by the webhooks ${a.ids.join(', ')} created in the admin: rename or delete all but one, which the config then takes over`,
                  },
                ],
              }))
            )
          );
        }
        const byId = new Map(rows.map((r) => [r.id, r]));
        try {
          for (const d of plan.create) {
            await query().create({
              data: { ...managedData(d, null), documentId: randomBytes(12).toString('hex') },
            });
            done.created.push(d.name);
          }
          for (const u of plan.update) {
            const row = byId.get(u.id)!;
            const definition = decrypted.get(u.id);
            await query().update({
              where: { id: u.id },
              data: managedData(u.definition, {
                row,
                secret: definition ? definition.secret : undefined,
              }),
            });
            done.updated.push(u.definition.name);
          }
          for (const r of plan.remove) {
            const { count } = await query().deleteMany({ where: { id: r.id, managed: true } });
            if (count) done.removed.push(r.name);
          }
        } catch (err) {
          // Each refusal means another instance stored that name, which the next plan no longer
          // creates or adopts: at most one retry per declared webhook.
          if (attempt > desired.length || !isUniqueViolation(err)) throw err;
          continue;
        }
        if (done.created.length || done.updated.length || done.removed.length) await changed();
        return done;
      }
    },

    /** Every webhook's definition, without secrets (docs/api.md, "Export and import"). */
    async exportAll(): Promise<{
      version: number;
      exportedAt: string;
      webhooks: Record<string, unknown>[];
    }> {
      const rows = (await query().findMany({ orderBy: { id: 'asc' } })) as WebhookRow[];
      return {
        version: EXPORT_VERSION,
        exportedAt: new Date().toISOString(),
        webhooks: rows.map((r) => exportDefinition(toPublic(r) as any)),
      };
    },

    /**
     * Create or update webhooks by name from an export. Every entry is validated before
     * anything is written; the writes share one transaction. Managed webhooks are skipped.
     */
    async importMany(body: unknown): Promise<ImportResult> {
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw new WebhookValidationError([
          {
            path: [],
            message:
              'request body must be a JSON object: { webhooks: [...], onConflict?: "skip" | "overwrite" }',
          },
        ]);
      }
      const raw = body as Record<string, unknown>;
      const errors: FieldError[] = [];
      // The export file itself (version, exportedAt) may be posted as it is.
      for (const key of Object.keys(raw)) {
        if (!['webhooks', 'onConflict', 'version', 'exportedAt'].includes(key))
          errors.push({ path: [key], message: `${key} is not a known field` });
      }
      if (raw.version !== undefined && raw.version !== EXPORT_VERSION)
        errors.push({
          path: ['version'],
          message: `version must be ${EXPORT_VERSION} (the export format this plugin reads)`,
        });
      const onConflict = (raw.onConflict ?? 'skip') as OnConflict;
      if (!ON_CONFLICT.includes(onConflict))
        errors.push({
          path: ['onConflict'],
          message: `onConflict must be one of: ${ON_CONFLICT.join(', ')}`,
        });
      const list = raw.webhooks;
      if (!Array.isArray(list))
        errors.push({
          path: ['webhooks'],
          message: 'webhooks must be a list of webhook definitions',
        });
      else if (list.length > MAX_IMPORT)
        errors.push({
          path: ['webhooks'],
          message: `webhooks must not list more than ${MAX_IMPORT} definitions`,
        });
      if (errors.length) throw new WebhookValidationError(errors);

      const entries = list as unknown[];
      const checked: { input: WebhookInput; needsSecret: boolean; raw: Record<string, unknown> }[] =
        [];
      for (const [index, entry] of entries.entries()) {
        const result = await checkEntry(entry, 'import');
        errors.push(...result.errors.map((e) => ({ ...e, path: ['webhooks', index, ...e.path] })));
        checked.push({
          input: result.input,
          needsSecret: result.needsSecret,
          raw: entry as Record<string, unknown>,
        });
      }
      for (const { index, errors: repeated } of repeatedNameErrors(
        entries as { name?: unknown }[]
      )) {
        errors.push(...repeated.map((e) => ({ ...e, path: ['webhooks', index, ...e.path] })));
      }
      if (errors.length) throw new WebhookValidationError(errors);

      const result = await strapi.db.transaction(async () => {
        const rows = (await query().findMany({ orderBy: { id: 'asc' } })) as WebhookRow[];
        const plan = planImport(
          checked.map((c) => c.input.name),
          rows.map((r) => ({ id: r.id, name: r.name, managed: r.managed === true })),
          onConflict
        );
        if (plan.errors.length) throw new WebhookValidationError(plan.errors);
        const byId = new Map(rows.map((r) => [r.id, r]));
        const write = async (index: number, row: WebhookRow | null) => {
          const { input, needsSecret, raw: entry } = checked[index];
          // A secret header without a value keeps the stored one, if any; else it is missing.
          const { headers, errors: missing } = mergeHeaders(input.headers, row?.headers ?? null);
          const signs = input.secret ? true : Boolean(row?.secret);
          const secretMissing = missing.length > 0 || (needsSecret && !signs);
          const data: Record<string, unknown> = toRow(input, headers);
          // Without `secret`, an overwritten webhook keeps its own.
          if (!row || 'secret' in entry) {
            data.secret = input.secret ? secrets().encrypt(input.secret) : null;
            if (row) Object.assign(data, { previousSecret: null, previousSecretExpiresAt: null });
          }
          if (secretMissing)
            Object.assign(data, { enabled: false, disabledReason: SECRET_REQUIRED });
          else if (row && input.enabled && !row.enabled)
            Object.assign(data, { disabledReason: null, failingSince: null });
          if (row) await query().update({ where: { id: row.id }, data });
          else
            await query().create({
              data: { ...data, documentId: randomBytes(12).toString('hex') },
            });
        };
        for (const index of plan.create) await write(index, null);
        for (const { index, id } of plan.update) await write(index, byId.get(id)!);
        const names = (indexes: number[]) =>
          indexes.sort((a, b) => a - b).map((i) => checked[i].input.name);
        return {
          created: names(plan.create),
          updated: names(plan.update.map((u) => u.index)),
          skipped: names(plan.skip),
        };
      });
      if (result.created.length || result.updated.length) await changed();
      return result;
    },
  };
};
