import type { Core } from '@strapi/strapi';
import { randomBytes } from 'node:crypto';
import { EVENTS } from '../definitions/events';
import type { FieldError, HeaderInput, WebhookInput, WebhookRow } from '../definitions/types';
import { nestingErrors, unknownFieldErrors, validateWebhook, WEBHOOK_FIELDS } from '../definitions/validate';
import { sampleDocument } from '../definitions/sample';
import { isWatchable, snapshotAttributes } from '../definitions/content-types';
import { generateSecret } from '../sign/signature';
import { SecretDecryptError } from '../secrets/crypto';
import { buildContext } from '../render/context';
import { renderJsonBody } from '../render/json';
import { getPluginConfig, WEBHOOK_UID } from '../plugin';
import { getService } from '../utils/get-service';
import { NotFoundError, WebhookValidationError } from '../errors';
import { toId } from '../ids';

/** The shape the admin API returns: no secret values, ever. */
export interface PublicWebhook extends Omit<WebhookInput, 'secret'> {
  id: number;
  hasSecret: boolean;
  secretRotating: boolean;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

const DEFAULTS = (timeoutMs: number): Omit<WebhookInput, 'name' | 'contentType' | 'url' | 'events'> => ({
  enabled: true,
  condition: null,
  dynamicUrl: false,
  method: 'POST',
  bodyType: 'default',
  jsonTemplate: null,
  formFields: [],
  headers: [],
  timeoutMs,
  maxAttempts: 8,
});

/** The stored row, secrets still encrypted (404 when missing): for the engine, never for responses. */
export async function findWebhookRow(strapi: Core.Strapi, id: unknown): Promise<WebhookRow> {
  const num = toId(id);
  const row = num ? await strapi.db.query(WEBHOOK_UID).findOne({ where: { id: num } }) : null;
  if (!row) throw new NotFoundError(`webhook ${String(id)} not found`);
  return row as WebhookRow;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const query = () => strapi.db.query(WEBHOOK_UID);
  const secrets = () => getService(strapi, 'secrets');

  const toPublic = (row: WebhookRow): PublicWebhook => ({
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    contentType: row.contentType,
    events: row.events ?? [],
    condition: row.condition ?? null,
    url: row.url,
    dynamicUrl: row.dynamicUrl,
    method: row.method,
    bodyType: row.bodyType,
    jsonTemplate: row.jsonTemplate ?? null,
    formFields: row.formFields ?? [],
    headers: (row.headers ?? []).map((h) => (h.secret ? { name: h.name, value: null, secret: true } : { name: h.name, value: h.value, secret: false })),
    hasSecret: Boolean(row.secret),
    secretRotating: Boolean(row.previousSecret && row.previousSecretExpiresAt && Date.parse(row.previousSecretExpiresAt) > Date.now()),
    timeoutMs: row.timeoutMs,
    maxAttempts: row.maxAttempts,
    disabledReason: row.disabledReason ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });

  const validationContext = {
    attributesOf(uid: string) {
      const ct = strapi.contentTypes[uid as keyof typeof strapi.contentTypes] as any;
      if (!isWatchable(ct)) return null;
      return snapshotAttributes(ct.attributes).map((a) => a.name);
    },
    async tryJsonTemplate(template: string, uid: string) {
      const ct = strapi.contentTypes[uid as keyof typeof strapi.contentTypes] as any;
      const doc = sampleDocument(ct.attributes ?? {});
      const context = buildContext({ event: 'entry.update', uid, model: ct.modelName, doc, previous: doc, locale: null, user: null });
      try {
        await renderJsonBody(getService(strapi, 'engine').renderer(), template, context, renderLimits());
        return null;
      } catch (err) {
        return `does not render valid JSON against a sample document: ${(err as Error).message}`;
      }
    },
  };

  const renderLimits = () => {
    const cfg = getPluginConfig(strapi);
    return { timeoutMs: cfg.renderTimeoutMs, maxOutputBytes: cfg.maxRenderOutputBytes };
  };

  /**
   * Secret header values arrive as plain text (or null = keep the stored one) and are stored
   * encrypted; returns the problems for headers whose kept value does not exist.
   */
  const mergeHeaders = (incoming: HeaderInput[], stored: WebhookRow['headers']) => {
    const errors: FieldError[] = [];
    const previous = new Map((stored ?? []).filter((h) => h.secret).map((h) => [h.name.toLowerCase(), h.value]));
    const headers = incoming.map((h, i) => {
      // Malformed entries pass through untouched: validation reports them, nothing is stored.
      if (!h || typeof h !== 'object' || Array.isArray(h)) return h as unknown as { name: string; value: string; secret: boolean };
      if (!h.secret) return { name: h.name, value: h.value as string, secret: false };
      if (h.value === null || h.value === undefined) {
        const kept = typeof h.name === 'string' ? previous.get(h.name.toLowerCase()) : undefined;
        if (!kept) errors.push({ path: ['headers', i, 'value'], message: 'value is required for a new secret header' });
        return { name: h.name, value: kept ?? '', secret: true };
      }
      if (typeof h.value !== 'string') return { name: h.name, value: h.value as string, secret: true };
      return { name: h.name, value: secrets().encrypt(h.value), secret: true };
    });
    return { headers, errors };
  };

  const assertObject = (body: unknown): Record<string, unknown> => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new WebhookValidationError([{ path: [], message: 'request body must be a JSON object with the webhook fields' }]);
    }
    // Refused before any other check walks it: those are recursive.
    const deep = nestingErrors(body as Record<string, unknown>);
    if (deep.length) throw new WebhookValidationError(deep);
    return body as Record<string, unknown>;
  };

  const pick = (body: Record<string, unknown>) =>
    Object.fromEntries(WEBHOOK_FIELDS.filter((k) => k in body).map((k) => [k, body[k]])) as Partial<WebhookInput>;

  const findRow = (id: unknown) => findWebhookRow(strapi, id);

  const validateOrThrow = async (merged: WebhookInput, extra: FieldError[]) => {
    const errors = [...extra, ...(await validateWebhook(merged, validationContext))];
    if (errors.length) throw new WebhookValidationError(errors);
  };

  /** Columns for the DB row from a validated definition. */
  const toRow = (input: WebhookInput, headers: WebhookRow['headers']) => ({
    name: input.name,
    enabled: input.enabled,
    contentType: input.contentType,
    events: input.events,
    condition: input.condition && input.condition.trim() !== '' ? input.condition : null,
    url: input.url,
    dynamicUrl: input.dynamicUrl,
    method: input.method,
    bodyType: input.bodyType,
    jsonTemplate: input.jsonTemplate,
    formFields: input.formFields,
    headers,
    timeoutMs: input.timeoutMs,
    maxAttempts: input.maxAttempts,
  });

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
      const input = { ...DEFAULTS(getPluginConfig(strapi).defaultTimeoutMs), ...pick(raw) } as WebhookInput;
      const extra = unknownFieldErrors(raw);
      const { headers, errors } = Array.isArray(input.headers) ? mergeHeaders(input.headers, null) : { headers: [], errors: [] };
      await validateOrThrow(input, [...extra, ...errors]);
      const row = await query().create({
        data: {
          ...toRow(input, headers),
          documentId: randomBytes(12).toString('hex'),
          secret: input.secret ? secrets().encrypt(input.secret) : null,
        },
      });
      await changed();
      return toPublic(row as WebhookRow);
    },

    /** Partial update: omitted fields (and omitted or null secret header values) are kept. */
    async update(id: unknown, body: unknown): Promise<PublicWebhook> {
      const row = await findRow(id);
      const raw = assertObject(body);
      const current = toPublic(row);
      const input = { ...current, ...pick(raw) } as unknown as WebhookInput;
      const extra = unknownFieldErrors(raw);
      const { headers, errors } = Array.isArray(input.headers) ? mergeHeaders(input.headers, row.headers) : { headers: [], errors: [] };
      await validateOrThrow(input, [...extra, ...errors]);
      const data: Record<string, unknown> = toRow(input, headers);
      if ('secret' in raw) {
        // null removes signing; a string replaces the secret (and ends any rotation).
        data.secret = input.secret ? secrets().encrypt(input.secret) : null;
        data.previousSecret = null;
        data.previousSecretExpiresAt = null;
      }
      // Re-enabling clears the reason it was disabled for.
      if (input.enabled && !row.enabled) Object.assign(data, { disabledReason: null, failingSince: null });
      const updated = await query().update({ where: { id: row.id }, data });
      await changed();
      return toPublic(updated as WebhookRow);
    },

    async remove(id: unknown): Promise<PublicWebhook> {
      const row = await findRow(id);
      await query().delete({ where: { id: row.id } });
      await changed();
      return toPublic(row);
    },

    /** New whsec_ secret; the old one keeps signing for the configured grace period. */
    async rotateSecret(id: unknown): Promise<{ secret: string; previousSecretExpiresAt: string | null }> {
      const row = await findRow(id);
      const secret = generateSecret();
      const graceMs = getPluginConfig(strapi).secretRotationGraceHours * 3600_000;
      const previousSecretExpiresAt = row.secret && graceMs > 0 ? new Date(Date.now() + graceMs).toISOString() : null;
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
      const ids = ((await query().findMany({ select: ['id'] })) as { id: number }[]).map((r) => r.id);
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

    events: EVENTS,

    /** Content types a webhook can target (those the Content Manager lists), for the admin's pickers. */
    contentTypes() {
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
