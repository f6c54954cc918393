/**
 * User headers a webhook may not set (docs/security.md, "Reserved headers"): refused on save,
 * and skipped at send time in definitions stored before the rule existed.
 */

/** Framing and routing headers: the HTTP client owns them (a forged one desyncs or re-routes the request). */
const TRANSPORT = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
];
/** Headers the plugin sets itself on every request (`webhook-*` is Standard Webhooks' namespace). */
const OWN = ['x-frappe-webhook-signature', 'x-strapi-event'];

/** Why a user header of this name is refused, or null when it may be set. */
export function reservedHeaderReason(name: string): string | null {
  const n = name.toLowerCase();
  if (n === 'content-type') return 'is set from the body type and cannot be overridden';
  if (TRANSPORT.includes(n) || n.startsWith('proxy-'))
    return 'is set by the HTTP client and cannot be overridden';
  if (OWN.includes(n) || n.startsWith('webhook-'))
    return 'is set by the plugin (signatures, event) and cannot be overridden';
  return null;
}

export interface SkippedHeader {
  name: string;
  reason: string;
}

/** The definition's headers that are not sent: reserved names, and later repeats of a name in another case. */
export function skippedHeaders(defined: { name: string }[]): SkippedHeader[] {
  const skipped: SkippedHeader[] = [];
  const seen = new Set<string>();
  for (const { name } of defined) {
    const reason = reservedHeaderReason(name);
    if (reason) skipped.push({ name, reason });
    else if (seen.has(name.toLowerCase()))
      skipped.push({ name, reason: 'repeats a header name in another case' });
    else seen.add(name.toLowerCase());
  }
  return skipped;
}

/** Reserved names the renderer itself sets on every request (render/request.ts replaces any user value). */
const RENDERED = ['content-type', 'x-strapi-event'];

/**
 * The headers of a stored (rendered) request that may go out before the signer adds its own:
 * no reserved name but the renderer's `Content-Type` and `X-Strapi-Event`, each name once
 * (first spelling wins). Signature headers kept from a previous attempt are dropped here too;
 * they are made anew.
 */
export function sendableHeaders(stored: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(stored)) {
    const lower = name.toLowerCase();
    if ((!RENDERED.includes(lower) && reservedHeaderReason(name)) || seen.has(lower)) continue;
    seen.add(lower);
    headers[name] = value;
  }
  return headers;
}

/** The request log's note for an attempt that left headers out (null when none). */
export function skippedHeadersNote(skipped: SkippedHeader[]): string | null {
  if (!skipped.length) return null;
  return `Headers not sent: ${skipped.map((s) => `"${s.name}" ${s.reason}`).join('; ')}`;
}
