/**
 * Responses are stored and shown (request log, `test`), and a receiver may echo the request it
 * got: secrets and signatures are cut out of the response first (docs/security.md, "Echoed
 * secrets").
 */
import { REDACTED } from '../render/request';

export interface SecretSources {
  /** Signing secrets in use (current and rotated-out). */
  signingSecrets: string[];
  /** Decrypted values of the webhook's secret headers. */
  secretHeaderValues: string[];
  /** Signature header values sent with the request (`webhook-signature`, `X-Frappe-Webhook-Signature`). */
  signatures: string[];
}

/**
 * Every string a response must not carry back, in the spellings an echo commonly uses: as
 * sent, JSON-escaped (`\/`) and percent-encoded. A `whsec_` secret also yields its base64 key
 * part, an `Authorization`-style value (`Bearer x`) its credential, a `webhook-signature`
 * value each `v1,<mac>` and each bare MAC.
 */
export function secretNeedles(src: SecretSources): string[] {
  const base: string[] = [];
  for (const s of src.signingSecrets) {
    base.push(s);
    if (s.startsWith('whsec_')) base.push(s.slice('whsec_'.length));
  }
  for (const v of src.secretHeaderValues) {
    base.push(v);
    const credential = /^[A-Za-z][\w.-]*\s+(\S.*)$/.exec(v)?.[1];
    if (credential) base.push(credential);
  }
  for (const sig of src.signatures) {
    base.push(sig);
    for (const part of sig.split(' ')) base.push(part, part.replace(/^v\d+[a-z]*,/, ''));
  }
  const all = base.flatMap((n) => [
    n,
    n.replace(/[\\"/]/g, (c) => `\\${c}`),
    encodeURIComponent(n),
  ]);
  // Longest first, so a whole secret is replaced rather than the shorter needle inside it.
  return [...new Set(all.filter((n) => n.length > 0))].sort((a, b) => b.length - a.length);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replace every needle in `text` by `[REDACTED]`. A text cut at a size limit (`truncated`)
 * may end inside a needle: a tail that is the beginning of one is replaced too.
 */
export function redactText(text: string, needles: string[], truncated = false): string {
  if (!needles.length || !text) return text;
  let out = text.replace(new RegExp(needles.map(escapeRegExp).join('|'), 'g'), REDACTED);
  if (truncated) {
    let cut = 0;
    for (const n of needles) {
      for (let k = Math.min(n.length - 1, out.length); k > cut; k--) {
        if (out.endsWith(n.slice(0, k))) {
          cut = k;
          break;
        }
      }
    }
    if (cut) out = out.slice(0, out.length - cut) + REDACTED;
  }
  return out;
}

/** A response with needles replaced in its headers (names and values), body and error. */
export function redactResponse<
  T extends {
    headers: Record<string, string>;
    body: string | null;
    error: string | null;
    truncated?: boolean;
  },
>(res: T, needles: string[]): T {
  if (!needles.length) return res;
  return {
    ...res,
    headers: Object.fromEntries(
      Object.entries(res.headers).map(([k, v]) => [redactText(k, needles), redactText(v, needles)])
    ),
    body: res.body === null ? null : redactText(res.body, needles, res.truncated),
    error: res.error === null ? null : redactText(res.error, needles),
  };
}
