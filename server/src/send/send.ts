import axios from 'axios';
import type http from 'node:http';
import type https from 'node:https';
import type { Readable } from 'node:stream';
import { deadlineSignal } from './deadline';
import { checkUrl, type SsrfPolicy } from './ssrf';

export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface SendResult {
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  headers: Record<string, string>;
  /** Response body, cut at the configured cap. */
  body: string | null;
  /** The body was cut at the cap (it may end inside a secret: send/redact.ts). */
  truncated?: boolean;
  durationMs: number;
  /** Why no (successful) response: network error, timeout, SSRF block. */
  error: string | null;
}

export interface SendOptions {
  policy: SsrfPolicy;
  agents: { httpAgent: http.Agent; httpsAgent: https.Agent };
  maxResponseBodyBytes: number;
}

/** Read at most `max` bytes of a response stream, then drop the rest (`truncated`: the cap was reached). */
async function readCapped(
  stream: Readable,
  max: number
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (size + buf.length >= max) {
      chunks.push(buf.subarray(0, max - size));
      size = max;
      truncated = true;
      stream.destroy();
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

const flatHeaders = (headers: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])
  );

const describeError = (err: any, timeoutMs: number): string => {
  if (err?.code === 'ESSRF') return err.message;
  if (
    err?.code === 'ECONNABORTED' ||
    err?.code === 'ETIMEDOUT' ||
    /timeout/i.test(err?.message ?? '')
  ) {
    return `Timeout: no response within ${timeoutMs} ms`;
  }
  const code = err?.code ? `${err.code}: ` : '';
  return `${code}${err?.message ?? String(err)}`;
};

/**
 * One HTTP attempt. Never throws: every failure comes back as `error` so it can be logged.
 * No redirects are followed (a 3xx is a failed attempt), the SSRF guard runs before and at
 * dial time, and the response body is capped.
 */
export async function sendRequest(req: OutgoingRequest, opts: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const check = checkUrl(req.url, opts.policy);
  if (!check.ok)
    return {
      status: null,
      headers: {},
      body: null,
      durationMs: 0,
      error: `SSRF guard: ${check.reason}`,
    };
  // `timeout` only covers the response headers; the signal also bounds a slow body.
  const deadline = deadlineSignal(req.timeoutMs + 50);
  try {
    const res = await axios.request<Readable>({
      method: req.method,
      url: req.url,
      headers: req.headers,
      data: req.method === 'GET' ? undefined : req.body,
      timeout: req.timeoutMs,
      signal: deadline,
      maxRedirects: 0,
      proxy: false,
      responseType: 'stream',
      decompress: true,
      validateStatus: () => true,
      httpAgent: opts.agents.httpAgent,
      httpsAgent: opts.agents.httpsAgent,
      transformRequest: [(data: unknown) => data],
    });
    const { text, truncated } = await readCapped(res.data, opts.maxResponseBodyBytes);
    return {
      status: res.status,
      headers: flatHeaders(res.headers as any),
      body: text,
      truncated,
      durationMs: elapsed(),
      error: null,
    };
  } catch (err) {
    // A body still streaming at the deadline aborts with a generic "aborted"/"canceled" error.
    const error = deadline.aborted
      ? `Timeout: no complete response within ${req.timeoutMs} ms`
      : describeError(err, req.timeoutMs);
    return { status: null, headers: {}, body: null, durationMs: elapsed(), error };
  }
}
