/**
 * The variables conditions and templates see (docs/events.md): plain JSON only, so nothing
 * callable can leak into the Jexl or Nunjucks sandbox.
 */
export interface EventContext {
  doc: Record<string, unknown> | null;
  previous: Record<string, unknown> | null;
  event: string;
  uid: string;
  model: string;
  documentId: string | null;
  locale: string | null;
  user: { id: number | string; email?: string | null } | null;
  now: string;
  /** A coalescing window's changes (docs/events.md, "Bursts: coalescing windows"); absent otherwise. */
  changes?: Record<string, unknown>[];
}

export function buildContext(input: {
  event: string;
  uid: string;
  model: string;
  doc: Record<string, unknown> | null;
  previous: Record<string, unknown> | null;
  documentId?: string | null;
  locale: string | null;
  user: EventContext['user'];
  now?: Date;
  changes?: Record<string, unknown>[];
}): EventContext {
  const plain = <T>(v: T): T => (v == null ? v : JSON.parse(JSON.stringify(v)));
  return {
    doc: plain(input.doc),
    previous: plain(input.previous),
    event: input.event,
    uid: input.uid,
    model: input.model,
    documentId: input.documentId ?? (input.doc?.documentId as string | undefined) ?? null,
    locale: input.locale,
    user: plain(input.user),
    now: (input.now ?? new Date()).toISOString(),
    ...(input.changes ? { changes: plain(input.changes) } : {}),
  };
}
