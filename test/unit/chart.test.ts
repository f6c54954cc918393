import { describe, expect, it } from 'vitest';
import {
  labelIndexes,
  linePath,
  linePoints,
  niceScale,
  stackedBars,
  totals,
} from '../../admin/src/utils/chart';

const bucket = (delivered: number, failed = 0, exhausted = 0, p50Ms: number | null = null) => ({
  start: '2026-11-30T00:00:00.000Z',
  delivered,
  failed,
  exhausted,
  p50Ms,
  p95Ms: p50Ms,
});
const box = { width: 140, height: 120, left: 20, right: 20, top: 10, bottom: 10 };

describe('niceScale', () => {
  it.each([
    [0, false, 1, [0, 1]],
    [1, true, 1, [0, 1]],
    [3, true, 3, [0, 1, 2, 3]],
    [7, true, 8, [0, 2, 4, 6, 8]],
    [87, true, 100, [0, 50, 100]],
    [87, false, 100, [0, 25, 50, 75, 100]],
    [412, false, 600, [0, 200, 400, 600]],
    [0.3, false, 0.3, [0, 0.1, 0.2, 0.3]],
  ])('max %d (integer %s) → %d with ticks %j', (max, integer, top, ticks) => {
    expect(niceScale(max, 4, integer)).toEqual({ max: top, ticks });
  });

  it('always covers the value with 2 to 6 ticks', () => {
    for (const v of [1, 2, 5, 9, 11, 99, 101, 999, 1234, 30_000]) {
      for (const integer of [true, false]) {
        const s = niceScale(v, 4, integer);
        expect(s.max).toBeGreaterThanOrEqual(v);
        expect(s.ticks.at(-1)).toBe(s.max);
        expect(s.ticks.length).toBeGreaterThanOrEqual(2);
        expect(s.ticks.length).toBeLessThanOrEqual(6);
        if (integer) expect(s.ticks.every(Number.isInteger)).toBe(true);
      }
    }
  });
});

describe('stackedBars', () => {
  it('stacks delivered, failed, exhausted from the baseline, scaled to the axis, and skips zeros', () => {
    // Plot 100 × 100 at (20, 10); two slots of 50, bars 35 wide.
    const bars = stackedBars([bucket(5, 3, 2), bucket(0)], box, 10);
    expect(bars).toEqual([
      { kind: 'delivered', x: 27.5, y: 60, width: 35, height: 50 },
      { kind: 'failed', x: 27.5, y: 30, width: 35, height: 30 },
      { kind: 'exhausted', x: 27.5, y: 10, width: 35, height: 20 },
    ]);
  });
});

describe('linePath', () => {
  it.each([
    ['a point per bucket, at the slot middles', [0, 50], 'M45,110L95,60'],
    ['a gap restarts the line', [10, null, 100, 100], 'M32.5,100M82.5,10L107.5,10'],
    ['values above the axis are clipped to its top', [200], 'M70,10'],
    ['nothing to draw', [null, null], ''],
  ] as const)('%s', (_name, values, path) => {
    expect(linePath([...values], box, 100)).toBe(path);
  });
});

describe('linePoints', () => {
  it('puts each value at its slot middle and leaves gaps empty', () => {
    expect(linePoints([0, null, 100, 200], box, 100)).toEqual([
      { x: 32.5, y: 110 },
      null,
      { x: 82.5, y: 10 },
      { x: 107.5, y: 10 },
    ]);
  });
});

describe('labelIndexes / totals', () => {
  it.each([
    [24, 6, [3, 7, 11, 15, 19, 23]],
    [7, 7, [0, 1, 2, 3, 4, 5, 6]],
    [30, 6, [4, 9, 14, 19, 24, 29]],
    [3, 6, [0, 1, 2]],
  ])('%i buckets, ~%i labels → %j', (n, count, idx) => {
    expect(labelIndexes(n, count)).toEqual(idx);
  });
  it('sums each status', () => {
    expect(totals([bucket(1, 2, 3), bucket(4, 0, 1)])).toEqual({
      delivered: 5,
      failed: 2,
      exhausted: 4,
    });
  });
});
