/**
 * Which addresses and hosts the SSRF guard (`ssrf.ts`) refuses or lets through: pure
 * classification of IP addresses in every spelling, host name normalisation and the allow
 * list (docs/security.md).
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

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
  if (range === 'linkLocal' && text === METADATA_V4)
    return `link-local address ${text} (cloud metadata)`;
  if (range === 'reserved') {
    if (V4_DOCUMENTATION.some((c) => ip.match(c)))
      return `documentation (TEST-NET) address ${text}`;
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
  allowedHosts: readonly string[]
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
