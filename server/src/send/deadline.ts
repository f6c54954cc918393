import { setMaxListeners } from 'node:events';

/**
 * Abort signals for request deadlines, shared by the requests whose deadlines fall in the same
 * STEP_MS window: a signal fires at its window's end, so a deadline fires late by less than
 * STEP_MS, never early. An AbortSignal and a timer of its own per request (`AbortSignal.timeout`,
 * or a controller and `setTimeout`) cost about a quarter of the CPU of a loopback request
 * through axios (measured: 0.24 against 0.18 ms); axios removes its listener when the
 * exchange is over, so a shared signal holds nothing of a finished request.
 */
const STEP_MS = 100;
const signals = new Map<number, AbortSignal>();

/** A signal that aborts at least `ms` from now (and less than `ms + STEP_MS`). */
export function deadlineSignal(ms: number): AbortSignal {
  const at = Math.ceil((Date.now() + ms) / STEP_MS) * STEP_MS;
  let signal = signals.get(at);
  if (!signal) {
    const controller = new AbortController();
    signal = controller.signal;
    // Every request in flight in the window listens: not a leak.
    setMaxListeners(0, signal);
    signals.set(at, signal);
    setTimeout(() => {
      signals.delete(at);
      controller.abort();
    }, at - Date.now()).unref();
  }
  return signal;
}
