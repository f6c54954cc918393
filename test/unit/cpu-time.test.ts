import { describe, expect, it } from 'vitest';
import { processCpuMs, renderTimeLeft, WALL_FACTOR } from '../../server/src/render/cpu-time';

describe('renderTimeLeft: the render limit counts CPU time, capped by the wall clock', () => {
  it.each([
    // [limit, cpu used, wall elapsed, expected]
    [1000, 1000, 1000, 0], // spun the whole time: stop
    [1000, 1200, 1000, 0], // over (ticks are coarse): stop
    [1000, 20, 1000, 980], // waited for the CPU: the rest of its CPU time
    [1000, 995, 1000, 10], // nearly there: one tick, not a tight loop
    [1000, 20, 9500, 500], // the wall-clock cap comes first
    [1000, 20, 1000 * WALL_FACTOR, 0], // cap reached: stop whatever the CPU time
    [1000, null, 1000, 0], // CPU time unknown (not Linux): a wall-clock limit
  ])('limit %i ms, cpu %s ms, wall %i ms → %i ms left', (limit, cpu, wall, expected) => {
    expect(renderTimeLeft(limit, cpu, wall)).toBe(expected);
  });
});

describe('processCpuMs', () => {
  it('reads a live process (this one) on Linux, and grows with work', () => {
    const before = processCpuMs(process.pid);
    if (process.platform !== 'linux') return expect(before).toBeNull();
    expect(before).toEqual(expect.any(Number));
    const until = Date.now() + 100;
    while (Date.now() < until); // ~100 ms of CPU
    expect(processCpuMs(process.pid)! - before!).toBeGreaterThanOrEqual(50);
  });

  it('is null for no process', () => {
    expect(processCpuMs(undefined)).toBeNull();
    expect(processCpuMs(2 ** 30)).toBeNull();
  });
});
