/**
 * Renders untrusted Nunjucks templates off the main thread.
 *
 * One lazily started `worker_threads` Worker runs the templates one at a time (jobs queue in
 * this thread and carry an id). The worker patches its private copy of the nunjucks runtime
 * so templates only see plain data (see worker-source.ts). A job that runs longer than its
 * time limit gets the worker terminated — the only way to stop a synchronous runaway loop —
 * and a fresh worker is started for the next job. Memory bombs hit the worker's heap limit,
 * which also ends up as a RenderError instead of taking Strapi down.
 */
import { Worker } from 'node:worker_threads';
import { RenderError } from './errors';
import { FORBIDDEN_TEMPLATE_NAMES } from './forbidden';
import { checkTemplate } from './template-check';
import { RENDER_WORKER_SOURCE } from './worker-source';

export { RenderError } from './errors';

export const DEFAULT_RENDER_TIMEOUT_MS = 1000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

export interface RenderOptions {
  /** Hard wall-clock limit of the render itself (queueing time excluded). Default 1000. */
  timeoutMs?: number;
  /** Maximum size of the output in UTF-8 bytes. Default 1 MiB. */
  maxOutputBytes?: number;
}

export interface TemplateRendererOptions {
  /** Worker heap limit (old generation), in MB. Default 64. */
  maxOldGenerationSizeMb?: number;
  /** Jobs allowed to wait for the worker before new ones are refused. Default 1000. */
  maxQueueLength?: number;
  /** Compiled templates kept in the worker. Default 200. */
  cacheSize?: number;
  /** Absolute path of the nunjucks entry point the worker requires. Default: resolved from here. */
  nunjucksPath?: string;
}

interface Job {
  id: number;
  source: string;
  contextJson: string;
  timeoutMs: number;
  maxOutputBytes: number;
  resolve: (output: string) => void;
  reject: (err: RenderError) => void;
  timer?: NodeJS.Timeout;
}

type WorkerReply =
  | { type: 'ready' }
  | { id: number; ok: true; output: string }
  | { id: number; ok: false; kind: 'output' | 'render'; message: string };

function resolveNunjucks(): string {
  // `require` is missing in an ESM build; the worker then resolves "nunjucks" from the cwd.
  return typeof require === 'function' ? require.resolve('nunjucks') : 'nunjucks';
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RenderError(`${name} must be a positive number`);
  }
  return value;
}

export class TemplateRenderer {
  private worker: Worker | null = null;
  private ready = false;
  private current: Job | null = null;
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly maxOldGenerationSizeMb: number;
  private readonly maxQueueLength: number;
  private readonly cacheSize: number;
  private readonly nunjucksPath: string;

  constructor(options: TemplateRendererOptions = {}) {
    this.maxOldGenerationSizeMb = options.maxOldGenerationSizeMb ?? 64;
    this.maxQueueLength = options.maxQueueLength ?? 1000;
    this.cacheSize = options.cacheSize ?? 200;
    this.nunjucksPath = options.nunjucksPath ?? resolveNunjucks();
  }

  /**
   * Statically checks the template (see checkTemplate), then renders it in the worker.
   * Rejects with RenderError on a syntax error, forbidden construct, runtime error, time
   * limit, output limit or worker crash.
   */
  async render(source: string, context: object, opts: RenderOptions = {}): Promise<string> {
    const problem = checkTemplate(source);
    if (problem) throw new RenderError(problem);
    return this.renderUnchecked(source, context, opts);
  }

  /**
   * Renders WITHOUT the static check. Only the worker's runtime guards apply.
   * @internal Exists so tests can prove those guards hold on their own; use {@link render}.
   */
  renderUnchecked(source: string, context: object, opts: RenderOptions = {}): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (this.closed) throw new RenderError('Template renderer is closed');
      if (typeof source !== 'string') throw new RenderError('Template must be a string');
      const timeoutMs = positive(opts.timeoutMs, DEFAULT_RENDER_TIMEOUT_MS, 'timeoutMs');
      const maxOutputBytes = positive(opts.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES, 'maxOutputBytes');
      if (this.queue.length >= this.maxQueueLength) throw new RenderError('Template renderer is overloaded, try again later');
      let contextJson: string;
      try {
        // Plain JSON data is all a template gets: Dates become ISO strings, functions vanish.
        contextJson = JSON.stringify(context ?? {}) ?? '{}';
      } catch (err) {
        throw new RenderError(`Template context cannot be serialised: ${(err as Error).message}`);
      }
      this.queue.push({ id: this.nextId++, source, contextJson, timeoutMs, maxOutputBytes, resolve, reject });
      this.pump();
    });
  }

  /** Rejects pending renders and stops the worker. */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = null;
    for (const job of pending) {
      clearTimeout(job.timer);
      job.reject(new RenderError('Template renderer is closed'));
    }
    await this.stopWorker();
  }

  private pump(): void {
    if (this.current || this.queue.length === 0 || this.closed) return;
    if (!this.worker) this.spawn();
    if (!this.ready || !this.worker) return;
    const job = this.queue.shift() as Job;
    this.current = job;
    job.timer = setTimeout(() => this.onTimeout(job), job.timeoutMs);
    this.worker.postMessage({
      id: job.id,
      source: job.source,
      contextJson: job.contextJson,
      maxOutputBytes: job.maxOutputBytes,
    });
  }

  private spawn(): void {
    const worker = new Worker(RENDER_WORKER_SOURCE, {
      eval: true,
      workerData: {
        nunjucksPath: this.nunjucksPath,
        forbiddenNames: [...FORBIDDEN_TEMPLATE_NAMES],
        cacheSize: this.cacheSize,
      },
      resourceLimits: {
        maxOldGenerationSizeMb: this.maxOldGenerationSizeMb,
        maxYoungGenerationSizeMb: 16,
        stackSizeMb: 4,
      },
      // The worker has no business with the parent's environment variables (secrets).
      env: {},
      stdout: false,
      stderr: false,
    });
    // An idle renderer must not keep the process alive; a pending job holds its own timer.
    worker.unref();
    this.worker = worker;
    this.ready = false;
    let failure: Error | undefined;

    worker.on('message', (reply: WorkerReply) => {
      if (this.worker !== worker) return;
      if ('type' in reply) {
        this.ready = true;
        this.pump();
        return;
      }
      const job = this.current;
      if (!job || job.id !== reply.id) return;
      clearTimeout(job.timer);
      this.current = null;
      if (reply.ok) job.resolve(reply.output);
      else if (reply.kind === 'output') job.reject(new RenderError(`Template output exceeds ${job.maxOutputBytes} bytes`));
      else job.reject(new RenderError(reply.message));
      this.pump();
    });
    worker.on('error', (err: Error) => {
      failure = err;
    });
    worker.on('exit', () => {
      if (this.worker !== worker) return; // terminated on purpose (timeout/close)
      this.worker = null;
      const wasReady = this.ready;
      this.ready = false;
      const code = (failure as { code?: string } | undefined)?.code;
      const message =
        code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? 'Template rendering exceeded the memory limit'
          : `Template rendering failed: the render worker stopped${failure ? ` (${failure.message})` : ''}`;
      const job = this.current;
      this.current = null;
      if (job) {
        clearTimeout(job.timer);
        job.reject(new RenderError(message));
      }
      if (!wasReady) {
        // The worker could not even start: fail queued jobs instead of respawning forever.
        for (const queued of this.queue.splice(0)) queued.reject(new RenderError(message));
      }
      this.pump();
    });
  }

  private onTimeout(job: Job): void {
    if (this.current !== job) return;
    this.current = null;
    // A synchronous loop in the worker can only be stopped by terminating the thread.
    void this.stopWorker();
    job.reject(new RenderError(`Template rendering exceeded ${job.timeoutMs} ms`));
    this.pump();
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.ready = false;
    if (worker) await worker.terminate();
  }
}
