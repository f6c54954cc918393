/**
 * The dispatch loop, free of Strapi: what to claim and how to deliver are injected. One
 * loop per Strapi instance; instances coordinate through leases in the shared database.
 *
 * An item goes through three stages here: *queued* (leased, waiting for a slot), *sending*
 * (the HTTP exchange; this is what `concurrency` and `perWebhookConcurrency` limit) and
 * *committing* (its outcome waits for the group commit; its lease, so the order guarantee
 * per document, holds until then). A slot is freed when the exchange ends, not when the
 * outcome is written, and the next item starts from the local queue without a database
 * round trip: claims run ahead while sends are in flight (measured: claiming and committing
 * in the gap between two sends was most of the time of a drain).
 *
 * Slow and hanging receivers do not hold back the others (docs/scaling.md, "Isolation"):
 * `maySend` decides which queued item may start, `planClaim` which claim to make (`slots.ts`).
 */
import { stepRetryDelayMs } from './backoff';
import { maySend, planClaim, REFILL_ROUNDS, SLOW_AFTER_MS } from './slots';

export interface Claimed {
  id: number;
  webhookId: number;
}

export interface WorkerDeps<T extends Claimed> {
  /**
   * Fan out a batch of captured events into deliveries (a small one when `small`); resolves
   * to how many were handled and the webhooks that got new deliveries.
   */
  fanOut(small: boolean): Promise<{ handled: number; webhookIds: number[] }>;
  /**
   * Lease up to `limit` due deliveries, at most `perWebhookLimit` per webhook counting the
   * `held` ones (leased here already), skipping webhooks in `busy`.
   */
  claim(
    limit: number,
    busy: Set<number>,
    held: Map<number, number>,
    perWebhookLimit: number
  ): Promise<T[]>;
  /** Send `item`, call `sent()` when the HTTP exchange is over, resolve once its outcome is written. */
  deliver(item: T, sent: () => void): Promise<void>;
  /** Give back leased items this instance will not start (stop). Without it they wait for their lease to expire. */
  release?(items: T[]): Promise<void>;
  /** Epoch ms of the earliest delivery due in the future, if any. */
  nextDueAt(): Promise<number | null>;
  /** Resolves when the worker may take its next step (foreground work first); null: now. */
  waitForWrites?(): Promise<void> | null;
  /** Whether writes are in progress (the worker then yields, see waitForWrites). */
  writing?(): boolean;
  onError(err: unknown): void;
  /** A step succeeded after one or more failed (the database is back). */
  onRecovered?(): void;
}

export interface WorkerOptions {
  concurrency: number;
  perWebhookConcurrency: number;
  pollIntervalMs: number;
  /** SLOW_AFTER_MS unless given (tests). */
  slowAfterMs?: number;
}

const bump = (m: Map<number, number>, k: number, d: number) => {
  const n = (m.get(k) ?? 0) + d;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
};

export class DeliveryWorker<T extends Claimed> {
  private queue: T[] = [];
  private sending = new Map<number, number>(); // webhookId → HTTP exchanges in flight
  private sendingTotal = 0;
  /** Exchanges in flight for longer than SLOW_AFTER_MS (not counted against `concurrency`). */
  private waiting = 0;
  private held = new Map<number, number>(); // webhookId → items leased here (all stages)
  private heldTotal = 0;
  private running = false;
  private looping = false;
  private launching = false;
  private again = false;
  /** New outbox records may exist (local commit, poll, start). */
  private outboxDirty = true;
  /** A claim may find something it did not last time (a commit freed a document, time passed, new deliveries). */
  private claimable = true;
  /**
   * A webhook holding nothing here may have due deliveries: a local fan-out created some, one
   * has just finished all it held (its next delivery may be due), or the timer ran (retries
   * come due, other instances fan out). Only claimed for separately when the hold is crowded
   * (planClaim), where a claim also tops up the webhooks holding less than a round. Not on
   * every dip below a round: in a drain of several fast webhooks the hold is crowded all along,
   * and small claims in between would multiply the claims per delivery.
   */
  private newcomers = true;
  private timer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];
  /** Loop passes in a row that failed (the database away): the next one waits stepRetryDelayMs. */
  private failures = 0;

  constructor(
    private deps: WorkerDeps<T>,
    private opts: WorkerOptions
  ) {}

  start() {
    this.running = true;
    this.outboxDirty = this.claimable = this.newcomers = true;
    this.kick();
  }

  /**
   * Stop claiming and give back what has not started; resolves when started deliveries
   * have their outcome written (or after `graceMs`).
   */
  async stop(graceMs = 5000) {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // A running loop gives the queue back when it ends.
    if (!this.looping) await this.releaseQueued();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.notifyIdle();
    await Promise.race([
      idle,
      new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
  }

  /** New outbox records were committed: fan them out (calls coalesce). */
  wake() {
    this.outboxDirty = true;
    this.kick();
  }

  private kick() {
    if (!this.running) return;
    if (this.looping) {
      this.again = true;
      return;
    }
    this.looping = true;
    void this.loop();
  }

  private async loop() {
    // Whether this pass reached the database (a pass may have nothing to fan out or claim).
    let reached = false;
    try {
      do {
        this.again = false;
        const wait = this.deps.waitForWrites?.();
        if (wait) await wait;
        if (!this.running) break;
        // Still writing: the wait timed out. Take a small step only (a few records, one round).
        const small = Boolean(wait && this.deps.writing?.());
        if (this.outboxDirty) {
          this.outboxDirty = false;
          // One batch per iteration, then claim and launch: the first deliveries go out while
          // the rest of a burst is still being fanned out.
          const fanned = await this.deps.fanOut(small);
          reached = true;
          if (fanned.handled > 0) {
            this.outboxDirty = this.claimable = this.again = true;
            if (fanned.webhookIds.some((id) => !this.held.has(id))) this.newcomers = true;
          }
        }
        if (!this.running) break;
        this.launchQueued();
        const plan = planClaim(
          {
            held: this.held,
            heldTotal: this.heldTotal,
            queued: this.queue.length,
            claimable: this.claimable,
            newcomers: this.newcomers,
            small,
          },
          this.opts
        );
        if (plan) {
          const items = await this.deps.claim(
            plan.limit,
            plan.busy,
            new Map(this.held),
            plan.perWebhookLimit
          );
          reached = true;
          for (const item of items) {
            this.queue.push(item);
            bump(this.held, item.webhookId, 1);
            this.heldTotal += 1;
          }
          // A short claim: nothing more is due now; wait for a commit, new deliveries or the timer.
          // (A short regular claim looked at every webhook's oldest due rows, newcomers' too.)
          if (items.length < plan.limit) {
            this.newcomers = false;
            if (plan.kind === 'regular') this.claimable = false;
          } else this.again = true;
          if (!this.running) break;
          this.launchQueued();
        }
      } while (this.again && this.running);
      if (reached && this.failures > 0) {
        this.failures = 0;
        this.deps.onRecovered?.();
      }
    } catch (err) {
      this.failures += 1;
      this.deps.onError(err);
    } finally {
      this.looping = false;
    }
    if (!this.running) await this.releaseQueued();
    else await this.schedule();
    this.notifyIdle();
  }

  /**
   * Start queued items in claim order, as far as the global and per-webhook slots allow.
   * Not re-entrant: a delivery that ends synchronously (webhook deleted or disabled) frees its
   * slot from inside `launch`, and this loop picks the slot up itself.
   */
  private launchQueued() {
    if (this.launching || !this.running) return;
    this.launching = true;
    try {
      for (let i = 0; i < this.queue.length;) {
        const item = this.queue[i];
        if (
          maySend(
            this.sending.get(item.webhookId) ?? 0,
            this.sendingTotal - this.waiting,
            this.sendingTotal,
            this.opts
          )
        ) {
          this.queue.splice(i, 1);
          this.launch(item);
        } else i += 1;
      }
    } finally {
      this.launching = false;
    }
  }

  private launch(item: T) {
    this.sendingTotal += 1;
    bump(this.sending, item.webhookId, 1);
    let slotFreed = false;
    let slow = false;
    const slowTimer = setTimeout(() => {
      if (slotFreed) return;
      // Still no response: it waits on the network only, and frees its share of `concurrency`.
      slow = true;
      this.waiting += 1;
      if (!this.deps.writing?.()) this.launchQueued();
      this.kick();
    }, this.opts.slowAfterMs ?? SLOW_AFTER_MS);
    slowTimer.unref();
    const sent = () => {
      if (slotFreed) return;
      slotFreed = true;
      clearTimeout(slowTimer);
      if (slow) this.waiting -= 1;
      this.sendingTotal -= 1;
      bump(this.sending, item.webhookId, -1);
      // The next queued item starts now, even while the loop awaits a claim, unless writes
      // are in progress: then through the loop, which yields to them.
      if (!this.deps.writing?.()) this.launchQueued();
      this.kick();
    };
    let result: Promise<void>;
    try {
      result = this.deps.deliver(item, sent);
    } catch (err) {
      result = Promise.reject(err);
    }
    result
      .catch((err) => this.deps.onError(err))
      .finally(() => {
        sent();
        this.heldTotal -= 1;
        bump(this.held, item.webhookId, -1);
        // Its lease is gone (the next delivery of its document may be claimable now); claim
        // again once the webhook is down to its refill level.
        const held = this.held.get(item.webhookId) ?? 0;
        if (held <= REFILL_ROUNDS * this.opts.perWebhookConcurrency) this.claimable = true;
        if (held === 0) this.newcomers = true;
        this.kick();
        this.notifyIdle();
      });
  }

  private async releaseQueued() {
    const items = this.queue;
    this.queue = [];
    for (const item of items) {
      this.heldTotal -= 1;
      bump(this.held, item.webhookId, -1);
    }
    if (!items.length || !this.deps.release) return;
    try {
      await this.deps.release(items);
    } catch (err) {
      this.deps.onError(err);
    }
  }

  /**
   * Sleep until the next due delivery or the poll interval, whichever is first. While
   * deliveries are in flight their completions wake the loop, so the due time is only
   * looked up when this instance is idle. After a failed pass: the backoff, no query.
   */
  private async schedule() {
    let delay = this.opts.pollIntervalMs;
    if (this.failures > 0) delay = stepRetryDelayMs(this.failures);
    else if (this.heldTotal === 0) {
      try {
        const next = await this.deps.nextDueAt();
        // A due time already past means those rows are busy (leased elsewhere): the poll
        // interval covers expired leases.
        if (next !== null && next > Date.now()) delay = Math.min(delay, next - Date.now());
      } catch (err) {
        this.deps.onError(err);
      }
    }
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.outboxDirty = this.claimable = this.newcomers = true;
      this.kick();
    }, delay);
    this.timer.unref();
  }

  private notifyIdle() {
    // Held but not queued = started (sending or committing).
    if (this.heldTotal === this.queue.length && !this.looping) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }
}
