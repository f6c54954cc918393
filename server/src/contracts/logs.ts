/** The request log as the admin API returns it (docs/api.md); see ./webhooks.ts. */

export const LOG_STATUSES = ['pending', 'delivered', 'failed', 'exhausted'] as const;
export type LogStatus = (typeof LOG_STATUSES)[number];

export interface Attempt {
  at: string;
  status: number | null;
  durationMs: number | null;
  error: string | null;
  note?: string;
  /** The request this attempt sent (null: nothing was sent). */
  method?: string | null;
  url?: string | null;
  /** Kept when a later attempt sent another rendering of the request. */
  requestHeaders?: Record<string, string>;
  requestBody?: string | null;
}

export interface Log {
  id: number;
  webhook: { id: number; name: string };
  event: string;
  uid: string;
  documentId: string | null;
  /** The content type's main field (Content Manager, "Configure the view") in the captured document, else `documentId`. */
  documentTitle: string | null;
  locale: string | null;
  status: LogStatus;
  messageId: string;
  attempts: number;
  attemptLog: Attempt[];
  nextAttemptAt: string | null;
  requestUrl: string | null;
  requestMethod: string | null;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  responseStatus: number | null;
  responseHeaders: Record<string, string>;
  responseBody: string | null;
  error: string | null;
  durationMs: number | null;
  user: { id: number; email: string } | null;
  /** A coalescing window's changes so far (docs/events.md); null for a delivery of one change. */
  changeCount: number | null;
  changes: Record<string, unknown>[] | null;
  /** `POST /logs/:id/retry` can send it again (a stored request or a captured change to render). */
  retryable: boolean;
  /** A retry renders it again with the webhook as it is now: the webhook changed since, or its render failed. */
  rerender: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Pagination {
  page: number;
  pageSize: number;
  pageCount: number;
  total: number;
}
