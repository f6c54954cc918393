/**
 * Pacing of the request-log retention purge (docs/scaling.md, "Request-log retention"): it
 * deletes in batches sized so that one batch takes about `targetMs`, and pauses after each for
 * half as long as it took. A document write waits behind at most one short statement (on
 * SQLite, one writer at a time, it would otherwise wait for the whole purge), and the writes
 * get at least a third of the database's time while a large backlog is purged.
 */
export interface PurgePacing {
  /** Rows in the first batch. */
  startRows: number;
  minRows: number;
  maxRows: number;
  /** Aimed-for duration of one batch (its SELECT of ids and its DELETE). */
  targetMs: number;
  minPauseMs: number;
  maxPauseMs: number;
}

export const PURGE_PACING: PurgePacing = {
  startRows: 500,
  minRows: 200,
  maxRows: 5000,
  targetMs: 10,
  minPauseMs: 2,
  maxPauseMs: 500,
};

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/**
 * The size of the next batch after one of `rows` rows took `elapsedMs`: scaled towards
 * `targetMs`, by at most ×2 or ÷2 per step (one slow statement — a checkpoint, a busy
 * neighbour — must not collapse the batch size, nor one fast one blow it up).
 */
export function nextBatchSize(
  rows: number,
  elapsedMs: number,
  p: PurgePacing = PURGE_PACING
): number {
  const factor = elapsedMs > 0 ? clamp(p.targetMs / elapsedMs, 0.5, 2) : 2;
  return Math.round(clamp(rows * factor, p.minRows, p.maxRows));
}

/** The pause after a batch that took `elapsedMs`: half as long as the batch, within the bounds. */
export function pauseAfter(elapsedMs: number, p: PurgePacing = PURGE_PACING): number {
  return Math.round(clamp(elapsedMs / 2, p.minPauseMs, p.maxPauseMs));
}
