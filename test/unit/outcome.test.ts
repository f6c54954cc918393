import { describe, expect, it } from 'vitest';
import {
  classifyOutcome,
  failureReason,
  isSuccess,
  type AttemptOutcome,
} from '../../server/src/dispatch/outcome';
import type { SendResult } from '../../server/src/send/send';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const res = (status: number | null, extra: Partial<SendResult> = {}): SendResult => ({
  status,
  headers: {},
  body: null,
  durationMs: 12,
  error: null,
  ...extra,
});
const at = (ms: number) => new Date(NOW + ms);
const base = {
  attemptsMade: 1,
  maxAttempts: 8,
  schedule: [5, 300, 1800],
  now: NOW,
  random: () => 0.5,
};

/** What one attempt's result means for the delivery: the "handle outcome" step, no I/O. */
describe('classifyOutcome', () => {
  const cases: [string, SendResult, Partial<typeof base>, AttemptOutcome][] = [
    ['200 is delivered', res(200), {}, { kind: 'delivered' }],
    ['204 is delivered', res(204), {}, { kind: 'delivered' }],
    ['299 is delivered', res(299), {}, { kind: 'delivered' }],
    [
      '500 on the first attempt: retried after schedule[0]',
      res(500),
      {},
      { kind: 'failed', reason: 'HTTP 500', nextAttemptAt: at(5000) },
    ],
    [
      '500 on the second attempt: schedule[1]',
      res(500),
      { attemptsMade: 2 },
      { kind: 'failed', reason: 'HTTP 500', nextAttemptAt: at(300_000) },
    ],
    [
      'a network error keeps its message as the reason',
      res(null, { error: 'connect ECONNREFUSED 127.0.0.1:9' }),
      {},
      { kind: 'failed', reason: 'connect ECONNREFUSED 127.0.0.1:9', nextAttemptAt: at(5000) },
    ],
    ['410 Gone is exhausted at once', res(410), {}, { kind: 'exhausted', reason: 'HTTP 410' }],
    [
      'attempt budget spent: exhausted',
      res(500),
      { attemptsMade: 8 },
      { kind: 'exhausted', reason: 'HTTP 500' },
    ],
    [
      'maxAttempts 1: the first failure exhausts',
      res(503),
      { maxAttempts: 1 },
      { kind: 'exhausted', reason: 'HTTP 503' },
    ],
    [
      'schedule ran out before the budget: exhausted',
      res(500),
      { attemptsMade: 4 },
      { kind: 'exhausted', reason: 'HTTP 500' },
    ],
    [
      'Retry-After longer than the schedule wins',
      res(429, { headers: { 'retry-after': '120' } }),
      {},
      { kind: 'failed', reason: 'HTTP 429', nextAttemptAt: at(120_000) },
    ],
    [
      'Retry-After shorter than the schedule is ignored',
      res(503, { headers: { 'retry-after': '1' } }),
      {},
      { kind: 'failed', reason: 'HTTP 503', nextAttemptAt: at(5000) },
    ],
    [
      'Retry-After adds no attempt beyond the budget',
      res(429, { headers: { 'retry-after': '120' } }),
      { attemptsMade: 8 },
      { kind: 'exhausted', reason: 'HTTP 429' },
    ],
    [
      'a redirect is a failure naming its Location',
      res(302, { headers: { location: 'http://127.0.0.1/elsewhere' } }),
      {},
      {
        kind: 'failed',
        reason: 'HTTP 302: redirects are not followed (Location: http://127.0.0.1/elsewhere)',
        nextAttemptAt: at(5000),
      },
    ],
    [
      'a redirect without Location',
      res(301),
      {},
      { kind: 'failed', reason: 'HTTP 301: redirects are not followed', nextAttemptAt: at(5000) },
    ],
  ];
  it.each(cases)('%s', (_name, result, input, expected) => {
    expect(classifyOutcome(result, { ...base, ...input })).toEqual(expected);
  });

  it('spreads retries with jitter (±20 % of the scheduled wait)', () => {
    const lo = classifyOutcome(res(500), { ...base, random: () => 0 });
    const hi = classifyOutcome(res(500), { ...base, random: () => 1 });
    expect(lo).toEqual({ kind: 'failed', reason: 'HTTP 500', nextAttemptAt: at(4000) });
    expect(hi).toEqual({ kind: 'failed', reason: 'HTTP 500', nextAttemptAt: at(6000) });
  });
});

describe('isSuccess / failureReason', () => {
  it.each([
    [200, true],
    [299, true],
    [300, false],
    [199, false],
    [null, false],
  ])('status %s → success %s', (status, ok) => expect(isSuccess(res(status))).toBe(ok));

  it('an error message wins over the status', () => {
    expect(failureReason(res(null, { error: 'timeout of 100ms exceeded' }))).toBe(
      'timeout of 100ms exceeded'
    );
    expect(failureReason(res(404))).toBe('HTTP 404');
  });
});
