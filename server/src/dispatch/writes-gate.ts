/**
 * Document writes in progress in this instance. Deliveries share the event loop (and on
 * SQLite the one connection) with them: measured, a worker delivering next to a run of writes
 * made each write ~1.5× slower. So the worker's steps (fan-out batch, claim, group commit)
 * wait for a moment with no write in progress, or `yieldMs()` at most, so a stream of writes
 * slows deliveries down rather than the other way round.
 */
export function createWritesGate(yieldMs: () => number) {
  let writes = 0;
  let writesDone: { promise: Promise<void>; resolve: () => void } | null = null;
  /** Writes are in progress and the worker is to yield to them. */
  const yielding = () => writes > 0 && yieldMs() > 0;
  return {
    yielding,
    /** null when the worker need not wait (no promise to await on the hot path). */
    waitForWrites(): Promise<void> | null {
      if (!yielding()) return null;
      if (!writesDone) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        writesDone = { promise, resolve };
      }
      return Promise.race([
        writesDone.promise,
        new Promise<void>((r) => setTimeout(r, yieldMs()).unref()),
      ]);
    },
    /** A document write started (+1) or ended (-1). */
    writing(delta: 1 | -1) {
      writes = Math.max(0, writes + delta);
      // Open the gate only if no write starts right after this one (a run of writes, an
      // import): re-checked after the pending I/O callbacks have run.
      if (writes === 0 && writesDone) {
        setImmediate(() => {
          if (writes !== 0 || !writesDone) return;
          writesDone.resolve();
          writesDone = null;
        });
      }
    },
  };
}

export type WritesGate = ReturnType<typeof createWritesGate>;
