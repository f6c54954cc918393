/**
 * Jobs waiting per key (the webhook), handed out fairly (docs/architecture.md, "Fairness"): the
 * next job is of the key with the fewest jobs running, keys served in turn, and none of a key
 * already at its limit. The renderer counts what runs; this only orders what waits.
 */
export class FairQueue<T> {
  private readonly waiting = new Map<string, T[]>();
  /** The order keys are served in (least recently first). */
  private turns: string[] = [];
  private count = 0;

  /** Jobs waiting, over every key. */
  get size(): number {
    return this.count;
  }

  push(key: string, job: T): void {
    const list = this.waiting.get(key);
    if (list) list.push(job);
    else {
      this.waiting.set(key, [job]);
      this.turns.push(key);
    }
    this.count += 1;
  }

  /**
   * The next job: of the key with the fewest jobs running (`running`), the least recently
   * served first; none of a key that already runs `perKey` jobs. Null when no key may run one.
   */
  take(running: (key: string) => number, perKey: number): T | null {
    let best = -1;
    let bestRunning = Infinity;
    for (let i = 0; i < this.turns.length; i++) {
      const n = running(this.turns[i]);
      if (n < bestRunning && n < perKey) {
        best = i;
        bestRunning = n;
        if (n === 0) break;
      }
    }
    if (best < 0) return null;
    const key = this.turns[best];
    const list = this.waiting.get(key) as T[];
    const job = list.shift() as T;
    this.turns.splice(best, 1);
    if (list.length) this.turns.push(key);
    else this.waiting.delete(key);
    this.count -= 1;
    return job;
  }

  /** Removes every waiting job and returns them. */
  drain(): T[] {
    const jobs = [...this.waiting.values()].flat();
    this.waiting.clear();
    this.turns = [];
    this.count = 0;
    return jobs;
  }
}
