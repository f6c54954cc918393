import { describe, expect, it } from 'vitest';
import { maySend, planClaim, type ClaimState } from '../../server/src/dispatch/slots';

describe('maySend', () => {
  const opts = { concurrency: 20, perWebhookConcurrency: 4 };
  it.each([
    // [in flight: this webhook, active (< SLOW_AFTER_MS), all] → may start
    [0, 0, 0, true],
    [3, 19, 19, true],
    [4, 10, 10, false], // its own cap
    [1, 20, 20, false], // the shared slots are taken
    [0, 20, 20, true], // but a webhook's first exchange is its own
    [0, 20, 150, true],
    [1, 5, 29, true], // exchanges waiting on the network (24 of 29) leave `concurrency` to the others
    [1, 5, 100, false], // up to 5 × concurrency in flight in all
  ])('webhook %i, active %i, total %i → %s', (ofWebhook, active, total, expected) => {
    expect(maySend(ofWebhook, active, total, opts)).toBe(expected);
  });
});

describe('planClaim', () => {
  const opts = { concurrency: 20, perWebhookConcurrency: 4 };
  const state = (o: Partial<ClaimState> & { held?: Map<number, number> }): ClaimState => {
    const held = o.held ?? new Map();
    return {
      heldTotal: [...held.values()].reduce((a, b) => a + b, 0),
      queued: 0,
      claimable: true,
      newcomers: false,
      small: false,
      ...o,
      held,
    };
  };
  const slow6 = new Map([1, 2, 3, 4, 5, 6].map((id) => [id, 7] as [number, number])); // 42 held: the hold (40) is full
  it.each<[string, ClaimState, ReturnType<typeof planClaim>]>([
    [
      'idle: a regular claim of the whole hold',
      state({}),
      { kind: 'regular', limit: 40, busy: new Set(), perWebhookLimit: 16 },
    ],
    [
      'webhooks above their refill level are skipped',
      state({
        held: new Map([
          [1, 9],
          [2, 8],
        ]),
        queued: 9,
      }),
      { kind: 'regular', limit: 23, busy: new Set([1]), perWebhookLimit: 16 },
    ],
    [
      'writes in progress: one round',
      state({ small: true }),
      { kind: 'regular', limit: 4, busy: new Set(), perWebhookLimit: 16 },
    ],
    ['nothing claimable, room: no claim', state({ claimable: false, newcomers: true }), null],
    [
      'less than half a round of room with a queue: wait (batches)',
      state({ held: new Map([[1, 31]]), queued: 20 }),
      null,
    ],
    [
      'crowded hold, newcomers may be due: one round each of webhooks holding nothing',
      state({ held: slow6, queued: 18, newcomers: true }),
      { kind: 'newcomers', limit: 20, busy: new Set([1, 2, 3, 4, 5, 6]), perWebhookLimit: 4 },
    ],
    [
      'crowded hold, writes in progress: one round',
      state({ held: slow6, queued: 18, newcomers: true, small: true }),
      { kind: 'newcomers', limit: 4, busy: new Set([1, 2, 3, 4, 5, 6]), perWebhookLimit: 4 },
    ],
    ['crowded hold, no newcomer expected: no claim', state({ held: slow6, queued: 18 }), null],
    [
      'crowded hold: webhooks holding less than a round are topped up to one',
      state({
        held: new Map([
          [1, 38],
          [2, 2],
        ]),
        queued: 20,
        newcomers: true,
      }),
      { kind: 'newcomers', limit: 20, busy: new Set([1]), perWebhookLimit: 4 },
    ],
  ])('%s', (_name, s, expected) => {
    expect(planClaim(s, opts)).toEqual(expected);
  });
});
