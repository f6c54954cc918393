import type { EventContext } from './context';
import { version } from '../../../package.json';

/** Sent unless the webhook sets its own User-Agent header (docs/events.md). */
export const USER_AGENT = `strapi-plugin-document-webhooks/${version}`;

/** What the render stage needs from the template sandbox. */
export interface Renderer {
  render(
    source: string,
    context: object,
    opts?: { timeoutMs?: number; maxOutputBytes?: number; key?: string | number }
  ): Promise<string>;
}

export interface RenderLimits {
  timeoutMs: number;
  maxOutputBytes: number;
  /** Fair-share key of the render processes (the webhook). */
  key?: string | number;
}

/** The parts of a webhook definition that shape its request. */
export interface RequestDefinition {
  url: string;
  dynamicUrl: boolean;
  method: string;
  bodyType: 'default' | 'json' | 'form';
  jsonTemplate: string | null;
  formFields: { field: string; key: string }[] | null;
  headers: { name: string; value: string; secret: boolean }[] | null;
}

export interface RenderedRequest {
  method: string;
  url: string;
  /** User headers, then X-Strapi-Event, User-Agent (unless set) and Content-Type; secret header values are replaced by REDACTED. */
  headers: Record<string, string>;
  body: string;
}

export const REDACTED = '[REDACTED]';

export class RequestRenderError extends Error {
  /** The sandbox limit the render ran into, if that is what stopped it (render/errors.ts). */
  readonly limit?: string;
  /** The definition field whose template failed. */
  readonly field?: 'url' | 'jsonTemplate';
  constructor(message: string, limit?: string, field?: 'url' | 'jsonTemplate') {
    super(message);
    this.name = 'RequestRenderError';
    if (limit) this.limit = limit;
    if (field) this.field = field;
  }
}

const limitOf = (err: unknown): string | undefined => (err as { limit?: string } | null)?.limit;

/**
 * Strapi's core webhook payload ({event, createdAt, model, uid, entry}) plus `previous` and
 * `documentId`, so receivers written for Strapi's own webhooks keep working. A coalescing
 * window adds its `changes`; a window per webhook is a `batch` of them (docs/events.md).
 */
export function defaultPayload(ctx: EventContext, createdAt: string) {
  if (ctx.changes && ctx.event === 'batch') {
    return {
      event: 'batch',
      createdAt,
      model: ctx.model,
      uid: ctx.uid,
      count: ctx.changes.length,
      changes: ctx.changes,
    };
  }
  return {
    event: ctx.event,
    createdAt,
    model: ctx.model,
    uid: ctx.uid,
    documentId: ctx.documentId,
    locale: ctx.locale,
    entry: ctx.doc,
    previous: ctx.previous,
    ...(ctx.changes ? { changes: ctx.changes } : {}),
  };
}

/** Frappe's form body: one key per mapped field; objects are sent as JSON text. */
export function formBody(
  fields: { field: string; key: string }[],
  doc: Record<string, unknown> | null
): string {
  const params = new URLSearchParams();
  for (const { field, key } of fields) {
    const value = doc?.[field];
    params.append(
      key,
      value == null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value)
    );
  }
  return params.toString();
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Render the request a webhook sends for one event. Secret header values never enter the
 * result: the sender fills them in from the encrypted definition at send time.
 */
export async function renderRequest(
  def: RequestDefinition,
  ctx: EventContext,
  renderer: Renderer,
  limits: RenderLimits,
  createdAt: string
): Promise<RenderedRequest> {
  let url = def.url;
  if (def.dynamicUrl) {
    try {
      url = (await renderer.render(def.url, ctx, limits)).trim();
    } catch (err) {
      throw new RequestRenderError(`URL template failed: ${describe(err)}`, limitOf(err), 'url');
    }
    // What the template produced is data-dependent: an unusable URL is a render error (final),
    // not a network failure to retry for hours.
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      const excerpt = url.length > 200 ? `${url.slice(0, 200)}…` : url;
      throw new RequestRenderError(
        `URL template did not render an absolute http(s) URL: "${excerpt}"`
      );
    }
  }

  const headers: Record<string, string> = {};
  for (const h of def.headers ?? []) headers[h.name] = h.secret ? REDACTED : h.value;

  let body = '';
  let contentType: string | null = 'application/json';
  switch (def.bodyType) {
    case 'json': {
      let rendered: string;
      try {
        rendered = await renderer.render(def.jsonTemplate ?? '', ctx, limits);
      } catch (err) {
        throw new RequestRenderError(
          `JSON template failed: ${describe(err)}`,
          limitOf(err),
          'jsonTemplate'
        );
      }
      try {
        JSON.parse(rendered);
      } catch (err) {
        const excerpt = rendered.length > 200 ? `${rendered.slice(0, 200)}…` : rendered;
        throw new RequestRenderError(
          `Template output is not valid JSON (${describe(err)}): ${excerpt}`
        );
      }
      // Sent as rendered, byte for byte: what the admin wrote is what the receiver gets.
      body = rendered;
      break;
    }
    case 'form':
      body = formBody(def.formFields ?? [], ctx.doc);
      contentType = 'application/x-www-form-urlencoded';
      break;
    default:
      body = JSON.stringify(defaultPayload(ctx, createdAt));
  }
  // GET requests carry no body (many servers and proxies refuse one).
  if (def.method === 'GET') {
    body = '';
    contentType = null;
  }
  // Content-Type always matches the body and X-Strapi-Event the event, whatever the user
  // headers said (receivers route on it, as on Strapi's own webhooks). A User-Agent set on the
  // webhook is kept: some receivers allow-list a client by it.
  let userAgentSet = false;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-type' || lower === 'x-strapi-event') delete headers[name];
    if (lower === 'user-agent') userAgentSet = true;
  }
  headers['X-Strapi-Event'] = ctx.event;
  if (!userAgentSet) headers['User-Agent'] = USER_AGENT;
  if (contentType) headers['Content-Type'] = contentType;
  return { method: def.method, url, headers, body };
}
