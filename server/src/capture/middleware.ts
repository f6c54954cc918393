import type { Core } from '@strapi/strapi';
import type { WebhookEvent } from '../definitions/events';
import { isWatchable } from '../definitions/content-types';
import { loadVersions, sanitizeSnapshot } from './snapshot';
import { planEvents, possibleEvents, touchedLocales, type Version } from './plan';
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
 * matching enabled webhook writes outbox records in the same transaction as the write. Which
 * events, with which `doc` and `previous`, is `planEvents` (docs/events.md).
 */
export function createCaptureMiddleware(strapi: Core.Strapi, deps: CaptureDeps) {
  return async (ctx: any, next: () => Promise<any>) => {
    const params = ctx.params ?? {};
    const events = possibleEvents(ctx.action, params.status === 'published');
    if (events.length === 0 || typeof ctx.uid !== 'string') return next();
    const model = ctx.contentType ?? strapi.getModel(ctx.uid as any);
    // The types the Content Manager lists; never admin:: nor the plugin's own.
    if (!isWatchable(model)) return next();
    const targets = new Map(events.map((ev) => [ev, deps.webhooksFor(ctx.uid, ev)] as const));
    if (![...targets.values()].some((ids) => ids.length > 0)) return next();
    deps.writing(1);
    try {
      return await capture(ctx, next, model, targets);
    } finally {
      deps.writing(-1);
    }
  };

  async function capture(
    ctx: any,
    next: () => Promise<any>,
    model: any,
    targets: Map<WebhookEvent, number[]>
  ) {
    const uid: string = ctx.uid;
    const params = ctx.params ?? {};
    return strapi.db.transaction(async ({ trx, onCommit }: any) => {
      // For clone, params.documentId is the source: the events are about the new document.
      const isCreate = ctx.action === 'create' || ctx.action === 'clone';
      const documentId: string | undefined = isCreate ? undefined : params.documentId;
      const before: Version[] = documentId ? await loadVersions(strapi, uid, documentId, trx) : [];
      const result = await next();
      const resultDocumentId: string | undefined = documentId ?? result?.documentId;
      if (!resultDocumentId) return result;
      const deletes = ctx.action === 'delete';
      const after: Version[] = deletes
        ? []
        : await loadVersions(strapi, uid, resultDocumentId, trx);
      const planned = planEvents({
        action: ctx.action,
        draftAndPublish: Boolean(model?.options?.draftAndPublish),
        publishRequested: params.status === 'published',
        locales: touchedLocales(result, params.locale, before),
        before,
        after,
      });
      const user = currentUser(strapi);
      const occurredAt = new Date().toISOString();
      const records: OutboxRecord[] = [];
      for (const p of planned) {
        const webhookIds = targets.get(p.event) ?? [];
        if (webhookIds.length === 0) continue;
        records.push({
          event: p.event,
          uid,
          documentId: resultDocumentId,
          locale: p.locale,
          webhookIds,
          doc: await sanitizeSnapshot(strapi, uid, p.doc),
          previous: await sanitizeSnapshot(strapi, uid, p.previous),
          user,
          occurredAt,
        });
      }
      if (records.length) {
        await deps.enqueue(records, trx);
        onCommit(() => deps.wake());
      }
      return result;
    });
  }
}
