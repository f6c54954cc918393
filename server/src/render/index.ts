export { RenderError } from './errors';
export { FORBIDDEN_TEMPLATE_NAMES } from './forbidden';
export { checkTemplate, MAX_TEMPLATE_LENGTH } from './template-check';
export {
  TemplateRenderer,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_RENDER_TIMEOUT_MS,
  type RenderOptions,
  type TemplateRendererOptions,
} from './renderer';
export { renderJsonBody, type JsonBodyRenderer } from './json';
