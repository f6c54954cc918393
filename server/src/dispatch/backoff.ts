/**
 * Retry timing. Pure functions: the dispatcher decides *whether* a failure is retryable
 * (2xx success, 410 disables, render errors are final, ...); these only decide *when*.
 */

/**
 * Seconds to wait after attempt 1, 2, … (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
 * Shared default: copy it before changing it.
 */
export const DEFAULT_RETRY_SCHEDULE: number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];

/** Upper bound for any single wait, including one asked for by a receiver's Retry-After. */
export const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_JITTER = 0.2;

/**
 * Delay before the next attempt, given how many attempts were already made (>= 1).
 * `schedule[attemptsMade - 1]` seconds, spread by ±`jitter` (default ±20 %) so that many
 * deliveries failing together (receiver outage) do not all come back at the same instant.
 * Returns null once the schedule has no entry for this attempt; the caller additionally
 * stops at the webhook's `maxAttempts`.
 */
export function retryDelayMs(
  attemptsMade: number,
  schedule: readonly number[],
  random: () => number = Math.random,
  jitter: number = DEFAULT_JITTER
): number | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) return null;
  const seconds = schedule[attemptsMade - 1];
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return null;
  const base = seconds * 1000;
  const j = Math.min(Math.max(jitter, 0), 1);
  const r = Math.min(Math.max(random(), 0), 1);
  const min = Math.ceil(base * (1 - j));
  const max = Math.floor(base * (1 + j));
  const value = Math.round(base * (1 + j * (2 * r - 1)));
  return Math.min(Math.max(value, min), max, MAX_RETRY_DELAY_MS);
}

const DELTA_SECONDS = /^\d+$/;
// HTTP-date (RFC 9110 §5.6.7) always starts with a day name: IMF-fixdate "Sun, 06 Nov 1994
// 08:49:37 GMT", obsolete RFC 850 "Sunday, 06-Nov-94 …" or asctime "Sun Nov  6 …". Requiring
// that keeps Date.parse from accepting things like "-5" or "2024" as dates.
const HTTP_DATE_START = /^[A-Za-z]{3}/;

/**
 * Parses a `Retry-After` header value to milliseconds from `now`: delta-seconds or an
 * HTTP-date. Dates in the past give 0; anything larger than 24 h is capped at 24 h (a
 * receiver must not be able to park a delivery for years). Unparseable → null.
 */
export function parseRetryAfter(
  value: string | undefined,
  now: number = Date.now()
): number | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (v === '') return null;
  let ms: number;
  if (DELTA_SECONDS.test(v)) {
    ms = Number(v) * 1000;
  } else if (HTTP_DATE_START.test(v)) {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  } else {
    return null;
  }
  if (!Number.isFinite(ms)) return MAX_RETRY_DELAY_MS;
  return Math.min(Math.max(ms, 0), MAX_RETRY_DELAY_MS);
}

export interface NextAttemptInput {
  /** Attempts already made for this delivery, including the one that just failed. */
  attemptsMade: number;
  maxAttempts: number;
  schedule: readonly number[];
  /** From `parseRetryAfter`, when the failed response carried one (429/503 typically). */
  retryAfterMs?: number | null;
  random?: () => number;
  jitter?: number;
}

/**
 * Delay before the next attempt, or null when the delivery is exhausted (attempt budget
 * spent or schedule has no further entry).
 *
 * Retry-After policy: the receiver may ask us to wait *longer* than the schedule, never
 * shorter: delay = max(scheduled, retryAfter), capped at 24 h. A Retry-After never adds
 * attempts beyond `maxAttempts` or the schedule.
 */
export function nextAttemptDelayMs(input: NextAttemptInput): number | null {
  const { attemptsMade, maxAttempts, schedule, retryAfterMs } = input;
  if (!Number.isFinite(maxAttempts) || attemptsMade >= maxAttempts) return null;
  const scheduled = retryDelayMs(attemptsMade, schedule, input.random, input.jitter);
  if (scheduled === null) return null;
  if (retryAfterMs === null || retryAfterMs === undefined || !Number.isFinite(retryAfterMs))
    return scheduled;
  return Math.min(Math.max(scheduled, retryAfterMs), MAX_RETRY_DELAY_MS);
}

/** First and longest wait of the worker after a failed step (the database away, docs/scaling.md). */
export const STEP_RETRY_BASE_MS = 250;
export const STEP_RETRY_MAX_MS = 5000;

/**
 * Wait before the worker's next step after `failures` (>= 1) steps in a row failed: 250 ms,
 * doubling, capped at 5 s, each drawn from its upper half (jitter) so instances sharing a
 * database that comes back do not all retry at the same instant.
 */
export function stepRetryDelayMs(failures: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(failures) || 1);
  const ceiling = Math.min(STEP_RETRY_MAX_MS, STEP_RETRY_BASE_MS * 2 ** Math.min(n - 1, 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling * (0.5 + r / 2));
}
