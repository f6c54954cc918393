import type { Core } from '@strapi/strapi';
import { randomBytes } from 'node:crypto';
import type { FieldError, HeaderInput, WebhookInput, WebhookRow } from '../definitions/types';
import { nestingErrors, validateWebhook, WEBHOOK_FIELDS } from '../definitions/validate';
import { sampleDocument } from '../definitions/sample';
import { isWatchable, snapshotAttributes } from '../definitions/content-types';
import { buildContext } from '../render/context';
import { renderJsonBody } from '../render/json';
import { getPluginConfig } from '../plugin';
import { getService } from '../utils/get-service';
import { WebhookValidationError } from '../errors';
import type { Webhook } from '../contracts/webhooks';
import {
  normalizeCoalesce,
  openWindow,
  windowDelivery,
  type CoalesceSettings,
} from '../coalesce/window';

/**
 * Webhook definitions between the API and the table, shared by the CRUD service
 * (`webhooks.ts`), webhooks as code (`webhooks-as-code.ts`) and export/import
 * (`webhooks-transfer.ts`): defaults,
 * the public shape, row columns, secret header merging and validation.
 */

/** The shape the admin API returns: no secret values, ever. */
export type PublicWebhook = Webhook;

export const DEFAULTS = (
  timeoutMs: number
): Omit<WebhookInput, 'name' | 'contentType' | 'url' | 'events'> => ({
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
  coalesce: null,
});

export const toPublic = (row: WebhookRow): PublicWebhook => ({
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
  headers: (row.headers ?? []).map((h) =>
    h.secret
      ? { name: h.name, value: null, secret: true }
      : { name: h.name, value: h.value, secret: false }
  ),
  hasSecret: Boolean(row.secret),
  secretRotating: Boolean(
    row.previousSecret &&
    row.previousSecretExpiresAt &&
    Date.parse(row.previousSecretExpiresAt) > Date.now()
  ),
  timeoutMs: row.timeoutMs,
  maxAttempts: row.maxAttempts,
  coalesce: normalizeCoalesce((row as any).coalesce),
  disabledReason: row.disabledReason ?? null,
  managed: row.managed === true,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export const pick = (body: Record<string, unknown>) =>
  Object.fromEntries(
    WEBHOOK_FIELDS.filter((k) => k in body).map((k) => [k, body[k]])
  ) as Partial<WebhookInput>;

/** The `documentId` of a new webhook row (written through the query layer, which does not make one). */
export const newDocumentId = () => randomBytes(12).toString('hex');

/** Columns for the DB row from a validated definition. */
export const toRow = (input: WebhookInput, headers: WebhookRow['headers']) => ({
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
  coalesce: normalizeCoalesce(input.coalesce),
});

export const assertObject = (body: unknown): Record<string, unknown> => {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new WebhookValidationError([
      { path: [], message: 'request body must be a JSON object with the webhook fields' },
    ]);
  }
  // Refused before any other check walks it: those are recursive.
  const deep = nestingErrors(body as Record<string, unknown>);
  if (deep.length) throw new WebhookValidationError(deep);
  return body as Record<string, unknown>;
};

/** What needs Strapi: the content types, the renderer, the encryption key, the plugin config. */
export const webhookFields = (strapi: Core.Strapi) => {
  const secrets = () => getService(strapi, 'secrets');

  const validationContext = {
    attributesOf(uid: string) {
      const ct = strapi.contentTypes[uid as keyof typeof strapi.contentTypes] as any;
      if (!isWatchable(ct)) return null;
      return snapshotAttributes(ct.attributes).map((a) => a.name);
    },
    async tryJsonTemplate(template: string, uid: string, coalesce: CoalesceSettings | null) {
      const ct = strapi.contentTypes[uid as keyof typeof strapi.contentTypes] as any;
      const doc = sampleDocument(ct.attributes ?? {});
      const change = {
        event: 'entry.update',
        uid,
        documentId: (doc.documentId as string) ?? null,
        locale: null,
        occurredAt: new Date().toISOString(),
        user: null,
        doc,
        previous: doc,
      };
      const context = coalesce
        ? buildContext({
            ...windowDelivery(openWindow(coalesce, [change])),
            model: ct.modelName,
            user: null,
          })
        : buildContext({
            event: 'entry.update',
            uid,
            model: ct.modelName,
            doc,
            previous: doc,
            locale: null,
            user: null,
          });
      try {
        await renderJsonBody(
          getService(strapi, 'engine').renderer(),
          template,
          context,
          renderLimits()
        );
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
    const previous = new Map(
      (stored ?? []).filter((h) => h.secret).map((h) => [h.name.toLowerCase(), h.value])
    );
    const headers = incoming.map((h, i) => {
      // Malformed entries pass through untouched: validation reports them, nothing is stored.
      if (!h || typeof h !== 'object' || Array.isArray(h))
        return h as unknown as { name: string; value: string; secret: boolean };
      if (!h.secret) return { name: h.name, value: h.value as string, secret: false };
      if (h.value === null || h.value === undefined) {
        const kept = typeof h.name === 'string' ? previous.get(h.name.toLowerCase()) : undefined;
        if (!kept)
          errors.push({
            path: ['headers', i, 'value'],
            message: 'value is required for a new secret header',
          });
        return { name: h.name, value: kept ?? '', secret: true };
      }
      if (typeof h.value !== 'string')
        return { name: h.name, value: h.value as string, secret: true };
      return { name: h.name, value: secrets().encrypt(h.value), secret: true };
    });
    return { headers, errors };
  };

  const validateOrThrow = async (merged: WebhookInput, extra: FieldError[]) => {
    const errors = [...extra, ...(await validateWebhook(merged, validationContext))];
    if (errors.length) throw new WebhookValidationError(errors);
  };

  /** A complete definition: the defaults, then the given fields. */
  const withDefaults = (fields: Record<string, unknown>) =>
    ({ ...DEFAULTS(getPluginConfig(strapi).defaultTimeoutMs), ...pick(fields) }) as WebhookInput;

  return { secrets, validationContext, mergeHeaders, validateOrThrow, withDefaults };
};

export type WebhookFields = ReturnType<typeof webhookFields>;
