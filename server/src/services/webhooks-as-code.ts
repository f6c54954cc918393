import type { Core } from '@strapi/strapi';
import type { FieldError, WebhookInput, WebhookRow } from '../definitions/types';
import { SecretDecryptError } from '../secrets/crypto';
import { getPluginConfig, WEBHOOK_UID } from '../plugin';
import {
  configErrorMessage,
  planReconcile,
  repeatedNameErrors,
  type Definition,
  type StoredWebhook,
} from '../definitions/reconcile';
import { newDocumentId, toPublic, toRow, type WebhookFields } from './webhook-fields';
import { checkEntry } from './webhook-entry';

/**
 * Webhooks as code (docs/api.md, "Webhooks as code"): the Strapi side of
 * `definitions/reconcile.ts`, part of the `webhooks` service. `changed` tells the engine that
 * definitions changed. Export and import are `webhooks-transfer.ts`.
 */
export const webhooksAsCode = (
  strapi: Core.Strapi,
  shared: WebhookFields,
  changed: () => Promise<void>
) => {
  const query = () => strapi.db.query(WEBHOOK_UID);
  const { secrets } = shared;

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
        const { input, errors } = await checkEntry(shared, raw, 'config');
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
              data: { ...managedData(d, null), documentId: newDocumentId() },
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
  };
};
