/**
 * One render process: started with its heap limit, an empty environment and a lower CPU
 * priority, and stopped by SIGKILL (the only way to end a synchronous loop). The renderer
 * (`renderer.ts`) keeps a pool of them; what runs inside is `worker-source.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { FORBIDDEN_TEMPLATE_NAMES } from './forbidden';
import { RENDER_WORKER_SOURCE } from './worker-source';

/** Niceness of the render processes (Unix; lower priority than Strapi). */
const RENDER_NICENESS = 10;

/** A render process's messages: ready once started, then one answer per job. */
export type Reply =
  | { type: 'ready' }
  | { id: number; ok: true; output: string }
  | { id: number; ok: false; kind: 'output' | 'render'; message: string };

export interface RenderProcessSettings {
  /** Absolute path of the nunjucks entry point the process requires. */
  nunjucksPath: string;
  /** Compiled templates the process keeps. */
  cacheSize: number;
  /** Heap limit (old generation), in MB. */
  maxOldGenerationSizeMb: number;
}

export function resolveNunjucks(): string {
  // `require` is missing in an ESM build; the process then resolves "nunjucks" from the cwd.
  return typeof require === 'function' ? require.resolve('nunjucks') : 'nunjucks';
}

export function startRenderProcess(settings: RenderProcessSettings): ChildProcess {
  const workerSettings = JSON.stringify({
    nunjucksPath: settings.nunjucksPath,
    forbiddenNames: [...FORBIDDEN_TEMPLATE_NAMES],
    cacheSize: settings.cacheSize,
  });
  const child = spawn(
    process.execPath,
    [
      `--max-old-space-size=${settings.maxOldGenerationSizeMb}`,
      '-e',
      RENDER_WORKER_SOURCE,
      workerSettings,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // The process has no business with the parent's environment variables (secrets), and
      // NODE_OPTIONS must not change its limits.
      env: {},
      serialization: 'json',
      windowsHide: true,
    }
  );
  // A lower CPU priority: a template spinning until its time limit must not slow Strapi's
  // own thread (or the database on the same machine) down.
  try {
    if (child.pid) setPriority(child.pid, RENDER_NICENESS);
  } catch {
    /* not permitted here: renders run at normal priority */
  }
  // Idle render processes must not keep Strapi alive; a pending job holds its own timer.
  child.unref();
  (child as unknown as { channel?: { unref(): void } }).channel?.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  return child;
}

/** Kills the process (if it still runs) and resolves once it has exited. */
export async function killRenderProcess(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}
