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
import ipaddr from 'ipaddr.js';

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
// Address classification
// ---------------------------------------------------------------------------------------

const IPV4_LABELS: Record<string, string> = {
  unspecified: 'unspecified address',
  broadcast: 'broadcast address',
  multicast: 'multicast address',
  linkLocal: 'link-local address',
  loopback: 'loopback address',
  carrierGradeNat: 'carrier-grade NAT (shared) address',
  private: 'private address',
  reserved: 'reserved address',
};

const IPV6_LABELS: Record<string, string> = {
  unspecified: 'unspecified address',
  linkLocal: 'link-local address',
  multicast: 'multicast address',
  loopback: 'loopback address',
  uniqueLocal: 'unique-local address',
  teredo: 'Teredo tunnel address',
  reserved: 'reserved address',
  discard: 'discard-only address',
  deprecatedSiteLocal: 'site-local address',
  benchmarking: 'benchmarking address',
};

const cidr = (s: string) => ipaddr.parseCIDR(s);
const V4_DOCUMENTATION = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map(cidr);
const V4_BENCHMARKING = cidr('198.18.0.0/15');
const V6_DOCUMENTATION = cidr('2001:db8::/32');
const V6_NAT64_LOCAL = cidr('64:ff9b:1::/48');
const V6_SITE_LOCAL = cidr('fec0::/10');
const V6_GLOBAL_UNICAST = cidr('2000::/3');
const METADATA_V4 = '169.254.169.254';

function v4Reason(ip: ipaddr.IPv4): string | null {
  const text = ip.toString();
  const range = ip.range();
  if (range === 'unicast') return null;
  if (range === 'linkLocal' && text === METADATA_V4) return `link-local address ${text} (cloud metadata)`;
  if (range === 'reserved') {
    if (V4_DOCUMENTATION.some((c) => ip.match(c))) return `documentation (TEST-NET) address ${text}`;
    if (ip.match(V4_BENCHMARKING)) return `benchmarking address ${text}`;
  }
  return `${IPV4_LABELS[range] ?? `reserved (${range}) address`} ${text}`;
}

function embeddedV4(parts: number[], hiIndex: number): ipaddr.IPv4 {
  const hi = parts[hiIndex]!;
  const lo = parts[hiIndex + 1]!;
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

function v6Reason(ip: ipaddr.IPv6): string | null {
  const text = ip.toString();
  const parts = ip.parts;
  const range = ip.range();

  // Local-use NAT64 prefix (RFC 8215): translates into the operator's own network, and its
  // IPv4 embedding depends on the prefix length chosen locally. Blocked outright.
  if (ip.match(V6_NAT64_LOCAL)) return `local-use NAT64 address ${text}`;

  // Forms that embed an IPv4 address and can reach it: judge the embedded address.
  let embedded: { v4: ipaddr.IPv4; kind: string } | null = null;
  if (range === 'ipv4Mapped') embedded = { v4: ip.toIPv4Address(), kind: 'IPv4-mapped' };
  else if (range === 'rfc6145') embedded = { v4: embeddedV4(parts, 6), kind: 'IPv4-translated' };
  else if (range === 'rfc6052') embedded = { v4: embeddedV4(parts, 6), kind: 'NAT64' };
  else if (range === '6to4') embedded = { v4: embeddedV4(parts, 1), kind: '6to4' };
  if (embedded) {
    const inner = v4Reason(embedded.v4);
    return inner ? `${inner} (embedded in ${embedded.kind} address ${text})` : null;
  }

  // IPv4-compatible ::a.b.c.d (deprecated by RFC 4291): no legitimate public use, and some
  // stacks still route it to the embedded IPv4 address. Blocked outright.
  if (range === 'unicast' && parts.slice(0, 6).every((p) => p === 0)) {
    return `IPv4-compatible address ${text} (deprecated; embeds ${embeddedV4(parts, 6).toString()})`;
  }
  if (ip.match(V6_DOCUMENTATION)) return `documentation address ${text}`;
  if (ip.match(V6_SITE_LOCAL)) return `site-local address ${text}`;
  if (range !== 'unicast') return `${IPV6_LABELS[range] ?? `reserved (${range}) address`} ${text}`;
  // Everything publicly routable lives in 2000::/3; the rest is unassigned or special.
  if (!ip.match(V6_GLOBAL_UNICAST)) return `non-global address ${text}`;
  return null;
}

/**
 * Why an IP address must not be dialled, or null if it is an ordinary public unicast
 * address. Accepts bracketed IPv6 and any spelling ipaddr.js understands (including
 * numeric IPv4 forms like `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`).
 * Anything that is not an IP address is refused too (fail closed).
 */
export function addressBlockReason(ip: string): string | null {
  const host = normalizeHost(ip);
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(host);
  } catch {
    return `invalid IP address ${JSON.stringify(ip)}`;
  }
  return addr.kind() === 'ipv4' ? v4Reason(addr as ipaddr.IPv4) : v6Reason(addr as ipaddr.IPv6);
}

// ---------------------------------------------------------------------------------------
// Host names and the allow list
// ---------------------------------------------------------------------------------------

/** `[::1]` → `::1`, `LOCALHOST.` → `localhost`. */
export function normalizeHost(hostname: string): string {
  let h = String(hostname).trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.replace(/\.+$/, '');
}

/** True when the host is written as an IP address (in any spelling ipaddr.js accepts). */
export function isIpLiteral(hostname: string): boolean {
  const h = normalizeHost(hostname);
  return net.isIP(h) !== 0 || ipaddr.isValid(h);
}

/** Comparable form: IP literals canonicalised (so `::0:1` matches `::1`), names normalised. */
function canonicalHost(hostname: string): string {
  const h = normalizeHost(hostname);
  if (isIpLiteral(h)) {
    try {
      return ipaddr.parse(h).toString();
    } catch {
      /* fall through */
    }
  }
  return h;
}

function parseAllowEntry(entry: string): { host: string; port: string | null } | null {
  const e = String(entry).trim().toLowerCase();
  if (e === '') return null;
  if (e.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
    return m ? { host: canonicalHost(m[1]!), port: m[2] ?? null } : null;
  }
  const colons = e.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = e.split(':') as [string, string];
    return /^\d+$/.test(port) ? { host: canonicalHost(host), port: String(Number(port)) } : null;
  }
  return { host: canonicalHost(e), port: null }; // a host name, IPv4, or bare IPv6
}

/**
 * Whether `hostname[:port]` is on the allow list. Entries without a port match any port;
 * entries with a port only match that port (so pass the effective port: 80/443 when the
 * URL has none; with `port` unknown, only port-less entries can match).
 */
export function isAllowedHost(
  hostname: string,
  port: number | string | null | undefined,
  allowedHosts: readonly string[],
): boolean {
  if (!allowedHosts || allowedHosts.length === 0) return false;
  const host = canonicalHost(hostname);
  const p = port === null || port === undefined || port === '' ? null : String(Number(port));
  return allowedHosts.some((raw) => {
    const entry = parseAllowEntry(raw);
    if (!entry || entry.host !== host) return false;
    return entry.port === null || entry.port === p;
  });
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
  if (policy.allowPrivateAddresses || isAllowedHost(host, defaultPort(parsed), policy.allowedHosts)) {
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
  family?: number,
) => void;

/** Resolver used by the guard; always called with `all: true`. Defaults to `dns.lookup`. */
export type Resolver = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/** Same call shapes as `dns.lookup` / the `lookup` option of `net.connect`. */
export type GuardedLookup = (
  hostname: string,
  options: dns.LookupOptions | number | LookupCallback | undefined,
  callback?: LookupCallback,
) => void;

const defaultResolver: Resolver = (hostname, options, callback) => dns.lookup(hostname, options, callback);

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
  port?: number | string,
): GuardedLookup {
  return (hostname, optionsOrCallback, maybeCallback) => {
    let options: dns.LookupOptions;
    let callback: LookupCallback;
    if (typeof optionsOrCallback === 'function') {
      callback = optionsOrCallback;
      options = {};
    } else {
      callback = maybeCallback as LookupCallback;
      options = typeof optionsOrCallback === 'number' ? { family: optionsOrCallback } : { ...(optionsOrCallback ?? {}) };
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

type CreateConnection = (options: Record<string, unknown>, callback?: (err: Error | null, socket?: net.Socket) => void) => net.Socket | undefined;

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
  options: GuardedAgentOptions = {},
): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const { resolver = defaultResolver, keepAlive = true, ...agentOptions } = options;
  const httpAgent = new http.Agent({ ...agentOptions, keepAlive });
  const httpsAgent = new https.Agent({ ...agentOptions, keepAlive });
  for (const agent of [httpAgent, httpsAgent]) {
    // Both classes implement createConnection on their prototype (net.createConnection /
    // tls.connect with session caching); @types/node does not declare it, hence the cast.
    const target = agent as unknown as { createConnection: CreateConnection };
    const original = target.createConnection.bind(agent);
    target.createConnection = (connOptions, callback) => guardConnection(policy, resolver, connOptions, callback, original);
  }
  return { httpAgent, httpsAgent };
}

function guardConnection(
  policy: SsrfPolicy,
  resolver: Resolver,
  connOptions: Record<string, unknown>,
  callback: ((err: Error | null, socket?: net.Socket) => void) | undefined,
  create: CreateConnection,
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
