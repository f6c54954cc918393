/**
 * How many deliveries the worker (`worker.ts`) holds, starts and claims: pure decisions on its
 * counts, table-tested in test/unit/slots.test.ts (docs/scaling.md, "Isolation").
 */

/** The worker's `concurrency` and `perWebhookConcurrency` (docs/scaling.md). */
export interface SlotLimits {
  concurrency: number;
  perWebhookConcurrency: number;
}

/**
 * Claims run ahead of the sends, in batches. Per webhook this instance holds (queued +
 * sending + committing) at most HOLD_ROUNDS rounds of its slots (`perWebhookConcurrency`),
 * and claims for it again once it holds REFILL_ROUNDS rounds or fewer: one round sending, one
 * in reserve, and each claim brings about two rounds (measured: a claim per 4–5 deliveries was
 * a third of the database work of a drain, and a claim made only once the queue was empty
 * left the slots idle meanwhile). The whole instance holds at most 2 × `concurrency`. A queued
 * item waits a few rounds at most, well inside its lease (and delivery gives back an item
 * whose lease would not outlive its request).
 */
const HOLD_ROUNDS = 4;
export const REFILL_ROUNDS = 2;
const GLOBAL_HOLD_ROUNDS = 2;

/**
 * An exchange still waiting for its response after this long only waits on the network (a
 * socket and a timer, no CPU): it stops counting against `concurrency` (docs/scaling.md,
 * "Isolation"). Healthy receivers answer well within it.
 */
export const SLOW_AFTER_MS = 500;
/** All exchanges in flight, waiting ones included: at most this many rounds of `concurrency` (sockets). */
const NETWORK_ROUNDS = 5;

/**
 * Whether a queued item may start now, its webhook having `ofWebhook` exchanges in flight, the
 * instance `active` ones (in flight for less than SLOW_AFTER_MS) and `total` in all.
 * - A webhook's first exchange is its own: it starts whatever the others hold, so slow or
 *   hanging receivers cannot keep a healthy webhook waiting, even before SLOW_AFTER_MS.
 * - Its further exchanges share `concurrency` with the other webhooks' active exchanges, and
 *   NETWORK_ROUNDS × `concurrency` with all of them.
 */
export function maySend(
  ofWebhook: number,
  active: number,
  total: number,
  opts: SlotLimits
): boolean {
  if (ofWebhook >= opts.perWebhookConcurrency) return false;
  return (
    ofWebhook === 0 || (active < opts.concurrency && total < NETWORK_ROUNDS * opts.concurrency)
  );
}

export interface ClaimState {
  /** Items held here (queued, sending or committing) per webhook, and in all. */
  held: Map<number, number>;
  heldTotal: number;
  queued: number;
  /** A regular claim may find something (see `claimable`). */
  claimable: boolean;
  /** A webhook holding nothing here may have due deliveries (see `newcomers`). */
  newcomers: boolean;
  /** Writes are in progress: a small claim only. */
  small: boolean;
}

export interface ClaimPlan {
  /** `regular`: any webhook below its hold; `newcomers`: webhooks holding less than a round here, up to a round. */
  kind: 'regular' | 'newcomers';
  limit: number;
  busy: Set<number>;
  perWebhookLimit: number;
}

/**
 * The next claim, if any. Regular claims fill the hold (2 × `concurrency`, HOLD_ROUNDS rounds
 * per webhook, oldest due first). Once the hold is crowded (slow webhooks' queued rounds wait
 * for seconds), a claim for the webhooks that hold less than one round (`perWebhookConcurrency`)
 * here tops each up to a round instead: the oldest due rows belong to the webhooks that hold
 * the most, and a regular claim would neither run nor reach the others' rows.
 */
export function planClaim(s: ClaimState, opts: SlotLimits): ClaimPlan | null {
  const per = opts.perWebhookConcurrency;
  const room = GLOBAL_HOLD_ROUNDS * opts.concurrency - s.heldTotal;
  // Claim in batches (half a round at least) unless the queue ran dry.
  const roomy = room > 0 && (room * 2 >= opts.concurrency || s.queued === 0);
  if (roomy) {
    if (!s.claimable) return null;
    const busy = new Set([...s.held].filter(([, n]) => n > REFILL_ROUNDS * per).map(([id]) => id));
    return {
      kind: 'regular',
      limit: s.small ? Math.min(room, per) : room,
      busy,
      perWebhookLimit: HOLD_ROUNDS * per,
    };
  }
  if (!s.newcomers) return null;
  const busy = new Set([...s.held].filter(([, n]) => n >= per).map(([id]) => id));
  return { kind: 'newcomers', limit: s.small ? per : opts.concurrency, busy, perWebhookLimit: per };
}
