import type { Core } from '@strapi/strapi';
import { evaluateCondition } from '../../condition';
import { isSuccess, failureReason } from '../../dispatch/outcome';
import { buildContext, type EventContext } from '../../render/context';
import { REDACTED, type RenderedRequest } from '../../render/request';
import { newMessageId } from '../../sign/signature';
import { loadVersions, sanitizeSnapshot } from '../../capture/snapshot';
import { sampleDocument } from '../../definitions/sample';
import type { WebhookRow } from '../../definitions/types';
import type { PreviewResponse, TestResponse } from '../../contracts/webhooks';
import { WebhookValidationError } from '../../errors';
import { getPluginConfig, LOG_UID } from '../../plugin';
import { maskHeaders, type Sender } from './send-signed';
import { attemptColumns, attemptEntry, newLogRow } from './log-rows';
import { normalizeCoalesce, openWindow } from '../../coalesce/window';
import type { Windows } from './windows';

/**
 * The admin behind a preview or test of a real document: Strapi's Content Manager decides
 * what they may read (controllers/content-access.ts).
 */
export interface ContentAccess {
  /** Throws ForbiddenError unless the admin may read documents of `uid` and, when given, this stored version of one. */
  assertCanRead(uid: string, version?: Record<string, unknown>): Promise<void>;
}

export interface ManualDeps {
  render: (row: WebhookRow, context: EventContext, createdAt: string) => Promise<RenderedRequest>;
  sender: Sender;
  /** A coalescing webhook's preview shows what a window of this one change sends. */
  windows: Windows;
  /** The stored row (services/webhooks.ts `findRow`: 404 when missing). */
  findRow: (id: unknown) => Promise<WebhookRow>;
}

/**
 * A render or condition of preview/test that a sandbox limit stopped: a 400 on the field
 * (docs/security.md), not a result; the template's own errors stay results.
 */
const limitError = (err: unknown, field: string): WebhookValidationError | null => {
  const e = err as { limit?: string; field?: string; message?: string } | null;
  if (!e?.limit) return null;
  return new WebhookValidationError([
    { path: [e.field ?? field], message: `${e.field ?? field} hit a sandbox limit: ${e.message}` },
  ]);
};

/** Preview and test: one webhook on a real or sample document, on an admin's request (docs/api.md). */
export function createManual(strapi: Core.Strapi, deps: ManualDeps) {
  const cfg = () => getPluginConfig(strapi);
  const logs = () => strapi.db.query(LOG_UID as any);
  const modelName = (uid: string) => (strapi.getModel(uid as any) as any)?.modelName ?? uid;

  /** The version a preview/test uses (the draft first), once the admin may read it. */
  const loadDocument = async (
    uid: string,
    documentId: string,
    locale: string | undefined,
    access: ContentAccess
  ) => {
    // Before anything is read, so the answer does not tell whether the document exists.
    await access.assertCanRead(uid);
    const versions = await loadVersions(strapi, uid, documentId);
    const ofLocale = versions.filter((v: any) => !locale || v.locale === locale);
    const doc = ofLocale.find((v: any) => v.publishedAt == null) ?? ofLocale[0];
    if (!doc) return null;
    await access.assertCanRead(uid, doc);
    return sanitizeSnapshot(strapi, uid, doc);
  };
  /** The context for preview/test: a real document (if `access` allows), or a sample one when none is given. */
  const manualContext = async (
    row: WebhookRow,
    body: unknown,
    user: any,
    requireDocument: boolean,
    access: ContentAccess
  ) => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new WebhookValidationError([
        { path: [], message: 'request body must be a JSON object: {documentId?, locale?}' },
      ]);
    }
    const unknown = Object.keys(body).filter((k) => k !== 'documentId' && k !== 'locale');
    if (unknown.length)
      throw new WebhookValidationError(
        unknown.map((k) => ({
          path: [k],
          message: `${k} is not a known field (documentId, locale)`,
        }))
      );
    const { documentId, locale } = body as { documentId?: unknown; locale?: unknown };
    if (locale != null && typeof locale !== 'string')
      throw new WebhookValidationError([{ path: ['locale'], message: 'locale must be a string' }]);
    const uid = row.contentType;
    let doc: Record<string, unknown> | null;
    if (documentId === undefined || documentId === null || documentId === '') {
      if (requireDocument)
        throw new WebhookValidationError([
          { path: ['documentId'], message: 'documentId is required' },
        ]);
      doc = sampleDocument((strapi.getModel(uid as any) as any)?.attributes ?? {});
    } else {
      if (typeof documentId !== 'string')
        throw new WebhookValidationError([
          { path: ['documentId'], message: 'documentId must be a string' },
        ]);
      doc = await loadDocument(uid, documentId, (locale as string | null) ?? undefined, access);
      if (!doc)
        throw new WebhookValidationError([
          { path: ['documentId'], message: `document ${documentId} of ${uid} not found` },
        ]);
    }
    return buildContext({
      event: row.events?.[0] ?? 'entry.update',
      uid,
      model: modelName(uid),
      doc,
      previous: null,
      locale: (doc?.locale as string) ?? null,
      user: user ? { id: user.id, email: user.email ?? null } : null,
    });
  };

  return {
    /** Condition result and the exact request for a real document; nothing is sent. */
    async preview(id: unknown, body: unknown, access: ContentAccess): Promise<PreviewResponse> {
      const row = await deps.findRow(id);
      const context = await manualContext(row, body, null, true, access);
      let matches = false;
      let conditionError: string | null = null;
      try {
        matches = evaluateCondition(row.condition, context as any, {
          timeoutMs: cfg().renderTimeoutMs,
        });
      } catch (err) {
        const limited = limitError(err, 'condition');
        if (limited) throw limited;
        conditionError = (err as Error).message;
      }
      try {
        const createdAt = new Date().toISOString();
        const coalesce = normalizeCoalesce(row.coalesce);
        const req = coalesce
          ? await deps.windows.render(
              row,
              openWindow(coalesce, [
                {
                  ...context,
                  uid: row.contentType,
                  documentId: context.documentId,
                  occurredAt: createdAt,
                  user: context.user,
                },
              ])
            )
          : await deps.render(row, context, createdAt);
        const { headers } = deps.sender.signedHeaders(row, req.headers, 'msg_preview', req.body);
        // Secret header values stay masked in a preview.
        const shown = Object.fromEntries(
          Object.entries(headers).map(([k, v]) => [k, req.headers[k] === REDACTED ? REDACTED : v])
        );
        return {
          matches,
          conditionError,
          request: {
            method: req.method,
            url: req.url,
            headers: maskHeaders(shown),
            body: req.body,
          },
          error: null,
        };
      } catch (err) {
        const limited = limitError(err, 'jsonTemplate');
        if (limited) throw limited;
        return { matches, conditionError, request: null, error: (err as Error).message };
      }
    },

    /** Send now (condition ignored), log it, and report the outcome. */
    async test(
      id: unknown,
      body: unknown,
      user: any,
      access: ContentAccess
    ): Promise<TestResponse> {
      const row = await deps.findRow(id);
      const context = await manualContext(row, body, user, false, access);
      const messageId = newMessageId();
      const base = newLogRow(
        row,
        {
          event: 'test',
          contentType: row.contentType,
          targetDocumentId: context.documentId,
          targetLocale: context.locale,
          user: context.user,
        },
        messageId
      );
      let req: RenderedRequest;
      try {
        req = await deps.render(row, context, new Date().toISOString());
      } catch (err) {
        const error = (err as Error).message;
        const log = await logs().create({ data: { ...base, status: 'exhausted', error } });
        const limited = limitError(err, 'jsonTemplate');
        if (limited) throw limited;
        return { status: null, durationMs: 0, responseBody: null, error, logId: log.id };
      }
      const { result: pending, loggedHeaders, note } = deps.sender.send(row, req, messageId);
      const result = await pending;
      const error = isSuccess(result) ? null : failureReason(result);
      const log = await logs().create({
        data: {
          ...base,
          status: error ? 'exhausted' : 'delivered',
          attempts: 1,
          attemptLog: [attemptEntry(result, error, note, req)],
          requestUrl: req.url,
          requestBody: req.body,
          ...attemptColumns(result, loggedHeaders, error),
        },
      });
      return {
        status: result.status,
        durationMs: result.durationMs,
        responseBody: result.body,
        error,
        logId: log.id,
      };
    },
  };
}

export type Manual = ReturnType<typeof createManual>;
