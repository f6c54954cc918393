/**
 * Coalescing windows (docs/events.md, "Bursts: coalescing windows"): pure rules for when a
 * window closes and what its one delivery carries. The windows themselves are request-log
 * rows (services/delivery/windows.ts); nothing here touches the database or a clock.
 */
import { COALESCE_BY, type CoalesceBy, type CoalesceSettings } from '../contracts/webhooks';
import type { FieldError } from '../contracts/webhooks';

export { COALESCE_BY };
export type { CoalesceBy, CoalesceSettings };

export const MIN_WINDOW_SECONDS = 1;
export const MAX_WINDOW_SECONDS = 3600;
export const MAX_WAIT_SECONDS = 86400;

/** `maxWaitSeconds` when the definition leaves it out. */
export const defaultMaxWait = (windowSeconds: number) =>
  Math.min(10 * windowSeconds, MAX_WAIT_SECONDS);

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Problems of a `coalesce` value as sent (null is off); each error's path starts with `coalesce`. */
export function coalesceErrors(value: unknown): FieldError[] {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object' || Array.isArray(value))
    return [
      {
        path: ['coalesce'],
        message: 'coalesce must be null or an object { by, windowSeconds, maxWaitSeconds? }',
      },
    ];
  const v = value as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(v)) {
    if (!['by', 'windowSeconds', 'maxWaitSeconds'].includes(key))
      errors.push({ path: ['coalesce', key], message: `coalesce has unknown key "${key}"` });
  }
  if (!(COALESCE_BY as readonly unknown[]).includes(v.by))
    errors.push({
      path: ['coalesce', 'by'],
      message: `coalesce.by must be one of: ${COALESCE_BY.join(', ')}`,
    });
  const window = v.windowSeconds;
  const windowOk = isInt(window) && window >= MIN_WINDOW_SECONDS && window <= MAX_WINDOW_SECONDS;
  if (!windowOk)
    errors.push({
      path: ['coalesce', 'windowSeconds'],
      message: `coalesce.windowSeconds must be an integer from ${MIN_WINDOW_SECONDS} to ${MAX_WINDOW_SECONDS}`,
    });
  const max = v.maxWaitSeconds;
  if (max !== undefined && max !== null) {
    const low = windowOk ? (window as number) : MIN_WINDOW_SECONDS;
    if (!isInt(max) || max < low || max > MAX_WAIT_SECONDS) {
      errors.push({
        path: ['coalesce', 'maxWaitSeconds'],
        message: `coalesce.maxWaitSeconds must be an integer from windowSeconds (${low}) to ${MAX_WAIT_SECONDS}`,
      });
    }
  }
  return errors;
}

/** A valid `coalesce` value with its default filled in (what is stored and returned). */
export function normalizeCoalesce(
  value:
    { by: CoalesceBy; windowSeconds: number; maxWaitSeconds?: number | null } | null | undefined
): CoalesceSettings | null {
  if (!value) return null;
  return {
    by: value.by,
    windowSeconds: value.windowSeconds,
    maxWaitSeconds: value.maxWaitSeconds ?? defaultMaxWait(value.windowSeconds),
  };
}

/** One change of a window, as `changes` lists it. */
export interface WindowChange {
  event: string;
  uid: string;
  documentId: string | null;
  locale: string | null;
  /** ISO time of the change's capture. */
  occurredAt: string;
  user: unknown;
}

/** A change about to join a window: the change and the snapshots it carries. */
export interface Joining extends WindowChange {
  doc: Record<string, unknown> | null;
  previous: Record<string, unknown> | null;
}

/** What an open window keeps (the log row's `coalesce` column). */
export interface WindowState {
  by: CoalesceBy;
  windowSeconds: number;
  maxWaitSeconds: number;
  /** ISO time of the first and last change joined. */
  firstAt: string;
  lastAt: string;
  changes: WindowChange[];
  /** By document: the last change's doc and the first change's previous (by webhook: null). */
  doc: Record<string, unknown> | null;
  previous: Record<string, unknown> | null;
}

/** The window a change joins, per webhook: by document and locale, or one for the whole webhook. */
export function windowKey(
  by: CoalesceBy,
  change: Pick<WindowChange, 'uid' | 'documentId' | 'locale'>
): string {
  return by === 'webhook'
    ? 'webhook'
    : `document:${change.uid}:${change.documentId ?? ''}:${change.locale ?? ''}`;
}

/**
 * When a window closes: `windowSeconds` after its last change (a quiet period) or
 * `maxWaitSeconds` after its first, whichever comes first.
 */
export function closesAt(
  state: Pick<WindowState, 'firstAt' | 'lastAt' | 'windowSeconds' | 'maxWaitSeconds'>
): Date {
  const quiet = Date.parse(state.lastAt) + state.windowSeconds * 1000;
  const max = Date.parse(state.firstAt) + state.maxWaitSeconds * 1000;
  return new Date(Math.min(quiet, max));
}

const changeOf = (c: Joining): WindowChange => ({
  event: c.event,
  uid: c.uid,
  documentId: c.documentId,
  locale: c.locale,
  occurredAt: c.occurredAt,
  user: c.user ?? null,
});

/** A new window opened by `changes[0]`, with the rest joined. */
export function openWindow(settings: CoalesceSettings, changes: Joining[]): WindowState {
  const first = changes[0];
  const state: WindowState = {
    by: settings.by,
    windowSeconds: settings.windowSeconds,
    maxWaitSeconds: settings.maxWaitSeconds,
    firstAt: first.occurredAt,
    lastAt: first.occurredAt,
    changes: [],
    doc: null,
    previous: settings.by === 'document' ? first.previous : null,
  };
  return joinWindow(state, changes);
}

/**
 * `state` with `changes` joined, in order. The window's own rules (window length, maximum
 * wait) stay those it was opened with.
 */
export function joinWindow(state: WindowState, changes: Joining[]): WindowState {
  if (!changes.length) return state;
  const last = changes[changes.length - 1];
  const lastAt = changes.reduce(
    (t, c) => (Date.parse(c.occurredAt) > Date.parse(t) ? c.occurredAt : t),
    state.lastAt
  );
  return {
    ...state,
    lastAt,
    changes: [...state.changes, ...changes.map(changeOf)],
    doc: state.by === 'document' ? last.doc : null,
  };
}

/**
 * Join `changes` (capture order) to `state` while each was captured before the window, as
 * joined so far, closes: a change captured after that starts a window of its own, however
 * late the fan-out got to it. `taken`: how many joined.
 */
export function absorb(
  state: WindowState,
  changes: Joining[]
): { state: WindowState; taken: number } {
  let taken = 0;
  while (
    taken < changes.length &&
    Date.parse(changes[taken].occurredAt) < closesAt(state).getTime()
  ) {
    state = joinWindow(state, [changes[taken]]);
    taken += 1;
  }
  return { state, taken };
}

/** A change may still join a window that has not closed at `now`. */
export const isOpen = (state: Parameters<typeof closesAt>[0], now: Date) =>
  closesAt(state).getTime() > now.getTime();

/**
 * What a closed window delivers: by document, the last change's event and doc, the first
 * change's previous and every change `{ event, occurredAt, user }`; by webhook, the event
 * `batch`, no doc or previous, and every change with its document.
 */
export function windowDelivery(state: WindowState) {
  const last = state.changes[state.changes.length - 1];
  if (state.by === 'webhook') {
    return {
      event: 'batch',
      uid: last?.uid ?? '',
      documentId: null,
      locale: null,
      doc: null,
      previous: null,
      user: last?.user ?? null,
      createdAt: state.lastAt,
      changes: state.changes.map((c) => ({
        event: c.event,
        uid: c.uid,
        documentId: c.documentId,
        locale: c.locale,
        occurredAt: c.occurredAt,
        user: c.user,
      })),
    };
  }
  return {
    event: last?.event ?? '',
    uid: last?.uid ?? '',
    documentId: last?.documentId ?? null,
    locale: last?.locale ?? null,
    doc: state.doc,
    previous: state.previous,
    user: last?.user ?? null,
    createdAt: state.lastAt,
    changes: state.changes.map((c) => ({ event: c.event, occurredAt: c.occurredAt, user: c.user })),
  };
}
