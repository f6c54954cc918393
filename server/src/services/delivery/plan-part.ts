import type { Core } from '@strapi/strapi';
import { evaluateCondition } from '../../condition';
import type { EventContext } from '../../render/context';
import type { RenderedRequest } from '../../render/request';
import type { ClaimedEvent } from '../../outbox/outbox';
import type { WebhookRow } from '../../definitions/types';
import { getPluginConfig } from '../../plugin';
import { normalizeCoalesce, windowKey } from '../../coalesce/window';
import type { Health } from './health';
import { newLogRow } from './log-rows';

export interface PartDeps {
  /** Render a webhook's request (the webhook is the render processes' fair-share key). */
  render: (row: WebhookRow, context: EventContext, createdAt: string) => Promise<RenderedRequest>;
  health: Health;
}

/**
 * What one (outbox record, webhook) part of a fan-out becomes (docs/architecture.md, "Life of
 * a change", step 2): the log row to insert, or null (condition false). The condition, then
 * for a coalescing webhook the window it joins (windows.ts; rendered when the window closes),
 * otherwise the rendered request. The planner (planner.ts) decides when parts run and writes them.
 */
export function createPartPlanner(strapi: Core.Strapi, deps: PartDeps) {
  const cfg = () => getPluginConfig(strapi);
  return async (
    ev: ClaimedEvent,
    row: WebhookRow,
    version: string,
    context: EventContext,
    documentTitle: string | null
  ): Promise<Record<string, unknown> | null> => {
    // `webhookVersion` null: not rendered, so any attempt renders it from the captured context
    // (docs/architecture.md, "Recovery").
    const base = newLogRow(row, {
      event: ev.event,
      contentType: ev.uid,
      targetDocumentId: ev.documentId,
      targetLocale: ev.locale,
      documentTitle,
      user: ev.user,
    });
    const paused = deps.health.paused(row);
    if (paused)
      return {
        ...base,
        status: 'exhausted',
        error: `Not rendered: the webhook was paused. ${paused}`,
      };
    let matches: boolean;
    try {
      matches = evaluateCondition(row.condition, context as any, {
        timeoutMs: cfg().renderTimeoutMs,
      });
    } catch (err) {
      await deps.health.failed(row, err);
      // No captured context: a retry cannot decide whether the condition would hold.
      return {
        ...base,
        status: 'exhausted',
        error: `Condition failed: ${(err as Error).message}`,
        contextKey: null,
      };
    }
    if (!matches) return null;
    const coalesce = normalizeCoalesce(row.coalesce);
    if (coalesce) {
      // Joins a window instead (windows.ts): rendered when the window closes, not now.
      const change = {
        event: ev.event,
        uid: ev.uid,
        documentId: ev.documentId,
        locale: ev.locale,
        occurredAt: ev.occurredAt,
        user: ev.user,
        doc: ev.doc,
        previous: ev.previous,
      };
      return {
        ...base,
        status: 'pending',
        window: { settings: coalesce, key: windowKey(coalesce.by, change), change },
      };
    }
    try {
      const req = await deps.render(row, context, ev.occurredAt);
      deps.health.rendered(row);
      return {
        ...base,
        status: 'pending',
        nextAttemptAt: new Date(),
        requestUrl: req.url,
        requestMethod: req.method,
        requestHeaders: req.headers,
        requestBody: req.body,
        webhookVersion: version,
      };
    } catch (err) {
      // Rendering is deterministic: retrying cannot help, so it is exhausted at once.
      await deps.health.failed(row, err);
      return { ...base, status: 'exhausted', error: (err as Error).message };
    }
  };
}

export type PartPlanner = ReturnType<typeof createPartPlanner>;
