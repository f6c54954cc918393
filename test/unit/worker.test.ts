import { describe, expect, it } from 'vitest';
import { DeliveryWorker, type WorkerDeps } from '../../server/src/dispatch/worker';

/**
 * The dispatch loop on its own, with an in-memory queue standing in for the database: what
 * it claims, starts, gives back and how many run at once. (Leases, SKIP LOCKED and the real
 * tables are covered by the integration and scale suites.)
 */
interface Item {
  id: number;
  webhookId: number;
}

function memoryQueue(items: Item[]) {
  const due = [...items];
  const log = {
    claims: [] as number[],
    delivered: [] as number[],
    released: [] as number[],
    maxSending: 0,
    maxPerWebhook: 0,
  };
  const sending = new Map<number, number>();
  let total = 0;
  const claim: WorkerDeps<Item>['claim'] = async (limit, busy, held, perWebhookLimit) => {
    const out: Item[] = [];
    const counts = new Map(held);
    for (let i = 0; i < due.length && out.length < limit;) {
      const it = due[i];
      const n = counts.get(it.webhookId) ?? 0;
      if (busy.has(it.webhookId) || n >= perWebhookLimit) {
        i += 1;
        continue;
      }
      counts.set(it.webhookId, n + 1);
      out.push(it);
      due.splice(i, 1);
    }
    log.claims.push(out.length);
    return out;
  };
  const track = (item: Item, d: number) => {
    total += d;
    sending.set(item.webhookId, (sending.get(item.webhookId) ?? 0) + d);
    log.maxSending = Math.max(log.maxSending, total);
    log.maxPerWebhook = Math.max(log.maxPerWebhook, sending.get(item.webhookId) ?? 0);
  };
  return { due, log, claim, track };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
};

const baseDeps = (q: ReturnType<typeof memoryQueue>): Omit<WorkerDeps<Item>, 'deliver'> => ({
  fanOut: async () => ({ handled: 0, webhookIds: [] }),
  claim: q.claim,
  release: async (items) => {
    q.log.released.push(...items.map((i) => i.id));
    q.due.unshift(...items);
  },
  nextDueAt: async () => null,
  onError: (err) => {
    throw err;
  },
});

const items = (n: number, webhooks: number) =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, webhookId: (i % webhooks) + 1 }));

describe('DeliveryWorker', () => {
  it('delivers every claimed item exactly once within the global and per-webhook limits', async () => {
    const q = memoryQueue(items(300, 3));
    const worker = new DeliveryWorker<Item>(
      {
        ...baseDeps(q),
        deliver: async (item, sent) => {
          q.track(item, 1);
          await new Promise((r) => setTimeout(r, 1 + Math.random() * 3));
          q.track(item, -1);
          sent();
          q.log.delivered.push(item.id);
          // The outcome "commit" after the slot is free (shorter than a send, as measured).
          await new Promise((r) => setImmediate(r));
        },
      },
      // No poll timer in the way: claims driven by completions alone are what this counts
      // (a 50 ms timer on a loaded machine added claims of its own).
      { concurrency: 5, perWebhookConcurrency: 2, pollIntervalMs: 60_000 }
    );
    worker.start();
    await until(() => q.log.delivered.length >= 300);
    await worker.stop();
    expect(new Set(q.log.delivered).size).toBe(300);
    expect(q.log.delivered).toHaveLength(300);
    expect(q.log.maxSending).toBeLessThanOrEqual(5);
    expect(q.log.maxPerWebhook).toBeLessThanOrEqual(2);
    // Claims run ahead in batches, not one per delivery.
    expect(q.log.claims.filter((n) => n > 0).length).toBeLessThan(300 / 2);
  });

  it('deliveries that end synchronously (webhook gone) start each item once', async () => {
    const q = memoryQueue(items(200, 2));
    const seen = new Map<number, number>();
    const worker = new DeliveryWorker<Item>(
      {
        ...baseDeps(q),
        deliver: (item, sent) => {
          seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
          // Like services/delivery/deliver.ts for a deleted webhook: the slot is freed before any await.
          sent();
          return Promise.resolve();
        },
      },
      { concurrency: 20, perWebhookConcurrency: 4, pollIntervalMs: 50 }
    );
    worker.start();
    await until(() => seen.size >= 200);
    await worker.stop();
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it('stop gives back what was claimed but not started, and waits for what was', async () => {
    const q = memoryQueue(items(50, 1));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const started: number[] = [];
    const finished: number[] = [];
    const worker = new DeliveryWorker<Item>(
      {
        ...baseDeps(q),
        deliver: async (item, sent) => {
          started.push(item.id);
          await gate;
          sent();
          finished.push(item.id);
        },
      },
      { concurrency: 10, perWebhookConcurrency: 3, pollIntervalMs: 50 }
    );
    worker.start();
    await until(() => started.length === 3);
    const stopping = worker.stop(5000);
    await until(() => q.log.released.length > 0);
    expect(finished).toHaveLength(0);
    release();
    await stopping;
    expect(finished.sort()).toEqual(started.sort());
    // Nothing claimed is lost: started, or back in the queue.
    expect(started.length + q.due.length).toBe(50);
    expect(q.log.released.every((id) => !started.includes(id))).toBe(true);
  });

  it('waits while writes are in progress (waitForWrites) before its next step', async () => {
    const q = memoryQueue(items(10, 1));
    let open!: () => void;
    let writes = true;
    const gate = new Promise<void>((r) => (open = r));
    const delivered: number[] = [];
    const worker = new DeliveryWorker<Item>(
      {
        ...baseDeps(q),
        waitForWrites: () => (writes ? gate : null),
        writing: () => writes,
        deliver: async (item, sent) => {
          sent();
          delivered.push(item.id);
        },
      },
      { concurrency: 4, perWebhookConcurrency: 4, pollIntervalMs: 50 }
    );
    worker.start();
    // Nothing is claimed while the write is in progress…
    await new Promise((r) => setImmediate(r));
    expect(q.log.claims).toHaveLength(0);
    writes = false;
    open();
    // …and everything is once it ends.
    await until(() => delivered.length === 10);
    await worker.stop();
  });

  it('backs off while steps fail (the database away), reports the recovery once, then delivers everything', async () => {
    const q = memoryQueue(items(20, 2));
    let down = true;
    const attempts: number[] = [];
    const errors: unknown[] = [];
    let recovered = 0;
    const delivered: number[] = [];
    const worker = new DeliveryWorker<Item>(
      {
        ...baseDeps(q),
        claim: (...args) => {
          attempts.push(Date.now());
          return down
            ? Promise.reject(
                Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
              )
            : q.claim(...args);
        },
        deliver: async (item, sent) => {
          sent();
          delivered.push(item.id);
        },
        onError: (err) => errors.push(err),
        onRecovered: () => (recovered += 1),
      },
      // A poll interval far shorter than the backoff: the waits below are the backoff's.
      { concurrency: 4, perWebhookConcurrency: 2, pollIntervalMs: 10 }
    );
    worker.start();
    await until(() => attempts.length >= 4, 10_000);
    down = false;
    await until(() => delivered.length === 20, 10_000);
    await worker.stop();
    const gaps = attempts.slice(1, 4).map((t, i) => t - attempts[i]);
    // 250 ms doubling, drawn from the upper half: ≥ 125, 250, 500 ms (timers may fire late, never early).
    expect(gaps[0]).toBeGreaterThanOrEqual(120);
    expect(gaps[1]).toBeGreaterThanOrEqual(245);
    expect(gaps[2]).toBeGreaterThanOrEqual(495);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(recovered).toBe(1);
    expect(new Set(delivered).size).toBe(20);
  });

  it('a webhook that holds nothing is claimed for and started while slow webhooks hold every slot and the hold', async () => {
    // Six slow webhooks (1–6) with a deep backlog; webhook 7 gets one item now and then.
    const q = memoryQueue(
      Array.from({ length: 600 }, (_, i) => ({ id: i + 1, webhookId: (i % 6) + 1 }))
    );
    const hanging: (() => void)[] = [];
    const delivered: number[] = [];
    let fanned: number[] = [];
    const worker: DeliveryWorker<Item> = new DeliveryWorker<Item>(
      {
        ...baseDeps(q),
        fanOut: async () => {
          const ids = fanned;
          fanned = [];
          return { handled: ids.length, webhookIds: ids.length ? [7] : [] };
        },
        deliver: async (item, sent) => {
          q.track(item, 1);
          if (item.webhookId !== 7) await new Promise<void>((r) => hanging.push(r));
          q.track(item, -1);
          sent();
          delivered.push(item.id);
        },
      },
      // Exchanges count against `concurrency` all along here: the first slot alone lets webhook 7 through.
      { concurrency: 20, perWebhookConcurrency: 4, pollIntervalMs: 60_000, slowAfterMs: 60_000 }
    );
    worker.start();
    // The slow webhooks fill the global slots (20 of their 24) and the hold.
    await until(() => q.log.maxSending >= 20 && q.due.length <= 600 - 40);
    expect(q.log.maxSending).toBe(20);
    for (let n = 0; n < 5; n++) {
      const id = 1000 + n;
      q.due.push({ id, webhookId: 7 });
      fanned = [id];
      worker.wake();
      await until(() => delivered.includes(id), 1000);
    }
    expect(hanging.length).toBe(20);
    hanging.forEach((r) => r());
    await worker.stop(100);
  });

  it('exchanges still waiting after slowAfterMs leave `concurrency` to the others: all slow webhooks send their full share', async () => {
    const q = memoryQueue(
      Array.from({ length: 600 }, (_, i) => ({ id: i + 1, webhookId: (i % 6) + 1 }))
    );
    const hanging: (() => void)[] = [];
    const worker = new DeliveryWorker<Item>(
      {
        ...baseDeps(q),
        deliver: async (item, sent) => {
          q.track(item, 1);
          await new Promise<void>((r) => hanging.push(r));
          q.track(item, -1);
          sent();
        },
      },
      { concurrency: 20, perWebhookConcurrency: 4, pollIntervalMs: 60_000, slowAfterMs: 30 }
    );
    worker.start();
    // 20 at first; once they have waited 30 ms the last 4 start too (6 × 4), no more.
    await until(() => hanging.length === 24);
    await new Promise((r) => setTimeout(r, 100));
    expect(q.log.maxSending).toBe(24);
    expect(q.log.maxPerWebhook).toBe(4);
    hanging.forEach((r) => r());
    await worker.stop(100);
  });
});
