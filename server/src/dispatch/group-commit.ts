/**
 * Group commit: items that finish together are written together (one transaction, or one
 * statement: it is `write`'s choice). A commit starts when no other item is still in progress
 * (`sending`), when `maxGroup` are pending, or `delayMs` after the first pending one; items
 * that arrive during a commit go in the next one, right after. An item's promise settles once it is written (or cannot be). No database here:
 * `write` is given (services/delivery/deliver.ts writes delivery outcomes with it).
 */
export interface GroupCommitOptions<T> {
  /** Write a batch at once; throws if it could not. */
  write(batch: T[]): Promise<void>;
  /** A promise to wait for before each commit (document writes first), or null: no wait. */
  waitForWrites(): Promise<void> | null;
  /** The whole batch would fail again (e.g. the database is away): no item-by-item retry. */
  failsAll(err: unknown): boolean;
  maxGroup?: number;
  delayMs?: number;
}

export interface GroupCommit<T> {
  /** Items still in progress: while > 0, a commit waits up to `delayMs` for them to join. */
  sending: number;
  record(item: T): Promise<void>;
  /** Commit now if nothing else is about to join the group, else within `delayMs`. */
  nudge(): void;
  /** Resolves once every pending item is written (or rejected). */
  flush(): Promise<void>;
}

/** At most this many items per commit. */
export const MAX_GROUP = 100;
/** Longest wait for other items in progress before committing what is pending. */
export const GROUP_COMMIT_MS = 5;

export function createGroupCommit<T>(opts: GroupCommitOptions<T>): GroupCommit<T> {
  const maxGroup = opts.maxGroup ?? MAX_GROUP;
  const delayMs = opts.delayMs ?? GROUP_COMMIT_MS;
  let pending: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;

  const run = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (flushing) return flushing;
    flushing = (async () => {
      while (pending.length) {
        // Writes first: pending items keep what they hold (e.g. leases) meanwhile.
        const wait = opts.waitForWrites();
        if (wait) await wait;
        const batch = pending.slice(0, maxGroup);
        pending = pending.slice(batch.length);
        try {
          await opts.write(batch.map((p) => p.item));
          batch.forEach((p) => p.resolve());
        } catch (err) {
          if (batch.length === 1 || opts.failsAll(err)) {
            batch.forEach((p) => p.reject(err));
            continue;
          }
          // One item that cannot be written must not lose the others: one by one.
          for (const p of batch) {
            try {
              await opts.write([p.item]);
              p.resolve();
            } catch (e) {
              p.reject(e);
            }
          }
        }
      }
    })().finally(() => {
      flushing = null;
      if (pending.length) void run();
    });
    return flushing;
  };

  const api: GroupCommit<T> = {
    sending: 0,
    record(item) {
      const done = new Promise<void>((resolve, reject) => pending.push({ item, resolve, reject }));
      api.nudge();
      return done;
    },
    nudge() {
      if (!pending.length || flushing) return;
      if (api.sending <= 0 || pending.length >= maxGroup) void run();
      else if (!timer) {
        timer = setTimeout(() => void run(), delayMs);
        timer.unref?.();
      }
    },
    async flush() {
      while (pending.length || flushing) await run();
    },
  };
  return api;
}
