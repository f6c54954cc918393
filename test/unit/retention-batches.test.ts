import { describe, expect, it } from 'vitest';
import {
  PURGE_PACING,
  nextBatchSize,
  pauseAfter,
  type PurgePacing,
} from '../../server/src/retention/batches';

const P: PurgePacing = {
  startRows: 500,
  minRows: 100,
  maxRows: 5000,
  targetMs: 20,
  minPauseMs: 5,
  maxPauseMs: 500,
};

describe('retention purge pacing', () => {
  it.each([
    // rows, elapsedMs → next
    [500, 20, 500], // on target: unchanged
    [500, 10, 1000], // twice as fast: doubled
    [500, 1, 1000], // much faster: at most ×2 per step
    [500, 0, 1000], // unmeasurably fast: ×2
    [500, 40, 250], // twice as slow: halved
    [500, 4000, 250], // one very slow batch: at most ÷2
    [150, 100, 100], // never below minRows
    [4000, 5, 5000], // never above maxRows
    [1000, 25, 800], // proportional in between
  ])('%i rows in %i ms → next batch %i rows', (rows, ms, next) => {
    expect(nextBatchSize(rows, ms, P)).toBe(next);
  });

  it.each([
    [0, 5],
    [3, 5],
    [24.8, 12],
    [960, 480],
    [9000, 500],
  ])('a batch of %f ms → pause %i ms', (ms, pause) => {
    expect(pauseAfter(ms, P)).toBe(pause);
  });

  it('the defaults start inside their bounds and keep the pause bounded', () => {
    expect(PURGE_PACING.startRows).toBeGreaterThanOrEqual(PURGE_PACING.minRows);
    expect(PURGE_PACING.startRows).toBeLessThanOrEqual(PURGE_PACING.maxRows);
    expect(pauseAfter(1e9)).toBe(PURGE_PACING.maxPauseMs);
  });
});
