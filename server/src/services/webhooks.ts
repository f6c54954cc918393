import type { Core } from '@strapi/strapi';
import { EVENTS } from '../definitions/events';
import type { WebhookInput, WebhookRow } from '../definitions/types';
import { unknownFieldErrors } from '../definitions/validate';
import { isWatchable, snapshotAttributes } from '../definitions/content-types';
import { generateSecret } from '../sign/signature';
import { SecretDecryptError } from '../secrets/crypto';
import { getPluginConfig, WEBHOOK_UID } from '../plugin';
import { getService } from '../utils/get-service';
import { ConflictError, NotFoundError } from '../errors';
import { toId } from '../ids';
import type { ContentTypeInfo } from '../contracts/webhooks';
import {
  assertObject,
  newDocumentId,
  pick,
  toPublic,
  toRow,
  webhookFields,
  type PublicWebhook,
} from './webhook-fields';
import { webhooksAsCode } from './webhooks-as-code';
import { webhooksTransfer } from './webhooks-transfer';

export type { PublicWebhook } from './webhook-fields';
export type { ImportResult } from './webhooks-transfer';

/** The stored row, secrets still encrypted (404 when missing): for the engine, never for responses. */
export async function findWebhookRow(strapi: Core.Strapi, id: unknown): Promise<WebhookRow> {
  const num = toId(id);
  const row = num ? await strapi.db.query(WEBHOOK_UID).findOne({ where: { id: num } }) : null;
  if (!row) throw new NotFoundError(`webhook ${String(id)} not found`);
  return row as WebhookRow;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const query = () => strapi.db.query(WEBHOOK_UID);
  const fields = webhookFields(strapi);
  const { secrets, mergeHeaders, validateOrThrow, withDefaults } = fields;

  const findRow = (id: unknown) => findWebhookRow(strapi, id);

  /** Managed webhooks change only through the config (docs/api.md, "Webhooks as code"). */
  const assertNotManaged = (row: WebhookRow) => {
    if (row.managed) {
      throw new ConflictError(
        `webhook "${row.name}" is managed in the plugin config (config/plugins, 'document-webhooks' → config.webhooks): change it there and restart Strapi`
      );
    }
  };

  const changed = (): Promise<void> => getService(strapi, 'engine').definitionsChanged();

  return {
    toPublic,

    async list(): Promise<PublicWebhook[]> {
      const rows = (await query().findMany({ orderBy: { id: 'asc' } })) as WebhookRow[];
      return rows.map(toPublic);
    },

    async get(id: unknown): Promise<PublicWebhook> {
      return toPublic(await findRow(id));
    },

    /** The stored row, secrets still encrypted: for the engine, never for responses. */
    findRow,

    async create(body: unknown): Promise<PublicWebhook> {
      const raw = assertObject(body);
      const input = withDefaults(raw);
      const extra = unknownFieldErrors(raw);
      const { headers, errors } = Array.isArray(input.headers)
        ? mergeHeaders(input.headers, null)
        : { headers: [], errors: [] };
      await validateOrThrow(input, [...extra, ...errors]);
      const row = await query().create({
        data: {
          ...toRow(input, headers),
          documentId: newDocumentId(),
          secret: input.secret ? secrets().encrypt(input.secret) : null,
        },
      });
      await changed();
      return toPublic(row as WebhookRow);
    },

    /** Partial update: omitted fields (and omitted or null secret header values) are kept. */
    async update(id: unknown, body: unknown): Promise<PublicWebhook> {
      const row = await findRow(id);
      assertNotManaged(row);
      const raw = assertObject(body);
      const current = toPublic(row);
      const input = { ...current, ...pick(raw) } as unknown as WebhookInput;
      const extra = unknownFieldErrors(raw);
      const { headers, errors } = Array.isArray(input.headers)
        ? mergeHeaders(input.headers, row.headers)
        : { headers: [], errors: [] };
      await validateOrThrow(input, [...extra, ...errors]);
      const data: Record<string, unknown> = toRow(input, headers);
      if ('secret' in raw) {
        // null removes signing; a string replaces the secret (and ends any rotation).
        data.secret = input.secret ? secrets().encrypt(input.secret) : null;
        data.previousSecret = null;
        data.previousSecretExpiresAt = null;
      }
      // Re-enabling clears the reason it was disabled for.
      if (input.enabled && !row.enabled)
        Object.assign(data, { disabledReason: null, failingSince: null });
      const updated = await query().update({ where: { id: row.id }, data });
      await changed();
      return toPublic(updated as WebhookRow);
    },

    async remove(id: unknown): Promise<PublicWebhook> {
      const row = await findRow(id);
      assertNotManaged(row);
      await query().delete({ where: { id: row.id } });
      await changed();
      return toPublic(row);
    },

    /** New whsec_ secret; the old one keeps signing for the configured grace period. */
    async rotateSecret(
      id: unknown
    ): Promise<{ secret: string; previousSecretExpiresAt: string | null }> {
      const row = await findRow(id);
      assertNotManaged(row);
      const secret = generateSecret();
      const graceMs = getPluginConfig(strapi).secretRotationGraceHours * 3600_000;
      const previousSecretExpiresAt =
        row.secret && graceMs > 0 ? new Date(Date.now() + graceMs).toISOString() : null;
      await query().update({
        where: { id: row.id },
        data: {
          secret: secrets().encrypt(secret),
          previousSecret: previousSecretExpiresAt ? row.secret : null,
          previousSecretExpiresAt,
        },
      });
      await changed();
      return { secret, previousSecretExpiresAt };
    },

    /**
     * Key rotation: re-encrypt with the current key every secret and secret header value that
     * one of `previousEncryptionKeys` encrypted, a webhook at a time (read again in its
     * transaction, so an edit made meanwhile is not overwritten). Resolves to the number of
     * webhooks rewritten and the ids of those holding a value no configured key decrypts.
     */
    async reencryptSecrets(): Promise<{ updated: number; unreadable: number[] }> {
      let updated = 0;
      const unreadable: number[] = [];
      const ids = ((await query().findMany({ select: ['id'] })) as { id: number }[]).map(
        (r) => r.id
      );
      for (const id of ids) {
        try {
          const wrote = await strapi.db.transaction(async () => {
            const row = (await query().findOne({ where: { id } })) as WebhookRow | null;
            if (!row) return false;
            const data: Record<string, unknown> = {};
            for (const field of ['secret', 'previousSecret'] as const) {
              const next = row[field] ? secrets().reencrypt(row[field] as string) : null;
              if (next) data[field] = next;
            }
            const headers = (row.headers ?? []).map((h) => {
              const next = h.secret ? secrets().reencrypt(h.value) : null;
              return next ? { ...h, value: next } : h;
            });
            if (headers.some((h, i) => h !== row.headers![i])) data.headers = headers;
            if (!Object.keys(data).length) return false;
            await query().update({ where: { id }, data });
            return true;
          });
          if (wrote) updated += 1;
        } catch (err) {
          if (!(err instanceof SecretDecryptError)) throw err;
          unreadable.push(id);
        }
      }
      if (updated) await changed();
      return { updated, unreadable };
    },

    ...webhooksAsCode(strapi, fields, changed),
    ...webhooksTransfer(strapi, fields, changed),

    events: EVENTS,

    /** Content types a webhook can target (those the Content Manager lists), for the admin's pickers. */
    contentTypes(): ContentTypeInfo[] {
      return Object.values(strapi.contentTypes as Record<string, any>)
        .filter(isWatchable)
        .map((ct) => ({
          uid: ct.uid,
          displayName: ct.info?.displayName ?? ct.modelName,
          kind: ct.kind,
          draftAndPublish: Boolean(ct.options?.draftAndPublish),
          localized: Boolean(ct.pluginOptions?.i18n?.localized),
          attributes: snapshotAttributes(ct.attributes),
        }))
        .sort((a, b) => a.displayName.localeCompare(b.displayName));
    },
  };
};
