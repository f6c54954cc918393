/**
 * Dial-time SSRF guard (OWASP SSRF prevention, "case 2": the application must reach
 * arbitrary user-supplied hosts, so instead of an allow list we refuse internal addresses).
 *
 * Like Svix's and Convoy's senders, the check happens where the socket is opened, on the
 * addresses DNS actually returned for *this* connection, so a hostname that resolves to a
 * public address at save time and to 127.0.0.1 at send time (DNS rebinding) is still
 * refused. Redirects must be disabled by the caller (`maxRedirects: 0`), and so must
 * environment proxies (`proxy: false`): with a proxy the socket goes to the proxy, not to
 * the target, and the target would escape this guard.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { addressBlockReason, isAllowedHost, isIpLiteral, normalizeHost } from './addresses';

export interface SsrfPolicy {
  /** Opt out entirely (local development, tests with loopback receivers). */
  allowPrivateAddresses: boolean;
  /** `host` or `host:port` (`[::1]:8080`, `::1`); case- and trailing-dot-insensitive. */
  allowedHosts: string[];
}

export class SsrfError extends Error {
  readonly code = 'ESSRF' as const;
  constructor(message: string) {
    super(message);
    this.name = 'SsrfError';
  }
}

// ---------------------------------------------------------------------------------------
// Save-time URL check
// ---------------------------------------------------------------------------------------

export type CheckUrlResult = { ok: true; url: URL } | { ok: false; reason: string };

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/**
 * Early check (on save, before rendering/sending): scheme and IP-literal hosts. The WHATWG
 * parser already turns every numeric IPv4 spelling (`2130706433`, `0x7f000001`,
 * `0177.0.0.1`, `127.1`) into dotted-decimal, and IPv6 into its compressed form. Host names
 * are only judged at dial time (their DNS answer can change), except `localhost` and
 * `*.localhost`, which RFC 6761 reserves for loopback.
 */
export function checkUrl(url: string, policy: SsrfPolicy): CheckUrlResult {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'invalid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: 'only http and https URLs are allowed' };
  }
  const host = normalizeHost(parsed.hostname);
  if (host === '') return { ok: false, reason: 'URL has no host' };
  if (
    policy.allowPrivateAddresses ||
    isAllowedHost(host, defaultPort(parsed), policy.allowedHosts)
  ) {
    return { ok: true, url: parsed };
  }
  if (isIpLiteral(host)) {
    const reason = addressBlockReason(host);
    if (reason) return { ok: false, reason: `blocked: ${reason}` };
  } else if (host === 'localhost' || host.endsWith('.localhost')) {
    return { ok: false, reason: `blocked: loopback host name ${host}` };
  }
  return { ok: true, url: parsed };
}

// ---------------------------------------------------------------------------------------
// Dial-time guard
// ---------------------------------------------------------------------------------------

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address?: string | dns.LookupAddress[],
  family?: number
) => void;

/** Resolver used by the guard; always called with `all: true`. Defaults to `dns.lookup`. */
export type Resolver = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void
) => void;

/** Same call shapes as `dns.lookup` / the `lookup` option of `net.connect`. */
export type GuardedLookup = (
  hostname: string,
  options: dns.LookupOptions | number | LookupCallback | undefined,
  callback?: LookupCallback
) => void;

const defaultResolver: Resolver = (hostname, options, callback) =>
  dns.lookup(hostname, options, callback);

/**
 * A `lookup` for `net.connect`: resolves all addresses of the host and refuses the whole
 * connection if any of them is internal (a rebinding resolver may hand out a public and a
 * private address together; the socket layer may pick either). Answers in the shape the
 * caller asked for: Node 20 calls with `{ all: true }` when autoSelectFamily is on and
 * expects an array, otherwise `(err, address, family)`.
 *
 * `port` (optional) lets `host:port` allow-list entries match; without it only port-less
 * entries can.
 */
export function createGuardedLookup(
  policy: SsrfPolicy,
  resolver: Resolver = defaultResolver,
  port?: number | string
): GuardedLookup {
  return (hostname, optionsOrCallback, maybeCallback) => {
    let options: dns.LookupOptions;
    let callback: LookupCallback;
    if (typeof optionsOrCallback === 'function') {
      callback = optionsOrCallback;
      options = {};
    } else {
      callback = maybeCallback as LookupCallback;
      options =
        typeof optionsOrCallback === 'number'
          ? { family: optionsOrCallback }
          : { ...(optionsOrCallback ?? {}) };
    }
    const wantAll = options.all === true;
    const host = normalizeHost(hostname);
    const trusted = policy.allowPrivateAddresses || isAllowedHost(host, port, policy.allowedHosts);

    resolver(host, { ...options, all: true } as dns.LookupAllOptions, (err, result) => {
      if (err) return callback(err);
      // Tolerate resolvers that answer in the single-address shape.
      const list: dns.LookupAddress[] = Array.isArray(result)
        ? result
        : typeof result === 'string'
          ? [{ address: result, family: net.isIP(result) || 4 }]
          : [];
      if (list.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${host}`);
        e.code = 'ENOTFOUND';
        return callback(e);
      }
      if (!trusted) {
        for (const { address } of list) {
          const reason = addressBlockReason(address);
          if (reason) return callback(new SsrfError(`SSRF guard: ${host} resolves to ${reason}`));
        }
      }
      if (wantAll) return callback(null, list);
      const first = list[0]!;
      return callback(null, first.address, first.family || net.isIP(first.address));
    });
  };
}

export interface GuardedAgentOptions extends http.AgentOptions {
  /** Injected resolver (tests); defaults to `dns.lookup`. */
  resolver?: Resolver | undefined;
}

type CreateConnection = (
  options: Record<string, unknown>,
  callback?: (err: Error | null, socket?: net.Socket) => void
) => net.Socket | undefined;

/**
 * http/https agents whose every new socket passes the guard:
 * - host names: connected with the guarded `lookup` (checked on the addresses used);
 * - IP literals: `net.connect` skips `lookup` for those, so they are checked here first;
 * - Unix sockets (`socketPath`): refused unless private addresses are allowed.
 * Kept-alive sockets are reused without a new check: they were checked when dialled and
 * stay bound to that address, so reuse cannot reach anything new.
 */
export function createGuardedAgents(
  policy: SsrfPolicy,
  options: GuardedAgentOptions = {}
): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const { resolver = defaultResolver, keepAlive = true, ...agentOptions } = options;
  const httpAgent = new http.Agent({ ...agentOptions, keepAlive });
  const httpsAgent = new https.Agent({ ...agentOptions, keepAlive });
  for (const agent of [httpAgent, httpsAgent]) {
    // Both classes implement createConnection on their prototype (net.createConnection /
    // tls.connect with session caching); @types/node does not declare it, hence the cast.
    const target = agent as unknown as { createConnection: CreateConnection };
    const original = target.createConnection.bind(agent);
    target.createConnection = (connOptions, callback) =>
      guardConnection(policy, resolver, connOptions, callback, original);
  }
  return { httpAgent, httpsAgent };
}

function guardConnection(
  policy: SsrfPolicy,
  resolver: Resolver,
  connOptions: Record<string, unknown>,
  callback: ((err: Error | null, socket?: net.Socket) => void) | undefined,
  create: CreateConnection
): net.Socket | undefined {
  const refuse = (err: SsrfError): net.Socket | undefined => {
    if (callback) {
      process.nextTick(callback, err);
      return undefined;
    }
    const dead = new net.Socket();
    process.nextTick(() => dead.destroy(err));
    return dead;
  };

  if (connOptions.socketPath && !policy.allowPrivateAddresses) {
    return refuse(new SsrfError('SSRF guard: Unix socket connections are not allowed'));
  }

  const host = normalizeHost(String(connOptions.host ?? connOptions.hostname ?? 'localhost'));
  const port = connOptions.port as number | string | undefined;
  const trusted = policy.allowPrivateAddresses || isAllowedHost(host, port, policy.allowedHosts);

  if (net.isIP(host) !== 0) {
    const reason = trusted ? null : addressBlockReason(host);
    if (reason) return refuse(new SsrfError(`SSRF guard: blocked ${reason}`));
    return create(connOptions, callback);
  }
  // Host names (and odd numeric spellings net.isIP does not recognise, which getaddrinfo
  // would turn into an address) always go through the guarded lookup, so the same resolver
  // answers for trusted and untrusted hosts; it skips the address check for trusted ones.
  return create({ ...connOptions, lookup: createGuardedLookup(policy, resolver, port) }, callback);
}
