import type { WebhookRow } from '../../definitions/types';
import type { PluginConfig } from '../../config';
import { REDACTED, type RenderedRequest } from '../../render/request';
import { FRAPPE_SIGNATURE_HEADER, signatureHeaders } from '../../sign/signature';
import { sendRequest, type SendResult } from '../../send/send';
import { redactResponse, secretNeedles } from '../../send/redact';
import type { SsrfPolicy, createGuardedAgents } from '../../send/ssrf';
import { sendableHeaders, skippedHeaders, skippedHeadersNote } from '../../definitions/headers';

export interface SendDeps {
  cfg: () => PluginConfig;
  /** Secrets at rest (services/secrets.ts). */
  decrypt: (payload: string) => string;
  agents: () => ReturnType<typeof createGuardedAgents>;
  ssrfPolicy: () => SsrfPolicy;
}

/** Decrypted signing secrets, current first, then the rotated-out one while its grace lasts. */
export function signingSecrets(row: WebhookRow, decrypt: (payload: string) => string): string[] {
  const out: string[] = [];
  if (row.secret) out.push(decrypt(row.secret));
  if (
    row.previousSecret &&
    row.previousSecretExpiresAt &&
    Date.parse(row.previousSecretExpiresAt) > Date.now()
  )
    out.push(decrypt(row.previousSecret));
  return out;
}

/** Signatures are never shown or logged: whoever can read logs must not be able to replay a validly signed request. */
export const maskHeaders = (headers: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [
      k,
      k.toLowerCase() === 'webhook-signature' || k.toLowerCase() === 'x-frappe-webhook-signature'
        ? REDACTED
        : v,
    ])
  );

/** The "prepare" and "call" steps of an attempt: secret headers filled in, signed, sent. */
export function createSender(deps: SendDeps) {
  /**
   * The sendable user headers of a stored request (no reserved names: definitions/headers.ts)
   * with secret values filled in, plus fresh signatures; `needles` are the secrets a response
   * must not carry back (send/redact.ts).
   */
  const signedHeaders = (
    row: WebhookRow,
    stored: Record<string, string>,
    messageId: string,
    body: string
  ) => {
    const secretValues = new Map<string, string>(
      (row.headers ?? [])
        .filter((h) => h.secret)
        .map((h) => [h.name.toLowerCase(), deps.decrypt(h.value)])
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(sendableHeaders(stored))) {
      headers[name] = value === REDACTED ? (secretValues.get(name.toLowerCase()) ?? '') : value;
    }
    const secrets = signingSecrets(row, deps.decrypt);
    const signature = signatureHeaders({
      secrets,
      msgId: messageId,
      timestampSeconds: Math.floor(Date.now() / 1000),
      body,
    });
    const needles = secretNeedles({
      signingSecrets: secrets,
      secretHeaderValues: [...secretValues.values()],
      signatures: [signature['webhook-signature'], signature[FRAPPE_SIGNATURE_HEADER]].filter(
        (v): v is string => Boolean(v)
      ),
    });
    return { headers: { ...headers, ...signature }, signature, needles };
  };

  /**
   * One HTTP exchange. The result is redacted (no secret or signature of this request in the
   * response); `note` names the definition's headers that were left out (reserved names).
   */
  const send = (
    row: WebhookRow,
    req: RenderedRequest,
    messageId: string
  ): {
    result: Promise<SendResult>;
    loggedHeaders: Record<string, string>;
    note: string | null;
  } => {
    const note = skippedHeadersNote(skippedHeaders(row.headers ?? []));
    let signed: ReturnType<typeof signedHeaders>;
    try {
      signed = signedHeaders(row, req.headers, messageId, req.body);
    } catch (err) {
      // A secret that no configured key decrypts (encryptionKey changed without
      // previousEncryptionKeys): a failed attempt with its reason, retried on schedule.
      const error = `Not sent: cannot sign or fill in secret headers: ${(err as Error).message}`;
      return {
        result: Promise.resolve({ status: null, headers: {}, body: null, durationMs: 0, error }),
        loggedHeaders: maskHeaders(sendableHeaders(req.headers)),
        note,
      };
    }
    const { headers, signature, needles } = signed;
    const cfg = deps.cfg();
    const result = sendRequest(
      {
        method: req.method,
        url: req.url,
        headers,
        body: req.body,
        timeoutMs: row.timeoutMs ?? cfg.defaultTimeoutMs,
      },
      {
        policy: deps.ssrfPolicy(),
        agents: deps.agents(),
        maxResponseBodyBytes: cfg.maxResponseBodyBytes,
      }
    ).then((r) => redactResponse(r, needles));
    // The log keeps webhook-id/timestamp but not the signatures (as in a preview).
    return {
      result,
      loggedHeaders: maskHeaders({ ...sendableHeaders(req.headers), ...signature }),
      note,
    };
  };

  return { signedHeaders, send };
}

export type Sender = ReturnType<typeof createSender>;
