import { describe, expect, it } from 'vitest';
import { createGroupCommit, type GroupCommitOptions } from '../../server/src/dispatch/group-commit';

/**
 * The group-commit engine on its own, with an in-memory "transaction" standing in for the
 * database: which items are written together, when, and what a failing write does.
 * (The real outcome UPDATEs are covered by the integration and scale suites.)
 */
function memoryStore(opts: Partial<GroupCommitOptions<number>> = {}) {
  const log = { commits: [] as number[][], written: [] as number[] };
  let failOn = new Set<number>();
  let allFail: Error | null = null;
  const gc = createGroupCommit<number>({
    async write(batch) {
      if (allFail) throw allFail;
      if (batch.some((i) => failOn.has(i)))
        throw new Error(`cannot write ${batch.filter((i) => failOn.has(i))}`);
      await new Promise((r) => setImmediate(r));
      log.commits.push([...batch]);
      log.written.push(...batch);
    },
    waitForWrites: () => null,
    failsAll: (err) => (err as Error).message === 'database away',
    ...opts,
  });
  return {
    gc,
    log,
    failOn: (ids: number[]) => (failOn = new Set(ids)),
    databaseAway: (on: boolean) => (allFail = on ? new Error('database away') : null),
  };
}

const settle = (p: Promise<void>) =>
  p.then(
    () => 'ok',
    (e: Error) => e.message
  );

describe('createGroupCommit', () => {
  it('commits at once when nothing else is in progress', async () => {
    const { gc, log } = memoryStore();
    await gc.record(1);
    expect(log.commits).toEqual([[1]]);
  });

  it('items that finish together while others are in progress share one commit', async () => {
    const { gc, log } = memoryStore({ delayMs: 10_000 });
    gc.sending = 3;
    const done: Promise<void>[] = [];
    for (const i of [1, 2, 3]) {
      gc.sending -= 1;
      done.push(gc.record(i));
    }
    await Promise.all(done);
    // The last one found nobody in progress: one commit for the three.
    expect(log.commits).toEqual([[1, 2, 3]]);
  });

  it('commits after delayMs even if another item is still in progress', async () => {
    const { gc, log } = memoryStore({ delayMs: 20 });
    gc.sending = 1;
    const started = Date.now();
    await gc.record(7);
    expect(log.commits).toEqual([[7]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(gc.sending).toBe(1);
  });

  it('writes at most maxGroup per commit, the rest right after', async () => {
    const { gc, log } = memoryStore({ maxGroup: 3, delayMs: 10_000 });
    gc.sending = 1;
    const done = [1, 2, 3, 4, 5].map((i) => gc.record(i));
    await Promise.all(done);
    expect(log.commits.map((c) => c.length)).toEqual([3, 2]);
    expect(log.written).toEqual([1, 2, 3, 4, 5]);
  });

  it('items recorded during a commit go in the next one', async () => {
    const { gc, log } = memoryStore();
    const first = gc.record(1);
    const second = gc.record(2);
    await Promise.all([first, second]);
    expect(log.commits).toEqual([[1], [2]]);
  });

  it('an item that cannot be written does not lose the others: retried one by one', async () => {
    const s = memoryStore({ delayMs: 10_000 });
    s.failOn([2]);
    s.gc.sending = 1;
    const results = [1, 2, 3].map((i) => settle(s.gc.record(i)));
    s.gc.sending = 0;
    s.gc.nudge();
    expect(await Promise.all(results)).toEqual(['ok', 'cannot write 2', 'ok']);
    expect(s.log.written).toEqual([1, 3]);
  });

  it('when the whole batch would fail (database away) every item is rejected, no one-by-one retry', async () => {
    const s = memoryStore({ delayMs: 10_000 });
    s.databaseAway(true);
    s.gc.sending = 1;
    const results = [1, 2].map((i) => settle(s.gc.record(i)));
    s.gc.sending = 0;
    s.gc.nudge();
    expect(await Promise.all(results)).toEqual(['database away', 'database away']);
    s.databaseAway(false);
    await s.gc.record(3);
    expect(s.log.commits).toEqual([[3]]);
  });

  it('waits for document writes before each commit', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let waiting = true;
    const s = memoryStore({ waitForWrites: () => (waiting ? gate : null) });
    const done = s.gc.record(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.log.commits).toEqual([]);
    waiting = false;
    open();
    await done;
    expect(s.log.commits).toEqual([[1]]);
  });

  it('flush writes what is pending without waiting for the timer', async () => {
    const { gc, log } = memoryStore({ delayMs: 60_000 });
    gc.sending = 5;
    const done = gc.record(1);
    await gc.flush();
    await done;
    expect(log.commits).toEqual([[1]]);
  });
});
