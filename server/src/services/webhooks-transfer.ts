import type { Core } from '@strapi/strapi';
import type { FieldError, WebhookInput, WebhookRow } from '../definitions/types';
import { WEBHOOK_UID } from '../plugin';
import { WebhookValidationError } from '../errors';
import { repeatedNameErrors } from '../definitions/reconcile';
import {
  EXPORT_VERSION,
  exportDefinition,
  MAX_IMPORT,
  ON_CONFLICT,
  planImport,
  SECRET_REQUIRED,
  type OnConflict,
} from '../definitions/transfer';
import { newDocumentId, toPublic, toRow, type WebhookFields } from './webhook-fields';
import { checkEntry } from './webhook-entry';

export interface ImportResult {
  created: string[];
  updated: string[];
  skipped: string[];
}

/**
 * Export and import (docs/api.md, "Export and import"): the Strapi side of
 * `definitions/transfer.ts`, part of the `webhooks` service. `changed` tells the engine that
 * definitions changed.
 */
export const webhooksTransfer = (
  strapi: Core.Strapi,
  shared: WebhookFields,
  changed: () => Promise<void>
) => {
  const query = () => strapi.db.query(WEBHOOK_UID);
  const { secrets, mergeHeaders } = shared;

  return {
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
        const result = await checkEntry(shared, entry, 'import');
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
              data: { ...data, documentId: newDocumentId() },
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
