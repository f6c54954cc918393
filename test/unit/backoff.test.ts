import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_RETRY_SCHEDULE,
  MAX_RETRY_DELAY_MS,
  nextAttemptDelayMs,
  parseRetryAfter,
  retryDelayMs,
} from '../../server/src/dispatch/backoff';

const HOUR = 3_600_000;

describe('DEFAULT_RETRY_SCHEDULE', () => {
  it('is the documented 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    expect([...DEFAULT_RETRY_SCHEDULE]).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });
});

describe('retryDelayMs', () => {
  it('uses schedule[attemptsMade - 1] and spans exactly ±20 % at the random extremes', () => {
    expect(retryDelayMs(1, DEFAULT_RETRY_SCHEDULE, () => 0.5)).toBe(5000);
    expect(retryDelayMs(1, DEFAULT_RETRY_SCHEDULE, () => 0)).toBe(4000);
    expect(retryDelayMs(1, DEFAULT_RETRY_SCHEDULE, () => 1)).toBe(6000);
    expect(retryDelayMs(2, DEFAULT_RETRY_SCHEDULE, () => 0.5)).toBe(300_000);
    expect(retryDelayMs(7, DEFAULT_RETRY_SCHEDULE, () => 0.5)).toBe(36_000_000);
  });
  it('returns null when the schedule is exhausted or the attempt count is invalid', () => {
    expect(retryDelayMs(8, DEFAULT_RETRY_SCHEDULE)).toBeNull();
    expect(retryDelayMs(0, DEFAULT_RETRY_SCHEDULE)).toBeNull();
    expect(retryDelayMs(1, [])).toBeNull();
    expect(retryDelayMs(1.5, DEFAULT_RETRY_SCHEDULE)).toBeNull();
  });
  it('jitter 0 gives the exact schedule', () => {
    DEFAULT_RETRY_SCHEDULE.forEach((s, i) =>
      expect(retryDelayMs(i + 1, DEFAULT_RETRY_SCHEDULE, Math.random, 0)).toBe(s * 1000)
    );
  });

  it('property: always an integer within [base·(1−j), base·(1+j)]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 86_400 }), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        (schedule, n, r, jitter) => {
          const attempts = (n % schedule.length) + 1;
          const base = schedule[attempts - 1]! * 1000;
          const d = retryDelayMs(attempts, schedule, () => r, jitter)!;
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(Math.ceil(base * (1 - jitter)) - 0);
          expect(d).toBeLessThanOrEqual(
            Math.min(Math.floor(base * (1 + jitter)), MAX_RETRY_DELAY_MS)
          );
        }
      )
    );
  });

  it('property: once null, stays null for every later attempt (monotonic exhaustion)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 15 }), (schedule) => {
        let exhausted = false;
        for (let a = 1; a <= schedule.length + 5; a++) {
          const d = retryDelayMs(a, schedule);
          if (exhausted) expect(d).toBeNull();
          if (d === null) exhausted = true;
          expect(d === null).toBe(a > schedule.length);
        }
      })
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('parses delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });
  it('parses HTTP-dates (IMF-fixdate, RFC 850, asctime)', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wednesday, 01-Jan-25 00:02:00 GMT', now)).toBe(120_000);
    // asctime carries no zone (Date.parse reads it as local time): just check it parses
    expect(parseRetryAfter('Wed Jan  1 00:03:00 2025', now - 86_400_000)).not.toBeNull();
  });
  it('clamps past dates to 0 and caps at 24 h', () => {
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999999999', now)).toBe(MAX_RETRY_DELAY_MS);
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', now)).toBe(MAX_RETRY_DELAY_MS);
  });
  it('rejects garbage, negative and fractional values', () => {
    for (const v of [undefined, '', 'soon', '-5', '1.5', '1e3', '0x10'])
      expect(parseRetryAfter(v, now)).toBeNull();
  });
  it('property: any non-null result is within [0, 24 h]', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.nat().map(String),
          fc.date({ noInvalidDate: true }).map((d) => d.toUTCString())
        ),
        (v) => {
          const r = parseRetryAfter(v, now);
          if (r !== null) {
            expect(r).toBeGreaterThanOrEqual(0);
            expect(r).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
          }
        }
      )
    );
  });
});

describe('nextAttemptDelayMs', () => {
  const mid = () => 0.5;
  it('follows the schedule until maxAttempts', () => {
    expect(
      nextAttemptDelayMs({
        attemptsMade: 1,
        maxAttempts: 8,
        schedule: DEFAULT_RETRY_SCHEDULE,
        random: mid,
      })
    ).toBe(5000);
    expect(
      nextAttemptDelayMs({
        attemptsMade: 7,
        maxAttempts: 8,
        schedule: DEFAULT_RETRY_SCHEDULE,
        random: mid,
      })
    ).toBe(36_000_000);
    expect(
      nextAttemptDelayMs({ attemptsMade: 8, maxAttempts: 8, schedule: DEFAULT_RETRY_SCHEDULE })
    ).toBeNull();
    expect(
      nextAttemptDelayMs({ attemptsMade: 2, maxAttempts: 2, schedule: DEFAULT_RETRY_SCHEDULE })
    ).toBeNull();
    expect(
      nextAttemptDelayMs({ attemptsMade: 1, maxAttempts: 1, schedule: DEFAULT_RETRY_SCHEDULE })
    ).toBeNull();
  });
  it('null when the schedule runs out before maxAttempts', () => {
    expect(nextAttemptDelayMs({ attemptsMade: 3, maxAttempts: 20, schedule: [1, 2] })).toBeNull();
  });
  it('Retry-After can lengthen but never shorten the wait, and is capped at 24 h', () => {
    const base = { attemptsMade: 1, maxAttempts: 8, schedule: DEFAULT_RETRY_SCHEDULE, random: mid };
    expect(nextAttemptDelayMs({ ...base, retryAfterMs: 60_000 })).toBe(60_000);
    expect(nextAttemptDelayMs({ ...base, retryAfterMs: 1000 })).toBe(5000);
    expect(nextAttemptDelayMs({ ...base, retryAfterMs: 48 * HOUR })).toBe(24 * HOUR);
    expect(nextAttemptDelayMs({ ...base, retryAfterMs: null })).toBe(5000);
    // ...and never revives an exhausted delivery
    expect(nextAttemptDelayMs({ ...base, attemptsMade: 8, retryAfterMs: 1000 })).toBeNull();
  });
  it('property: result is null iff attempts are spent or the schedule is exhausted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 12 }),
        fc.option(fc.integer({ min: 0, max: 100 * HOUR })),
        (attemptsMade, maxAttempts, schedule, retryAfterMs) => {
          const d = nextAttemptDelayMs({ attemptsMade, maxAttempts, schedule, retryAfterMs });
          expect(d === null).toBe(attemptsMade >= maxAttempts || attemptsMade > schedule.length);
          if (d !== null) {
            expect(d).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
            if (retryAfterMs !== null)
              expect(d).toBeGreaterThanOrEqual(Math.min(retryAfterMs, MAX_RETRY_DELAY_MS));
          }
        }
      )
    );
  });
});
