import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** `hang`: read the request and never answer (the client's timeout ends the attempt). */
type Responder = (req: ReceivedRequest) => {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  hang?: boolean;
} | void;

/**
 * A real HTTP receiver on 127.0.0.1 that records every request; tests wait on it with
 * `waitFor` (an event-driven poll with a deadline), never with sleeps.
 */
export async function startReceiver() {
  const requests: ReceivedRequest[] = [];
  const listeners = new Set<() => void>();
  let responder: Responder = () => ({ status: 200, body: 'ok' });
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(received);
      const answer = responder(received) ?? {};
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, answer.headers ?? { 'content-type': 'text/plain' });
        res.end(answer.body ?? 'ok');
      };
      if (answer.hang) {
        // Nothing to send: close() destroys the socket.
      } else if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
      listeners.forEach((l) => l());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    requests,
    respond(fn: Responder) {
      responder = fn;
    },
    clear() {
      requests.length = 0;
    },
    /** Resolve once `predicate(requests)` holds, or reject after `timeoutMs`. */
    waitFor<T>(
      predicate: (reqs: ReceivedRequest[]) => T | undefined | null | false,
      timeoutMs = 10_000
    ): Promise<T> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const v = predicate(requests);
          if (v) {
            cleanup();
            resolve(v);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `receiver: condition not met within ${timeoutMs} ms (${requests.length} requests received)`
            )
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async close() {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Poll `fn` until it returns a truthy value, or fail after `timeoutMs` (for DB state). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false> | T,
  timeoutMs = 10_000,
  intervalMs = 25
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `eventually: condition not met within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
