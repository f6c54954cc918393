import type { Core } from '@strapi/strapi';
import { buildContext, type EventContext } from '../../render/context';
import type { RenderedRequest } from '../../render/request';
import type { WebhookRow } from '../../definitions/types';
import { CONTEXT_UID } from '../../plugin';
import { queueDb, tableFor } from '../../outbox/rows';

/**
 * Captured changes kept for their deliveries (content-types/context): a retry renders from
 * them when the webhook changed since, or when the first render failed (docs/architecture.md,
 * "Recovery").
 */
export async function loadContext(
  strapi: Core.Strapi,
  contextKey: string
): Promise<Record<string, any> | null> {
  const t = tableFor(strapi, CONTEXT_UID);
  const db = queueDb(strapi);
  const rows = await db.run(db(t.name).select('*').where(t.col('contextKey'), contextKey).limit(1));
  return rows.length ? t.fromRow(rows[0]) : null;
}

/** The render of a delivery from its captured change with the webhook `row` as it is now. */
export function createRerender(
  strapi: Core.Strapi,
  render: (row: WebhookRow, context: EventContext, createdAt: string) => Promise<RenderedRequest>
) {
  return async (row: WebhookRow, contextKey: string): Promise<RenderedRequest> => {
    const c = await loadContext(strapi, contextKey);
    if (!c) throw new Error('the captured change is no longer kept');
    const occurredAt =
      c.occurredAt instanceof Date ? c.occurredAt.toISOString() : String(c.occurredAt);
    const context = buildContext({
      event: c.event,
      uid: c.contentType,
      model: (strapi.getModel(c.contentType as any) as any)?.modelName ?? c.contentType,
      doc: c.doc ?? null,
      previous: c.previous ?? null,
      documentId: c.targetDocumentId,
      locale: c.targetLocale ?? null,
      user: c.user ?? null,
    });
    return render(row, context, occurredAt);
  };
}
