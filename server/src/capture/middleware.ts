import type { Core } from '@strapi/strapi';
import { ACTION_EVENTS, type WebhookEvent } from '../definitions/events';
import { loadVersions, sanitizeSnapshot } from './snapshot';
import type { OutboxRecord } from '../outbox/outbox';

/** What the capture stage needs from the rest of the plugin. */
export interface CaptureDeps {
  /** Ids of enabled webhooks listening to `event` on `uid` (in-memory: the cheap path). */
  webhooksFor(uid: string, event: WebhookEvent): number[];
  /** Insert the records in the write's transaction `trx` (knex). */
  enqueue(records: OutboxRecord[], trx: unknown): Promise<void>;
  /** Called once the surrounding transaction committed. */
  wake(): void;
  /** A document write starts (+1) or ends (-1): the worker yields while writes are in progress. */
  writing(delta: 1 | -1): void;
}

type Version = Record<string, any>;

const isDraft = (v: Version) => v.publishedAt == null;
const byLocale = (versions: Version[], locale: string | null | undefined) =>
  versions.filter((v) => (locale == null ? true : (v.locale ?? null) === locale));

/**
 * The acting user of the current HTTP request, if any: an admin (Content Manager) or an end
 * user (users-permissions). An API token is not a user: reporting the token's row id as
 * `user.id` would collide with real user ids in conditions, so it yields null.
 */
function currentUser(strapi: Core.Strapi): { id: number | string; email: string | null } | null {
  const ctx = strapi.requestContext?.get?.() as any;
  const state = ctx?.state;
  const strategy = state?.auth?.strategy?.name;
  const user = state?.user ?? (strategy === 'users-permissions' ? state?.auth?.credentials : null);
  if (!user || user.id == null) return null;
  return { id: user.id, email: user.email ?? null };
}

/**
 * Document Service middleware: sees each document action once, and for content types with a
 * matching enabled webhook writes outbox records in the same transaction as the write.
 */
export function createCaptureMiddleware(strapi: Core.Strapi, deps: CaptureDeps) {
  return async (ctx: any, next: () => Promise<any>) => {
    // `clone` (the Content Manager's "Duplicate") creates a document: Strapi emits entry.create for it.
    const event: WebhookEvent | undefined = ctx.action === 'clone' ? 'entry.create' : ACTION_EVENTS[ctx.action];
    // Only application content types are DocTypes here; the plugin's own never trigger.
    if (!event || typeof ctx.uid !== 'string' || !ctx.uid.startsWith('api::')) return next();
    deps.writing(1);
    try {
      return await capture(ctx, next, event);
    } finally {
      deps.writing(-1);
    }
  };

  async function capture(ctx: any, next: () => Promise<any>, event: WebhookEvent) {
    const uid: string = ctx.uid;
    const model = ctx.contentType ?? strapi.getModel(uid as any);
    const draftAndPublish = Boolean(model?.options?.draftAndPublish);
    const params = ctx.params ?? {};
    // create/update with status "published" publish too: Strapi emits entry.publish for it.
    const alsoPublish = draftAndPublish && (ctx.action === 'create' || ctx.action === 'update') && params.status === 'published';
    const targets = deps.webhooksFor(uid, event);
    const publishTargets = alsoPublish ? deps.webhooksFor(uid, 'entry.publish') : [];
    if (targets.length === 0 && publishTargets.length === 0) return next();

    return strapi.db.transaction(async ({ trx, onCommit }: any) => {
      const isCreate = ctx.action === 'create' || ctx.action === 'clone';
      // For clone, params.documentId is the source: the event is about the new document.
      const documentId: string | undefined = isCreate ? undefined : params.documentId;
      const needsBefore = documentId && ctx.action !== 'discardDraft';
      const before: Version[] = needsBefore ? await loadVersions(strapi, uid, documentId) : [];
      const result = await next();
      const resultDocumentId: string | undefined = documentId ?? result?.documentId;
      if (!resultDocumentId) return result;
      const after: Version[] = await loadVersions(strapi, uid, resultDocumentId);
      const requestedLocale: string | undefined = typeof params.locale === 'string' && params.locale !== '*' ? params.locale : undefined;
      const user = currentUser(strapi);
      const occurredAt = new Date().toISOString();
      const records: OutboxRecord[] = [];

      const push = async (ev: WebhookEvent, webhookIds: number[], locale: string | null, doc: Version | null, previous: Version | null) => {
        if (webhookIds.length === 0 || !doc) return;
        records.push({
          event: ev,
          uid,
          documentId: resultDocumentId,
          locale,
          webhookIds,
          doc: await sanitizeSnapshot(strapi, uid, doc),
          previous: await sanitizeSnapshot(strapi, uid, previous),
          user,
          occurredAt,
        });
      };
      const pick = (versions: Version[], locale: string | null, draft: boolean | null) =>
        byLocale(versions, locale).find((v) => (draft === null ? true : isDraft(v) === draft)) ?? null;

      // Locales the action touched: from the result when it reports entries, else the request.
      const entries: Version[] = Array.isArray(result?.entries) ? result.entries : result ? [result] : [];
      const locales = [...new Set(entries.map((e) => e.locale ?? null))];
      if (locales.length === 0) locales.push(requestedLocale ?? null);

      for (const locale of locales) {
        switch (ctx.action) {
          case 'create':
          case 'clone':
            await push(event, targets, locale, pick(after, locale, draftAndPublish ? true : null), null);
            break;
          case 'update':
            await push(event, targets, locale, pick(after, locale, draftAndPublish ? true : null), pick(before, locale, draftAndPublish ? true : null));
            break;
          case 'delete':
            // The document as it was: its draft (the latest state) where there is one.
            await push(event, targets, locale, pick(before, locale, true) ?? pick(before, locale, null), null);
            break;
          case 'publish':
            await push(event, targets, locale, pick(after, locale, false), pick(before, locale, false));
            break;
          case 'unpublish':
            await push(event, targets, locale, pick(after, locale, true), pick(before, locale, false));
            break;
          case 'discardDraft':
            // DESIGN.md: `previous` only for update/publish/unpublish.
            await push(event, targets, locale, pick(after, locale, true), null);
            break;
        }
        if (alsoPublish) await push('entry.publish', publishTargets, locale, pick(after, locale, false), pick(before, locale, false));
      }

      if (records.length) {
        await deps.enqueue(records, trx);
        onCommit(() => deps.wake());
      }
      return result;
    });
  }
}
