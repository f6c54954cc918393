/** Which limit of the sandbox a render or condition ran into (docs/security.md). */
export type SandboxLimit = 'time' | 'memory' | 'output' | 'work';

/** A template could not be rendered: syntax, forbidden construct, time/output/memory limit, runtime error, bad JSON. */
export class RenderError extends Error {
  /** Set when the render was stopped by a sandbox limit rather than by the template's own error. */
  readonly limit?: SandboxLimit;
  constructor(message: string, limit?: SandboxLimit) {
    super(message);
    this.name = 'RenderError';
    if (limit) this.limit = limit;
  }
}
