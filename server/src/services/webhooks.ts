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
import { ConflictError, NotFoundError, WebhookValidationError } from '../errors';
import { toId } from '../ids';
import { configErrorMessage, planReconcile, repeatedNameErrors, type Definition, type StoredWebhook } from '../definitions/reconcile';
import { EXPORT_VERSION, exportDefinition, MAX_IMPORT, ON_CONFLICT, planImport, SECRET_REQUIRED, type OnConflict } from '../definitions/transfer';
import type { ContentTypeInfo, Webhook } from '../contracts/webhooks';
import { normalizeCoalesce, openWindow, windowDelivery, type CoalesceSettings } from '../coalesce/window';

/** The shape the admin API returns: no secret values, ever. */
export type PublicWebhook = Webhook;

export interface ImportResult {
  created: string[];
  updated: string[];
  skipped: string[];
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
  coalesce: null,
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
    coalesce: normalizeCoalesce((row as any).coalesce),
    disabledReason: row.disabledReason ?? null,
    managed: row.managed === true,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });

  const validationContext = {
    attributesOf(uid: string) {
      const ct = strapi.contentTypes[uid as keyof typeof strapi.contentTypes] as any;
      if (!isWatchable(ct)) return null;
      return snapshotAttributes(ct.attributes).map((a) => a.name);
    },
    async tryJsonTemplate(template: string, uid: string, coalesce: CoalesceSettings | null) {
      const ct = strapi.contentTypes[uid as keyof typeof strapi.contentTypes] as any;
      const doc = sampleDocument(ct.attributes ?? {});
      const change = { event: 'entry.update', uid, documentId: (doc.documentId as string) ?? null, locale: null, occurredAt: new Date().toISOString(), user: null, doc, previous: doc };
      const context = coalesce
        ? buildContext({ ...windowDelivery(openWindow(coalesce, [change])), model: ct.modelName, user: null })
        : buildContext({ event: 'entry.update', uid, model: ct.modelName, doc, previous: doc, locale: null, user: null });
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

  /** Managed webhooks change only through the config (docs/api.md, "Webhooks as code"). */
  const assertNotManaged = (row: WebhookRow) => {
    if (row.managed) {
      throw new ConflictError(
        `webhook "${row.name}" is managed in the plugin config (config/plugins, 'document-webhooks' → config.webhooks): change it there and restart Strapi`
      );
    }
  };

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
    coalesce: normalizeCoalesce(input.coalesce),
  });

  /**
   * One definition of the config or of an import, checked as a POST body is: the complete
   * definition (defaults applied) and its problems, with paths relative to the entry.
   */
  const checkEntry = async (raw: unknown, mode: 'config' | 'import'): Promise<{ input: WebhookInput; needsSecret: boolean; errors: FieldError[] }> => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      return { input: null as unknown as WebhookInput, needsSecret: false, errors: [{ path: [], message: 'must be an object with the webhook fields' }] };
    }
    const entry = raw as Record<string, unknown>;
    const deep = nestingErrors(entry);
    if (deep.length) return { input: null as unknown as WebhookInput, needsSecret: false, errors: deep };
    // `needsSecret` is what an export says about a webhook that signs; only imports carry it.
    const { needsSecret, ...fields } = entry;
    const errors = unknownFieldErrors(mode === 'import' ? fields : entry);
    if (mode === 'import' && needsSecret !== undefined && typeof needsSecret !== 'boolean') {
      errors.push({ path: ['needsSecret'], message: 'needsSecret must be a boolean' });
    }
    const input = { ...DEFAULTS(getPluginConfig(strapi).defaultTimeoutMs), ...pick(fields) } as WebhookInput;
    if (mode === 'config') {
      // An env() variable that is not set reads as undefined: refused rather than taken as "does not sign".
      if ('secret' in entry && entry.secret === undefined) {
        errors.push({ path: ['secret'], message: 'secret is undefined (an env() variable that is not set?): use null for a webhook that does not sign' });
      }
      if (Array.isArray(input.headers)) {
        input.headers.forEach((h, i) => {
          if (h && typeof h === 'object' && h.secret && (h.value === null || h.value === undefined)) {
            errors.push({ path: ['headers', i, 'value'], message: 'value is required for a secret header in the config (an env() variable that is not set?)' });
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

  const sendHeadersOf = (row: WebhookRow) => (row.headers ?? []).map((h) => (h.secret ? { ...h, value: secrets().decrypt(h.value) } : h));

  /** A stored row as a definition with its secrets decrypted, or null when one does not decrypt. */
  const storedDefinition = (row: WebhookRow): Definition | null => {
    try {
      const { headers: _masked, ...pub } = toPublic(row);
      return { ...pub, secret: row.secret ? secrets().decrypt(row.secret) : null, headers: sendHeadersOf(row) };
    } catch (err) {
      if (err instanceof SecretDecryptError) return null;
      throw err;
    }
  };

  /** Row columns for a managed webhook from its config definition (`current`: the row it replaces). */
  const managedData = (d: Definition, current: { row: WebhookRow; secret: string | null | undefined } | null) => {
    const input = { ...d } as unknown as WebhookInput;
    const data: Record<string, unknown> = {
      ...toRow(input, d.headers.map((h) => (h.secret ? { ...h, value: secrets().encrypt(h.value) } : h))),
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
    if (current && d.enabled && !current.row.enabled) Object.assign(data, { disabledReason: null, failingSince: null });
    return data;
  };

  /** Another instance wrote the same managed webhook first: the unique index (name, managed) refused ours. */
  const isUniqueViolation = (err: any) =>
    err?.code === '23505' || err?.code === 'ER_DUP_ENTRY' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /unique constraint|duplicate entry/i.test(String(err?.message));

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
      assertNotManaged(row);
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
      assertNotManaged(row);
      await query().delete({ where: { id: row.id } });
      await changed();
      return toPublic(row);
    },

    /** New whsec_ secret; the old one keeps signing for the configured grace period. */
    async rotateSecret(id: unknown): Promise<{ secret: string; previousSecretExpiresAt: string | null }> {
      const row = await findRow(id);
      assertNotManaged(row);
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
            headers: input.headers.map((h) => ({ name: h.name, value: h.value as string, secret: Boolean(h.secret) })),
          });
        }
      }
      problems.push(...repeatedNameErrors(entries as { name?: unknown }[]));
      if (problems.length) throw new Error(configErrorMessage(problems.sort((a, b) => a.index - b.index)));

      // What this instance wrote, over every attempt.
      const done = { created: [] as string[], updated: [] as string[], removed: [] as string[] };
      for (let attempt = 1; ; attempt += 1) {
        const rows = (await query().findMany({ orderBy: { id: 'asc' } })) as WebhookRow[];
        const decrypted = new Map(rows.map((r) => [r.id, storedDefinition(r)]));
        const stored: StoredWebhook[] = rows.map((r) => ({ id: r.id, name: r.name, managed: r.managed === true, definition: decrypted.get(r.id) ?? null }));
        const plan = planReconcile(desired, stored);
        if (plan.ambiguous.length) {
          throw new Error(
            configErrorMessage(
              plan.ambiguous.map((a) => ({
                index: a.index,
                errors: [{ path: ['name'], message: `name "${a.name}" is shared by the webhooks ${a.ids.join(', ')} created in the admin: rename or delete all but one, which the config then takes over` }],
              }))
            )
          );
        }
        const byId = new Map(rows.map((r) => [r.id, r]));
        try {
          for (const d of plan.create) {
            await query().create({ data: { ...managedData(d, null), documentId: randomBytes(12).toString('hex') } });
            done.created.push(d.name);
          }
          for (const u of plan.update) {
            const row = byId.get(u.id)!;
            const definition = decrypted.get(u.id);
            await query().update({ where: { id: u.id }, data: managedData(u.definition, { row, secret: definition ? definition.secret : undefined }) });
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
    async exportAll(): Promise<{ version: number; exportedAt: string; webhooks: Record<string, unknown>[] }> {
      const rows = (await query().findMany({ orderBy: { id: 'asc' } })) as WebhookRow[];
      return { version: EXPORT_VERSION, exportedAt: new Date().toISOString(), webhooks: rows.map((r) => exportDefinition(toPublic(r) as any)) };
    },

    /**
     * Create or update webhooks by name from an export. Every entry is validated before
     * anything is written; the writes share one transaction. Managed webhooks are skipped.
     */
    async importMany(body: unknown): Promise<ImportResult> {
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw new WebhookValidationError([{ path: [], message: 'request body must be a JSON object: { webhooks: [...], onConflict?: "skip" | "overwrite" }' }]);
      }
      const raw = body as Record<string, unknown>;
      const errors: FieldError[] = [];
      // The export file itself (version, exportedAt) may be posted as it is.
      for (const key of Object.keys(raw)) {
        if (!['webhooks', 'onConflict', 'version', 'exportedAt'].includes(key)) errors.push({ path: [key], message: `${key} is not a known field` });
      }
      if (raw.version !== undefined && raw.version !== EXPORT_VERSION) errors.push({ path: ['version'], message: `version must be ${EXPORT_VERSION} (the export format this plugin reads)` });
      const onConflict = (raw.onConflict ?? 'skip') as OnConflict;
      if (!ON_CONFLICT.includes(onConflict)) errors.push({ path: ['onConflict'], message: `onConflict must be one of: ${ON_CONFLICT.join(', ')}` });
      const list = raw.webhooks;
      if (!Array.isArray(list)) errors.push({ path: ['webhooks'], message: 'webhooks must be a list of webhook definitions' });
      else if (list.length > MAX_IMPORT) errors.push({ path: ['webhooks'], message: `webhooks must not list more than ${MAX_IMPORT} definitions` });
      if (errors.length) throw new WebhookValidationError(errors);

      const entries = list as unknown[];
      const checked: { input: WebhookInput; needsSecret: boolean; raw: Record<string, unknown> }[] = [];
      for (const [index, entry] of entries.entries()) {
        const result = await checkEntry(entry, 'import');
        errors.push(...result.errors.map((e) => ({ ...e, path: ['webhooks', index, ...e.path] })));
        checked.push({ input: result.input, needsSecret: result.needsSecret, raw: entry as Record<string, unknown> });
      }
      for (const { index, errors: repeated } of repeatedNameErrors(entries as { name?: unknown }[])) {
        errors.push(...repeated.map((e) => ({ ...e, path: ['webhooks', index, ...e.path] })));
      }
      if (errors.length) throw new WebhookValidationError(errors);

      const result = await strapi.db.transaction(async () => {
        const rows = (await query().findMany({ orderBy: { id: 'asc' } })) as WebhookRow[];
        const plan = planImport(checked.map((c) => c.input.name), rows.map((r) => ({ id: r.id, name: r.name, managed: r.managed === true })), onConflict);
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
          if (secretMissing) Object.assign(data, { enabled: false, disabledReason: SECRET_REQUIRED });
          else if (row && input.enabled && !row.enabled) Object.assign(data, { disabledReason: null, failingSince: null });
          if (row) await query().update({ where: { id: row.id }, data });
          else await query().create({ data: { ...data, documentId: randomBytes(12).toString('hex') } });
        };
        for (const index of plan.create) await write(index, null);
        for (const { index, id } of plan.update) await write(index, byId.get(id)!);
        const names = (indexes: number[]) => indexes.sort((a, b) => a - b).map((i) => checked[i].input.name);
        return { created: names(plan.create), updated: names(plan.update.map((u) => u.index)), skipped: names(plan.skip) };
      });
      if (result.created.length || result.updated.length) await changed();
      return result;
    },

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
