/** A template could not be rendered: syntax, forbidden construct, time/output/memory limit, runtime error, bad JSON. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}
