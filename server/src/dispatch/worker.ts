/**
 * The dispatch loop, free of Strapi: what to claim and how to deliver are injected. One
 * loop per Strapi instance; instances coordinate through leases in the shared database.
 */
export interface Claimed {
  id: number;
  webhookId: number;
}

export interface WorkerDeps<T extends Claimed> {
  /** Fan out a batch of captured events into deliveries; resolves to how many were handled. */
  fanOut(): Promise<number>;
  /** Lease up to `limit` due deliveries, skipping webhooks in `busy` (at their concurrency cap). */
  claim(limit: number, busy: Set<number>): Promise<T[]>;
  deliver(item: T): Promise<void>;
  /**
   * Give back leased items this instance will not start now (the claim is per call, it does
   * not know what is already in flight here per webhook). Optional: without it they wait for
   * their lease to expire.
   */
  release?(items: T[]): Promise<void>;
  /** Epoch ms of the earliest delivery due in the future, if any. */
  nextDueAt(): Promise<number | null>;
  onError(err: unknown): void;
}

export interface WorkerOptions {
  concurrency: number;
  perWebhookConcurrency: number;
  pollIntervalMs: number;
}

export class DeliveryWorker<T extends Claimed> {
  private inFlight = new Map<number, number>(); // webhookId → deliveries in flight
  private total = 0;
  private running = false;
  private looping = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(private deps: WorkerDeps<T>, private opts: WorkerOptions) {}

  start() {
    this.running = true;
    this.wake();
  }

  /** Stop claiming; resolves when in-flight deliveries have finished (or after `graceMs`). */
  async stop(graceMs = 5000) {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.total === 0 && !this.looping) return;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
  }

  /** Something was enqueued or finished: run the loop now (calls coalesce). */
  wake() {
    if (!this.running) return;
    if (this.looping) {
      this.again = true;
      return;
    }
    this.looping = true;
    void this.loop();
  }

  get inFlightCount() {
    return this.total;
  }

  private async loop() {
    try {
      do {
        this.again = false;
        // Fan out until the outbox is empty, so deliveries exist before we claim them.
        while (this.running && (await this.deps.fanOut()) > 0);
        if (!this.running) break;
        const free = this.opts.concurrency - this.total;
        if (free > 0) {
          const busy = new Set([...this.inFlight].filter(([, n]) => n >= this.opts.perWebhookConcurrency).map(([id]) => id));
          const items = await this.deps.claim(free, busy);
          // `busy` only names webhooks already at their cap: a claim can still return more rows
          // of one webhook than it has free slots here. Start what fits, give back the rest.
          const excess: T[] = [];
          for (const item of items) {
            if ((this.inFlight.get(item.webhookId) ?? 0) >= this.opts.perWebhookConcurrency) excess.push(item);
            else this.launch(item);
          }
          if (excess.length && this.deps.release) await this.deps.release(excess);
          // A full batch may mean more is due right away.
          if (items.length === free && this.total < this.opts.concurrency) this.again = true;
        }
      } while (this.again && this.running);
    } catch (err) {
      this.deps.onError(err);
    } finally {
      this.looping = false;
    }
    if (this.running) await this.schedule();
    this.notifyIdle();
  }

  private launch(item: T) {
    this.total += 1;
    this.inFlight.set(item.webhookId, (this.inFlight.get(item.webhookId) ?? 0) + 1);
    this.deps
      .deliver(item)
      .catch((err) => this.deps.onError(err))
      .finally(() => {
        this.total -= 1;
        const n = (this.inFlight.get(item.webhookId) ?? 1) - 1;
        if (n <= 0) this.inFlight.delete(item.webhookId);
        else this.inFlight.set(item.webhookId, n);
        this.wake();
        this.notifyIdle();
      });
  }

  /** Sleep until the next due delivery or the poll interval, whichever is first. */
  private async schedule() {
    let delay = this.opts.pollIntervalMs;
    try {
      const next = await this.deps.nextDueAt();
      // A due time already past means those rows are busy (in flight here or leased
      // elsewhere): completions wake us, and the poll interval covers expired leases.
      if (next !== null && next > Date.now()) delay = Math.min(delay, next - Date.now());
    } catch (err) {
      this.deps.onError(err);
    }
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wake();
    }, delay);
    this.timer.unref();
  }

  private notifyIdle() {
    if (this.total === 0 && !this.looping) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }
}
