import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import {
  LATENCY_BINS,
  binCase,
  binOf,
  bucketStarts,
  isRange,
  latencyBin,
  latencyBinSql,
  percentileOf,
  toBuckets,
} from '../../server/src/stats/series';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string) => Date.parse(iso);

describe('bucketStarts', () => {
  it.each([
    [
      '24h',
      '2026-11-30T13:36:00Z',
      24,
      '2026-11-29T14:00:00.000Z',
      '2026-11-30T13:00:00.000Z',
      '2026-11-30T14:00:00.000Z',
    ],
    [
      '24h',
      '2026-11-30T13:00:00Z',
      24,
      '2026-11-29T14:00:00.000Z',
      '2026-11-30T13:00:00.000Z',
      '2026-11-30T14:00:00.000Z',
    ],
    [
      '7d',
      '2026-11-30T13:36:00Z',
      7,
      '2026-11-24T00:00:00.000Z',
      '2026-11-30T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
    ],
    [
      '30d',
      '2026-03-01T00:00:00Z',
      30,
      '2026-01-31T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
      '2026-03-02T00:00:00.000Z',
    ],
  ] as const)(
    '%s at %s: %i buckets from %s to %s, ending %s',
    (range, now, count, first, last, end) => {
      const r = bucketStarts(range, at(now));
      expect(r.starts).toHaveLength(count);
      expect(new Date(r.starts[0]).toISOString()).toBe(first);
      expect(new Date(r.starts[count - 1]).toISOString()).toBe(last);
      expect(new Date(r.end).toISOString()).toBe(end);
      const step = range === '24h' ? H : D;
      expect(r.starts.every((s, i) => i === 0 || s - r.starts[i - 1] === step)).toBe(true);
    }
  );

  it('knows only the three ranges', () => {
    expect(['24h', '7d', '30d'].every(isRange)).toBe(true);
    expect(['1h', '24H', '', undefined, ['24h'], 24].some(isRange)).toBe(false);
  });
});

describe('latencyBin / LATENCY_BINS', () => {
  it('are 1 ms wide below 20 ms and at most 10 % wide above', () => {
    for (let i = 0; i < 20; i++) expect(LATENCY_BINS[i]).toBe(i);
    for (let i = 20; i < LATENCY_BINS.length; i++) {
      expect(LATENCY_BINS[i]).toBeGreaterThan(LATENCY_BINS[i - 1]);
      expect(LATENCY_BINS[i] - LATENCY_BINS[i - 1]).toBeLessThanOrEqual(
        Math.ceil(LATENCY_BINS[i - 1] * 0.1)
      );
    }
    expect(LATENCY_BINS).toHaveLength(113);
    expect(LATENCY_BINS.at(-1)).toBe(120_000);
  });

  it.each([
    [0, 0],
    [7, 7],
    [19, 19],
    [20, 20],
    [21, 20],
    [22, 21],
    [23, 21],
    [24, 21],
    [25, 22],
    [119_999, LATENCY_BINS.length - 2],
    [120_000, LATENCY_BINS.length - 1],
    [10_000_000, LATENCY_BINS.length - 1],
  ])('%i ms falls in bin %i', (ms, bin) => {
    expect(latencyBin(ms)).toBe(bin);
    expect(binOf(ms, LATENCY_BINS)).toBe(bin);
  });

  it('puts every duration up to past two minutes where the bounds say', () => {
    const misplaced: number[] = [];
    for (let ms = 0; ms <= 130_000; ms++) {
      const bin = latencyBin(ms);
      if (LATENCY_BINS[bin] > ms || (bin + 1 < LATENCY_BINS.length && ms >= LATENCY_BINS[bin + 1]))
        misplaced.push(ms);
    }
    expect(misplaced).toEqual([]);
  });

  it('has no duration so close to a bin edge that an engine’s LN could tip it over', () => {
    // Only 20 and 22 ms sit on an edge (20 × 1.1^k is an integer for k ≤ 1): the nudge covers
    // them. Every other duration is far enough that a last-bit difference cannot matter.
    const onEdge: number[] = [];
    const close: number[] = [];
    for (let ms = 20; ms < 120_000; ms++) {
      const x = (Math.log(ms) - Math.log(20)) / Math.log(1.1);
      const gap = Math.abs(x - Math.round(x));
      if (gap < 1e-12) onEdge.push(ms);
      else if (gap <= 1e-7) close.push(ms);
    }
    expect(onEdge).toEqual([20, 22]);
    expect(close).toEqual([]);
  });
});

describe('latencyBinSql', () => {
  // The same SQL runs on PostgreSQL and MariaDB in test/integration/insight.test.ts.
  const db = new Database(':memory:');

  it('computes latencyBin in SQLite for every duration up to past two minutes, -1 for NULL', () => {
    const rows = db
      .prepare(
        `WITH RECURSIVE d(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM d WHERE x < 130000)
         SELECT x, ${latencyBinSql('x')} AS b FROM d`
      )
      .all() as { x: number; b: number }[];
    expect(rows).toHaveLength(130_001);
    expect(rows.filter((r) => r.b !== latencyBin(r.x))).toEqual([]);
    const one = db.prepare(`SELECT ${latencyBinSql('x')} AS b FROM (SELECT ? AS x)`);
    expect((one.get(10_000_000) as any).b).toBe(LATENCY_BINS.length - 1);
    expect((one.get(null) as any).b).toBe(-1);
  });
});

describe('binCase', () => {
  // The generated SQL run by SQLite must put every value where binOf does.
  const db = new Database(':memory:');

  it('matches binOf for bucket starts bound as parameters, in the order of their placeholders', () => {
    const starts = bucketStarts('30d', at('2026-11-30T13:36:00Z')).starts;
    const { sql, bindings } = binCase('x', starts, (v, b) => (b.push(v), '?'));
    expect(bindings).toHaveLength(starts.length - 1);
    // A binary search: log2(30) comparisons deep, not one per bucket.
    expect(sql.match(/CASE/g)!.length).toBe(starts.length - 1);
    const stmt = db.prepare(`SELECT ${sql} AS b FROM (SELECT ? AS x)`);
    fc.assert(
      fc.property(fc.integer({ min: starts[0], max: starts[29] + D - 1 }), (t) => {
        expect((stmt.get(...bindings, t) as any).b).toBe(binOf(t, starts));
      })
    );
  });
});

describe('percentileOf', () => {
  const hist = (values: number[]) => {
    const m = new Map<number, number>();
    for (const v of values) m.set(binOf(v, LATENCY_BINS), (m.get(binOf(v, LATENCY_BINS)) ?? 0) + 1);
    return m;
  };
  const exact = (values: number[], q: number) =>
    [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(q * values.length)) - 1];

  it.each([
    ['empty', [], 0.5, null],
    ['one value', [15], 0.5, 15],
    ['one value in a wider bin reads as its middle', [42], 0.5, 41],
    ['exact below 20 ms', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5],
    ['exact below 20 ms, p95', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95, 10],
    ['beyond the last bin reads as its bound', [200_000, 300_000], 0.5, 120_000],
  ] as const)('%s', (_name, values, q, expected) => {
    expect(percentileOf(hist([...values]), q)).toBe(expected);
  });

  it('is within one bin (≤ 10 %) of the exact nearest-rank percentile', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.95),
        (values, q) => {
          const want = exact(values, q);
          const got = percentileOf(hist(values), q)!;
          expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(1, Math.ceil(want * 0.1)));
        }
      )
    );
  });
});

describe('toBuckets', () => {
  const starts = [
    at('2026-11-30T10:00:00Z'),
    at('2026-11-30T11:00:00Z'),
    at('2026-11-30T12:00:00Z'),
  ];
  it('fills every bucket, sums statuses, keeps untimed deliveries out of the latency', () => {
    const b = toBuckets(starts, [
      { bucket: 0, status: 'delivered', bin: 10, count: 3 },
      { bucket: 0, status: 'delivered', bin: 12, count: 1 },
      { bucket: 0, status: 'failed', bin: -1, count: 2 },
      { bucket: 2, status: 'exhausted', bin: 5, count: 1 },
      { bucket: 2, status: 'pending', bin: 5, count: 9 },
    ]);
    expect(b).toEqual([
      {
        start: '2026-11-30T10:00:00.000Z',
        delivered: 4,
        failed: 2,
        exhausted: 0,
        p50Ms: 10,
        p95Ms: 12,
      },
      {
        start: '2026-11-30T11:00:00.000Z',
        delivered: 0,
        failed: 0,
        exhausted: 0,
        p50Ms: null,
        p95Ms: null,
      },
      {
        start: '2026-11-30T12:00:00.000Z',
        delivered: 0,
        failed: 0,
        exhausted: 1,
        p50Ms: 5,
        p95Ms: 5,
      },
    ]);
  });
});
