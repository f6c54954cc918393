import type { SendResult } from '../send/send';
import { nextAttemptDelayMs, parseRetryAfter } from './backoff';

/**
 * What one attempt's result means for its delivery (the "handle outcome" step of
 * prepare → call → handle outcome): delivered, failed with its next attempt, or exhausted.
 */
export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'failed'; reason: string; nextAttemptAt: Date }
  | { kind: 'exhausted'; reason: string };

export interface OutcomeInput {
  /** Attempts made, including this one. */
  attemptsMade: number;
  maxAttempts: number;
  /** Retry schedule in seconds (config `retrySchedule`). */
  schedule: readonly number[];
  now?: number;
  random?: () => number;
}

export const isSuccess = (r: SendResult): boolean =>
  r.status !== null && r.status >= 200 && r.status < 300;

/** The reason a failed attempt is logged with. */
export const failureReason = (r: SendResult): string =>
  r.error ??
  (r.status !== null && r.status >= 300 && r.status < 400
    ? `HTTP ${r.status}: redirects are not followed${r.headers.location ? ` (Location: ${r.headers.location})` : ''}`
    : `HTTP ${r.status}`);

/**
 * 2xx is delivered; 410 Gone is exhausted at once (the webhook is disabled too: health.ts);
 * anything else is retried on the schedule (a receiver's `Retry-After` honoured) until the
 * attempt budget or the schedule runs out.
 */
export function classifyOutcome(result: SendResult, input: OutcomeInput): AttemptOutcome {
  if (isSuccess(result)) return { kind: 'delivered' };
  const reason = failureReason(result);
  if (result.status === 410) return { kind: 'exhausted', reason };
  const now = input.now ?? Date.now();
  const delay = nextAttemptDelayMs({
    attemptsMade: input.attemptsMade,
    maxAttempts: input.maxAttempts,
    schedule: input.schedule,
    retryAfterMs: parseRetryAfter(result.headers['retry-after'], now),
    random: input.random,
  });
  return delay === null
    ? { kind: 'exhausted', reason }
    : { kind: 'failed', reason, nextAttemptAt: new Date(now + delay) };
}
