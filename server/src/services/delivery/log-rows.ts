import { newMessageId } from '../../sign/signature';
import type { SendResult } from '../../send/send';
import type { WebhookRow } from '../../definitions/types';

/** What a log row says about the change it delivers (a test send has no captured change). */
export interface LogOrigin {
  event: string;
  contentType: string;
  targetDocumentId: string | null;
  targetLocale: string | null;
  /** The document's main field in the snapshot (services/delivery/titles.ts); null when none. */
  documentTitle?: string | null;
  user: unknown;
}

/**
 * The one place a request-log row (docs/api.md, "Log") is built: fan-out planning,
 * test sends and attempts all go through here, so the rows agree on their fields.
 */
export function newLogRow(row: WebhookRow, origin: LogOrigin, messageId: string = newMessageId()) {
  return {
    webhookId: row.id,
    webhookName: row.name,
    event: origin.event,
    contentType: origin.contentType,
    targetDocumentId: origin.targetDocumentId,
    targetLocale: origin.targetLocale,
    documentTitle: origin.documentTitle ?? null,
    user: origin.user,
    messageId,
    attempts: 0,
    attemptLog: [] as AttemptEntry[],
    requestMethod: row.method,
    requestUrl: row.url,
  };
}

/**
 * The version of a webhook definition a delivery is rendered with: its `updatedAt` (Strapi
 * sets it on every update), to the millisecond whatever the driver returns.
 */
export const definitionVersion = (row: Pick<WebhookRow, 'updatedAt'>): string => {
  const t = new Date(row.updatedAt as any).getTime();
  return Number.isNaN(t) ? String(row.updatedAt) : new Date(t).toISOString();
};

export interface AttemptEntry {
  at: string;
  status: number | null;
  durationMs: number;
  error: string | null;
  note?: string;
  /** Where this attempt sent the request (null: nothing was sent). */
  method?: string | null;
  url?: string | null;
  /** Kept when a later attempt sent another rendering (docs/api.md, "Log"). */
  requestHeaders?: Record<string, string>;
  requestBody?: string | null;
}

/** One entry of `attemptLog`; `note` names the definition's headers left out (reserved names). */
export const attemptEntry = (
  result: SendResult,
  error: string | null,
  note: string | null,
  req: { method: string; url: string } | null
): AttemptEntry => ({
  at: new Date().toISOString(),
  status: result.status,
  durationMs: result.durationMs,
  error,
  ...(note ? { note } : {}),
  method: req?.method ?? null,
  url: req?.url ?? null,
});

/** The columns one attempt fills in: the request as sent (signatures masked) and the response. */
export const attemptColumns = (
  result: SendResult,
  loggedHeaders: Record<string, string>,
  error: string | null
) => ({
  requestHeaders: loggedHeaders,
  responseStatus: result.status,
  responseHeaders: result.headers,
  responseBody: result.body,
  error,
  durationMs: result.durationMs,
});
