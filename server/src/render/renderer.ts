/**
 * Renders untrusted Nunjucks templates in a small pool of child processes.
 *
 * Why processes: a template can allocate without bound (a string doubled 26 times is 128 MB
 * in one allocation), and V8 aborts the whole process when any of its isolates runs out of
 * memory — a worker thread's `resourceLimits` do not prevent that. A child process started
 * with `--max-old-space-size` dies alone; the job fails with a RenderError and the next job
 * gets a fresh process. A job that runs past its time limit gets its process killed (the only
 * way to stop a synchronous loop). Each process patches its private copy of the nunjucks
 * runtime so templates only see plain data (`process.ts` starts one, `worker-source.ts` runs
 * in it).
 *
 * Fairness: jobs carry a key (the webhook). A free process takes the next job of the key with
 * the fewest jobs running, keys served in turn, and one key never holds every process (at
 * most `processes - 1` when there are several): however slow one webhook's templates are, a
 * process is free for the other webhooks' renders (`fair-queue.ts` orders the waiting jobs).
 */
import type { ChildProcess } from 'node:child_process';
import { RenderError, type SandboxLimit } from './errors';
import { checkTemplate } from './template-check';
import { processCpuMs, renderTimeLeft } from './cpu-time';
import { FairQueue } from './fair-queue';
import { killRenderProcess, resolveNunjucks, startRenderProcess, type Reply } from './process';

export { RenderError } from './errors';

export const DEFAULT_RENDER_TIMEOUT_MS = 1000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_RENDER_PROCESSES = 2;
export const DEFAULT_RENDER_MEMORY_MB = 64;

export interface RenderOptions {
  /** Hard wall-clock limit of the render itself (queueing time excluded). Default 1000. */
  timeoutMs?: number;
  /** Maximum size of the output in UTF-8 bytes. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Fair-share key (the webhook id): processes are shared out between keys in turn. */
  key?: string | number;
}

export interface TemplateRendererOptions {
  /** Render processes running at once. Default 2. */
  processes?: number;
  /** Heap limit of a render process (old generation), in MB. Default 64. */
  maxOldGenerationSizeMb?: number;
  /** Jobs allowed to wait before new ones are refused. Default 1000. */
  maxQueueLength?: number;
  /** Compiled templates kept per process. Default 200. */
  cacheSize?: number;
  /** Absolute path of the nunjucks entry point the processes require. Default: resolved from here. */
  nunjucksPath?: string;
}

interface Job {
  id: number;
  key: string;
  source: string;
  contextJson: string;
  timeoutMs: number;
  maxOutputBytes: number;
  resolve: (output: string) => void;
  reject: (err: RenderError) => void;
  timer?: NodeJS.Timeout;
  /** When it was handed to its process, and that process's CPU time then (null: unknown). */
  startedAt?: number;
  cpuAtStart?: number | null;
}

/** One render process and the job it runs. */
interface Slot {
  child: ChildProcess | null;
  ready: boolean;
  job: Job | null;
  /** Tail of the process's stderr: tells a heap-limit abort from other deaths. */
  stderr: string;
  /**
   * The key whose job killed this slot's previous process, until the new one is ready: the
   * restart counts as that key's, so its next job does not take the process the others need.
   */
  blame: string | null;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RenderError(`${name} must be a positive number`);
  }
  return value;
}

export class TemplateRenderer {
  private readonly slots: Slot[];
  private readonly queue = new FairQueue<Job>();
  private readonly running = new Map<string, number>();
  private nextId = 1;
  private closed = false;
  /** Render processes in a row that died before they were ready. */
  private failedStarts = 0;
  private readonly maxOldGenerationSizeMb: number;
  private readonly maxQueueLength: number;
  private readonly cacheSize: number;
  private readonly nunjucksPath: string;

  constructor(options: TemplateRendererOptions = {}) {
    this.maxOldGenerationSizeMb = options.maxOldGenerationSizeMb ?? DEFAULT_RENDER_MEMORY_MB;
    this.maxQueueLength = options.maxQueueLength ?? 1000;
    this.cacheSize = options.cacheSize ?? 200;
    this.nunjucksPath = options.nunjucksPath ?? resolveNunjucks();
    const n = Math.max(1, Math.floor(options.processes ?? DEFAULT_RENDER_PROCESSES));
    this.slots = Array.from({ length: n }, () => ({
      child: null,
      ready: false,
      job: null,
      stderr: '',
      blame: null,
    }));
  }

  /**
   * Statically checks the template (see checkTemplate), then renders it in a render process.
   * Rejects with RenderError on a syntax error, forbidden construct, runtime error, time
   * limit, output limit, memory limit or process crash (`limit` says which limit).
   */
  async render(source: string, context: object, opts: RenderOptions = {}): Promise<string> {
    const problem = checkTemplate(source);
    if (problem) throw new RenderError(problem);
    return this.renderUnchecked(source, context, opts);
  }

  /** Starts the render processes now, so the first renders do not wait for them. */
  warmUp(): void {
    if (this.closed) return;
    for (const slot of this.slots) if (!slot.child) this.spawn(slot);
  }

  /**
   * Renders WITHOUT the static check. Only the render process's runtime guards apply.
   * @internal Exists so tests can prove those guards hold on their own; use {@link render}.
   */
  renderUnchecked(source: string, context: object, opts: RenderOptions = {}): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (this.closed) throw new RenderError('Template renderer is closed');
      if (typeof source !== 'string') throw new RenderError('Template must be a string');
      const timeoutMs = positive(opts.timeoutMs, DEFAULT_RENDER_TIMEOUT_MS, 'timeoutMs');
      const maxOutputBytes = positive(
        opts.maxOutputBytes,
        DEFAULT_MAX_OUTPUT_BYTES,
        'maxOutputBytes'
      );
      if (this.queue.size >= this.maxQueueLength)
        throw new RenderError('Template renderer is overloaded, try again later');
      let contextJson: string;
      try {
        // Plain JSON data is all a template gets: Dates become ISO strings, functions vanish.
        contextJson = JSON.stringify(context ?? {}) ?? '{}';
      } catch (err) {
        throw new RenderError(`Template context cannot be serialised: ${(err as Error).message}`);
      }
      const key = String(opts.key ?? '');
      const job: Job = {
        id: this.nextId++,
        key,
        source,
        contextJson,
        timeoutMs,
        maxOutputBytes,
        resolve,
        reject,
      };
      this.queue.push(key, job);
      this.pump();
    });
  }

  /** Rejects pending renders and stops the processes. */
  async close(): Promise<void> {
    this.closed = true;
    const pending: Job[] = [];
    for (const slot of this.slots) if (slot.job) pending.push(slot.job);
    pending.push(...this.queue.drain());
    for (const job of pending) {
      clearTimeout(job.timer);
      job.reject(new RenderError('Template renderer is closed'));
    }
    await Promise.all(this.slots.map((slot) => this.stop(slot)));
  }

  /**
   * The next job: of the key with the fewest jobs running, the least recently served first;
   * none of a key that already runs on `processes - 1` processes.
   */
  private take(): Job | null {
    const running = (key: string) => {
      let n = this.running.get(key) ?? 0;
      for (const slot of this.slots) if (slot.blame === key) n += 1;
      return n;
    };
    return this.queue.take(running, Math.max(1, this.slots.length - 1));
  }

  private pump(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (this.queue.size === 0) return;
      if (slot.job) continue;
      if (!slot.child) this.spawn(slot);
      if (!slot.ready || !slot.child) continue;
      const job = this.take();
      if (!job) return;
      slot.job = job;
      this.running.set(job.key, (this.running.get(job.key) ?? 0) + 1);
      job.startedAt = Date.now();
      job.cpuAtStart = processCpuMs(slot.child.pid);
      job.timer = setTimeout(() => this.onTimeout(slot, job), job.timeoutMs);
      slot.child.send({
        id: job.id,
        source: job.source,
        contextJson: job.contextJson,
        maxOutputBytes: job.maxOutputBytes,
      });
    }
  }

  /** The slot's job is over (answered, timed out or its process died). */
  private finish(slot: Slot, job: Job): void {
    clearTimeout(job.timer);
    if (slot.job === job) slot.job = null;
    const n = (this.running.get(job.key) ?? 1) - 1;
    if (n > 0) this.running.set(job.key, n);
    else this.running.delete(job.key);
  }

  private spawn(slot: Slot): void {
    const child = startRenderProcess({
      nunjucksPath: this.nunjucksPath,
      cacheSize: this.cacheSize,
      maxOldGenerationSizeMb: this.maxOldGenerationSizeMb,
    });
    slot.child = child;
    slot.ready = false;
    slot.stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      slot.stderr = (slot.stderr + chunk.toString('utf8')).slice(-4096);
    });

    child.on('message', (reply: Reply) => {
      if (slot.child !== child) return;
      if ('type' in reply) {
        slot.ready = true;
        slot.blame = null;
        this.failedStarts = 0;
        this.pump();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== reply.id) return;
      this.finish(slot, job);
      if (reply.ok) job.resolve(reply.output);
      else if (reply.kind === 'output')
        job.reject(
          new RenderError(`Template output exceeds ${job.maxOutputBytes} bytes`, 'output')
        );
      else job.reject(new RenderError(reply.message));
      this.pump();
    });
    child.on('error', (err: Error) => {
      slot.stderr += `\n${err.message}`;
    });
    child.on('exit', (code, signal) => {
      if (slot.child !== child) return; // killed on purpose (timeout/close)
      slot.child = null;
      slot.blame = null;
      const wasReady = slot.ready;
      slot.ready = false;
      const outOfMemory = /heap limit|out of memory/i.test(slot.stderr);
      const limit: SandboxLimit | undefined = outOfMemory ? 'memory' : undefined;
      const message = outOfMemory
        ? `Template rendering exceeded the memory limit (${this.maxOldGenerationSizeMb} MB)`
        : `Template rendering failed: the render process stopped (${signal ?? `exit code ${code}`})${wasReady ? '' : `: ${slot.stderr.trim().split('\n').pop() ?? ''}`}`;
      const job = slot.job;
      if (job) {
        this.finish(slot, job);
        job.reject(new RenderError(message, limit));
        // Restart at once (the pool stays warm), on the account of the key that killed it.
        if (wasReady && !this.closed) {
          this.spawn(slot);
          slot.blame = job.key;
        }
      }
      if (!wasReady && ++this.failedStarts >= 3) {
        // Processes cannot even start: fail waiting jobs instead of respawning forever.
        for (const queued of this.queue.drain()) queued.reject(new RenderError(message));
      }
      this.pump();
    });
  }

  private onTimeout(slot: Slot, job: Job): void {
    if (slot.job !== job) return;
    // The limit is CPU time (cpu-time.ts): a render that waited for the CPU gets the rest of it.
    const now = processCpuMs(slot.child?.pid);
    const used = now === null || job.cpuAtStart == null ? null : now - job.cpuAtStart;
    const left = renderTimeLeft(job.timeoutMs, used, Date.now() - (job.startedAt ?? 0));
    if (left > 0) {
      job.timer = setTimeout(() => this.onTimeout(slot, job), left);
      return;
    }
    this.finish(slot, job);
    // A synchronous loop can only be stopped by killing the process; the new one starts at
    // once (the pool stays warm), on the account of the key that killed it.
    void this.stop(slot);
    if (!this.closed) {
      this.spawn(slot);
      slot.blame = job.key;
    }
    job.reject(new RenderError(`Template rendering exceeded ${job.timeoutMs} ms`, 'time'));
    this.pump();
  }

  private async stop(slot: Slot): Promise<void> {
    const child = slot.child;
    slot.child = null;
    slot.ready = false;
    await killRenderProcess(child);
  }
}
