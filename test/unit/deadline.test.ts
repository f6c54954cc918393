import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deadlineSignal } from '../../server/src/send/deadline';

describe('deadlineSignal', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00.030Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('fires no earlier than the deadline and less than one window after it', () => {
    const signal = deadlineSignal(500);
    vi.advanceTimersByTime(499);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(100);
    expect(signal.aborted).toBe(true);
  });

  it('deadlines in one window share a signal; the next window gets another', () => {
    const a = deadlineSignal(500);
    vi.advanceTimersByTime(30);
    const b = deadlineSignal(500);
    vi.advanceTimersByTime(50);
    const c = deadlineSignal(500);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    vi.advanceTimersByTime(500 - 80 + 70);
    expect(a.aborted).toBe(true);
    expect(c.aborted).toBe(false);
    vi.advanceTimersByTime(100);
    expect(c.aborted).toBe(true);
  });

  it('a fired window is not handed out again', () => {
    const a = deadlineSignal(100);
    vi.advanceTimersByTime(200);
    expect(a.aborted).toBe(true);
    vi.setSystemTime(new Date('2026-01-01T00:00:00.030Z'));
    expect(deadlineSignal(100).aborted).toBe(false);
  });

  it('many listeners on one signal raise no leak warning', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const signal = deadlineSignal(1000);
    const listeners = Array.from({ length: 50 }, () => () => {});
    for (const l of listeners) signal.addEventListener('abort', l);
    for (const l of listeners) signal.removeEventListener('abort', l);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});
