import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type dns from 'node:dns';
import axios from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressBlockReason, normalizeHost } from '../../server/src/send/addresses';
import {
  checkUrl,
  createGuardedAgents,
  createGuardedLookup,
  type Resolver,
  SsrfError,
  type SsrfPolicy,
} from '../../server/src/send/ssrf';

// NOTE: no test here sends traffic anywhere but loopback. Public addresses only appear as
// inputs to pure functions or as answers of injected fake resolvers that are refused
// before any socket is opened.

const strict: SsrfPolicy = { allowPrivateAddresses: false, allowedHosts: [] };

/** Fake resolver: a fixed answer per host name, never touches DNS. */
function fakeResolver(table: Record<string, string[]>, calls: string[] = []): Resolver {
  return (hostname, _options, callback) => {
    calls.push(hostname);
    const answers = table[hostname];
    process.nextTick(() => {
      if (!answers) {
        const e: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        e.code = 'ENOTFOUND';
        return callback(e, []);
      }
      callback(
        null,
        answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
      );
    });
  };
}

function lookupP(
  lookup: ReturnType<typeof createGuardedLookup>,
  host: string,
  options?: dns.LookupOptions | number
): Promise<{ address: unknown; family: unknown }> {
  return new Promise((resolve, reject) => {
    const cb = (err: NodeJS.ErrnoException | null, address?: unknown, family?: unknown) =>
      err ? reject(err) : resolve({ address, family });
    if (options === undefined) lookup(host, cb);
    else lookup(host, options, cb);
  });
}

// ---------------------------------------------------------------------------------------
describe('spellings of internal addresses', () => {
  // [URL host as typed, expected reason fragment]
  const blocked: [string, RegExp][] = [
    ['127.0.0.1', /^loopback address 127\.0\.0\.1$/],
    ['2130706433', /^loopback address 127\.0\.0\.1$/],
    ['0x7f000001', /^loopback address 127\.0\.0\.1$/],
    ['0177.0.0.1', /^loopback address 127\.0\.0\.1$/],
    ['127.1', /^loopback address 127\.0\.0\.1$/],
    ['0x7f.1', /^loopback address 127\.0\.0\.1$/],
    ['0', /^unspecified address 0\.0\.0\.0$/],
    ['0.0.0.0', /^unspecified address 0\.0\.0\.0$/],
    ['[::1]', /^loopback address ::1$/],
    ['[::]', /^unspecified address ::$/],
    ['[::ffff:127.0.0.1]', /^loopback address 127\.0\.0\.1 \(embedded in IPv4-mapped/],
    ['[::ffff:7f00:1]', /^loopback address 127\.0\.0\.1 \(embedded in IPv4-mapped/],
    ['[::ffff:0:7f00:1]', /^loopback address 127\.0\.0\.1 \(embedded in IPv4-translated/],
    ['[::127.0.0.1]', /^IPv4-compatible address/],
    ['[64:ff9b::7f00:1]', /^loopback address 127\.0\.0\.1 \(embedded in NAT64/],
    ['[64:ff9b::a9fe:a9fe]', /cloud metadata.*NAT64/],
    ['[64:ff9b:1::a00:1]', /^local-use NAT64 address/],
    ['[2002:7f00:1::]', /^loopback address 127\.0\.0\.1 \(embedded in 6to4/],
    ['[2002:a00:1::]', /^private address 10\.0\.0\.1 \(embedded in 6to4/],
    ['[2001::1]', /^Teredo tunnel address/],
    ['[2001:db8::1]', /^documentation address/],
    ['10.0.0.1', /^private address 10\.0\.0\.1$/],
    ['172.16.0.1', /^private address 172\.16\.0\.1$/],
    ['172.31.255.255', /^private address/],
    ['192.168.1.1', /^private address 192\.168\.1\.1$/],
    ['100.64.0.1', /^carrier-grade NAT/],
    ['169.254.169.254', /^link-local address 169\.254\.169\.254 \(cloud metadata\)$/],
    ['169.254.1.1', /^link-local address 169\.254\.1\.1$/],
    ['[fd00::1]', /^unique-local address fd00::1$/],
    ['[fc00::1]', /^unique-local address/],
    ['[fe80::1]', /^link-local address fe80::1$/],
    ['[fec0::1]', /^site-local address/],
    ['[ff02::1]', /^multicast address/],
    ['224.0.0.1', /^multicast address 224\.0\.0\.1$/],
    ['255.255.255.255', /^broadcast address 255\.255\.255\.255$/],
    ['240.0.0.1', /^reserved address/],
    ['192.0.2.1', /^documentation \(TEST-NET\) address/],
    ['198.51.100.1', /^documentation \(TEST-NET\) address/],
    ['203.0.113.1', /^documentation \(TEST-NET\) address/],
    ['198.18.0.1', /^benchmarking address/],
    ['192.0.0.8', /^reserved address/],
    ['[100::1]', /^discard-only address/],
  ];

  it.each(blocked)('checkUrl blocks http://%s/ immediately', (host, reason) => {
    const r = checkUrl(`http://${host}:8080/hook`, strict);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason.startsWith('blocked: ')).toBe(true);
      expect(r.reason.slice('blocked: '.length)).toMatch(reason);
    }
  });

  it.each(blocked)('addressBlockReason refuses the canonical address of %s', (host, reason) => {
    const canonical = new URL(`http://${host}/`).hostname;
    expect(addressBlockReason(canonical)).toMatch(reason);
  });

  it('WHATWG URL canonicalises numeric IPv4 spellings and IPv6 forms (the guard relies on it)', () => {
    const host = (h: string) => new URL(`http://${h}/`).hostname;
    for (const h of ['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '0x7f.1', '127.0.0.1.']) {
      expect(normalizeHost(host(h))).toBe('127.0.0.1');
    }
    expect(host('0')).toBe('0.0.0.0');
    expect(host('[::ffff:127.0.0.1]')).toBe('[::ffff:7f00:1]');
    expect(host('LOCALHOST.')).toBe('localhost.');
    expect(normalizeHost(host('LOCALHOST.'))).toBe('localhost');
  });

  it('addressBlockReason also understands odd spellings directly (e.g. from other callers)', () => {
    for (const odd of [
      '2130706433',
      '0x7f000001',
      '0177.0.0.1',
      '127.1',
      '[::1]',
      '::ffff:127.0.0.1',
      'fe80::1%eth0',
    ]) {
      expect(addressBlockReason(odd)).not.toBeNull();
    }
  });

  it('fails closed on things that are not IP addresses', () => {
    expect(addressBlockReason('example.com')).toMatch(/^invalid IP address/);
    expect(addressBlockReason('')).toMatch(/^invalid IP address/);
  });

  it('checkUrl refuses localhost names without waiting for DNS', () => {
    for (const u of ['http://LOCALHOST/', 'http://localhost./', 'http://api.localhost:3000/']) {
      const r = checkUrl(u, strict);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/^blocked: loopback host name/);
    }
  });

  it('allows public unicast addresses (pure check, no traffic)', () => {
    for (const ip of [
      '93.184.216.34',
      '8.8.8.8',
      '1.1.1.1',
      '2606:2800:220:1::',
      '[2606:2800:220:1::]',
      '2a00:1450:4001::1',
      '::ffff:93.184.216.34',
      '64:ff9b::808:808',
      '2002:808:808::',
    ]) {
      expect(addressBlockReason(ip)).toBeNull();
    }
    expect(checkUrl('https://93.184.216.34/x', strict).ok).toBe(true);
    expect(checkUrl('https://[2606:2800:220:1::]/x', strict).ok).toBe(true);
  });
});

describe('checkUrl', () => {
  it('accepts only http and https', () => {
    for (const u of [
      'ftp://example.com/',
      'file:///etc/passwd',
      'gopher://example.com/',
      'javascript:alert(1)',
      'data:text/plain,hi',
      'ws://example.com/',
    ]) {
      expect(checkUrl(u, strict)).toEqual({
        ok: false,
        reason: 'only http and https URLs are allowed',
      });
    }
    expect(checkUrl('not a url', strict)).toEqual({ ok: false, reason: 'invalid URL' });
  });
  it('leaves host names to dial time and returns the parsed URL', () => {
    const r = checkUrl('https://Hooks.Example.com/a?b=1', strict);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.url.hostname).toBe('hooks.example.com');
  });
  it('honours allowPrivateAddresses and allowedHosts (with and without port)', () => {
    expect(
      checkUrl('http://127.0.0.1:1337/', { allowPrivateAddresses: true, allowedHosts: [] }).ok
    ).toBe(true);
    expect(
      checkUrl('http://127.0.0.1:1337/', {
        allowPrivateAddresses: false,
        allowedHosts: ['127.0.0.1:1337'],
      }).ok
    ).toBe(true);
    expect(
      checkUrl('http://2130706433:1337/', {
        allowPrivateAddresses: false,
        allowedHosts: ['127.0.0.1:1337'],
      }).ok
    ).toBe(true);
    expect(
      checkUrl('http://127.0.0.1:1338/', {
        allowPrivateAddresses: false,
        allowedHosts: ['127.0.0.1:1337'],
      }).ok
    ).toBe(false);
    expect(
      checkUrl('http://localhost:9/', {
        allowPrivateAddresses: false,
        allowedHosts: ['LOCALHOST.'],
      }).ok
    ).toBe(true);
    expect(
      checkUrl('http://[::1]:8080/', { allowPrivateAddresses: false, allowedHosts: ['[::1]:8080'] })
        .ok
    ).toBe(true);
    expect(
      checkUrl('http://127.0.0.1/', {
        allowPrivateAddresses: false,
        allowedHosts: ['127.0.0.1:80'],
      }).ok
    ).toBe(true);
    expect(
      checkUrl('https://127.0.0.1/', {
        allowPrivateAddresses: false,
        allowedHosts: ['127.0.0.1:80'],
      }).ok
    ).toBe(false);
  });
  it('does not let allowPrivateAddresses widen the scheme check', () => {
    expect(
      checkUrl('file:///etc/passwd', { allowPrivateAddresses: true, allowedHosts: [] }).ok
    ).toBe(false);
  });
});

describe('createGuardedLookup', () => {
  const resolver = fakeResolver({
    'public.test': ['93.184.216.34', '2606:2800:220:1::'],
    'internal.test': ['10.1.2.3'],
    'rebind.test': ['93.184.216.34', '127.0.0.1'],
    'mapped.test': ['::ffff:169.254.169.254'],
  });

  it('returns an array for { all: true } (Node 20 autoSelectFamily call shape)', async () => {
    const lookup = createGuardedLookup(strict, resolver);
    const r = await lookupP(lookup, 'public.test', { all: true });
    expect(r.address).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::', family: 6 },
    ]);
  });

  it('returns (address, family) for the classic call shapes', async () => {
    const lookup = createGuardedLookup(strict, resolver);
    expect(await lookupP(lookup, 'public.test', {})).toEqual({
      address: '93.184.216.34',
      family: 4,
    });
    expect(await lookupP(lookup, 'public.test', 0)).toEqual({
      address: '93.184.216.34',
      family: 4,
    });
    expect(await lookupP(lookup, 'PUBLIC.test.')).toEqual({ address: '93.184.216.34', family: 4 });
  });

  it('refuses a host resolving to an internal address with ESSRF', async () => {
    const lookup = createGuardedLookup(strict, resolver);
    const err = await lookupP(lookup, 'internal.test', { all: true }).catch((e) => e);
    expect(err).toBeInstanceOf(SsrfError);
    expect(err.code).toBe('ESSRF');
    expect(err.message).toBe('SSRF guard: internal.test resolves to private address 10.1.2.3');
    const mapped = await lookupP(lookup, 'mapped.test').catch((e) => e);
    expect(mapped.message).toMatch(
      /^SSRF guard: mapped\.test resolves to link-local address 169\.254\.169\.254 \(cloud metadata\)/
    );
  });

  it('DNS rebinding: one public and one internal answer → refused in both call shapes', async () => {
    const lookup = createGuardedLookup(strict, resolver);
    for (const opts of [{ all: true }, {}] as dns.LookupOptions[]) {
      const err = await lookupP(lookup, 'rebind.test', opts).catch((e) => e);
      expect(err.code).toBe('ESSRF');
      expect(err.message).toBe('SSRF guard: rebind.test resolves to loopback address 127.0.0.1');
    }
  });

  it('always asks the resolver for all addresses', async () => {
    const seen: dns.LookupAllOptions[] = [];
    const spy: Resolver = (h, o, cb) => {
      seen.push(o);
      resolver(h, o, cb);
    };
    await lookupP(createGuardedLookup(strict, spy), 'public.test', { family: 4 });
    expect(seen[0]).toMatchObject({ all: true, family: 4 });
  });

  it('passes resolver errors and empty answers through', async () => {
    const lookup = createGuardedLookup(strict, resolver);
    expect((await lookupP(lookup, 'nxdomain.test').catch((e) => e)).code).toBe('ENOTFOUND');
    const empty: Resolver = (_h, _o, cb) => cb(null, []);
    expect((await lookupP(createGuardedLookup(strict, empty), 'x.test').catch((e) => e)).code).toBe(
      'ENOTFOUND'
    );
  });

  it('opt-outs: allowPrivateAddresses, host allow-list, host:port allow-list only with the port', async () => {
    expect(
      (
        await lookupP(
          createGuardedLookup({ allowPrivateAddresses: true, allowedHosts: [] }, resolver),
          'internal.test'
        )
      ).address
    ).toBe('10.1.2.3');
    expect(
      (
        await lookupP(
          createGuardedLookup(
            { allowPrivateAddresses: false, allowedHosts: ['Internal.Test'] },
            resolver
          ),
          'internal.test'
        )
      ).address
    ).toBe('10.1.2.3');
    const withPort: SsrfPolicy = {
      allowPrivateAddresses: false,
      allowedHosts: ['internal.test:8080'],
    };
    expect(
      (await lookupP(createGuardedLookup(withPort, resolver, 8080), 'internal.test')).address
    ).toBe('10.1.2.3');
    expect(
      (
        await lookupP(createGuardedLookup(withPort, resolver, 9090), 'internal.test').catch(
          (e) => e
        )
      ).code
    ).toBe('ESSRF');
    expect(
      (await lookupP(createGuardedLookup(withPort, resolver), 'internal.test').catch((e) => e)).code
    ).toBe('ESSRF');
  });
});

// ---------------------------------------------------------------------------------------
// Real sockets, loopback only.
// ---------------------------------------------------------------------------------------
function startReceiver(
  host: string
): Promise<{ server: http.Server; port: number; hits: () => number }> {
  return new Promise((resolve, reject) => {
    let count = 0;
    const server = http.createServer((_req, res) => {
      count++;
      res.end('ok');
    });
    server.once('error', reject);
    server.listen(0, host, () =>
      resolve({ server, port: (server.address() as AddressInfo).port, hits: () => count })
    );
  });
}

async function send(url: string, policy: SsrfPolicy, resolver?: Resolver) {
  const { httpAgent, httpsAgent } = createGuardedAgents(policy, {
    keepAlive: true,
    maxSockets: 4,
    resolver,
  });
  try {
    return await axios.get(url, {
      httpAgent,
      httpsAgent,
      maxRedirects: 0,
      proxy: false,
      timeout: 5000,
      validateStatus: () => true,
    });
  } finally {
    httpAgent.destroy();
    httpsAgent.destroy();
  }
}

describe('guarded agents against a real loopback receiver', () => {
  let v4: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    v4 = await startReceiver('127.0.0.1');
  });
  afterAll(() => new Promise<void>((r) => v4.server.close(() => r())));

  const spellings = (port: number) => [
    `http://127.0.0.1:${port}/`,
    `http://2130706433:${port}/`,
    `http://0x7f000001:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://127.1:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://localhost:${port}/`,
    `http://LOCALHOST.:${port}/`,
    `https://127.0.0.1:${port}/`,
    `https://localhost:${port}/`,
  ];

  it('refuses every loopback spelling with ESSRF before a byte reaches the receiver', async () => {
    for (const url of spellings(v4.port)) {
      const err = await send(url, strict).then(
        (res) => new Error(`request to ${url} was not blocked (status ${res.status})`),
        (e) => e
      );
      expect(err.code, url).toBe('ESSRF');
      expect(err.message, url).toMatch(/^SSRF guard: /);
    }
    expect(v4.hits()).toBe(0);
  });

  it('also refuses when a raw http.request bypasses URL parsing (IP-literal check in createConnection)', async () => {
    const { httpAgent } = createGuardedAgents(strict);
    for (const host of ['127.0.0.1', '::ffff:127.0.0.1']) {
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
        const req = http.request({ host, port: v4.port, agent: httpAgent, path: '/' }, () =>
          resolve(new Error('not blocked'))
        );
        req.on('error', resolve);
        req.end();
      });
      expect(err.code, host).toBe('ESSRF');
    }
    httpAgent.destroy();
    expect(v4.hits()).toBe(0);
  });

  it('refuses Unix socket connections (socketPath) unless private addresses are allowed', async () => {
    const { httpAgent } = createGuardedAgents(strict);
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const req = http.request(
        { socketPath: '/tmp/document-webhooks-nonexistent.sock', agent: httpAgent, path: '/' },
        () => resolve(new Error('not blocked'))
      );
      req.on('error', resolve);
      req.end();
    });
    httpAgent.destroy();
    expect(err.code).toBe('ESSRF');
  });

  it('lets requests through with allowPrivateAddresses', async () => {
    const before = v4.hits();
    const res = await send(`http://127.0.0.1:${v4.port}/`, {
      allowPrivateAddresses: true,
      allowedHosts: [],
    });
    expect(res.status).toBe(200);
    expect(v4.hits()).toBe(before + 1);
  });

  it('lets requests through for allowedHosts ["127.0.0.1:PORT"] (any spelling of that address)', async () => {
    const before = v4.hits();
    const policy = { allowPrivateAddresses: false, allowedHosts: [`127.0.0.1:${v4.port}`] };
    expect((await send(`http://127.0.0.1:${v4.port}/`, policy)).status).toBe(200);
    expect((await send(`http://2130706433:${v4.port}/`, policy)).status).toBe(200);
    expect(v4.hits()).toBe(before + 2);
    // other ports stay blocked
    const err = await send(
      `http://127.0.0.1:${v4.port + 1 === 65536 ? 1 : v4.port + 1}/`,
      policy
    ).catch((e) => e);
    expect(err.code).toBe('ESSRF');
  });

  it('lets requests through for allowedHosts ["localhost"]', async () => {
    const before = v4.hits();
    const res = await send(`http://localhost:${v4.port}/`, {
      allowPrivateAddresses: false,
      allowedHosts: ['localhost'],
    });
    expect(res.status).toBe(200);
    expect(v4.hits()).toBe(before + 1);
  });

  it('DNS rebinding via injected resolver: public + loopback answer → refused, receiver untouched', async () => {
    const before = v4.hits();
    const resolver = fakeResolver({
      'rebind.test': ['93.184.216.34', '127.0.0.1'],
      'loop.test': ['127.0.0.1'],
    });
    for (const host of ['rebind.test', 'loop.test']) {
      const err = await send(`http://${host}:${v4.port}/`, strict, resolver).catch((e) => e);
      expect(err.code, host).toBe('ESSRF');
      expect(err.message).toBe(`SSRF guard: ${host} resolves to loopback address 127.0.0.1`);
    }
    expect(v4.hits()).toBe(before);
  });

  it('the injected resolver really drives the connection (allow-listed name reaches the receiver)', async () => {
    const before = v4.hits();
    const resolver = fakeResolver({ 'loop.test': ['127.0.0.1'] });
    const res = await send(
      `http://loop.test:${v4.port}/`,
      { allowPrivateAddresses: false, allowedHosts: ['loop.test'] },
      resolver
    );
    expect(res.status).toBe(200);
    expect(v4.hits()).toBe(before + 1);
  });
});

describe('guarded agents against a real IPv6 loopback receiver', () => {
  let v6: Awaited<ReturnType<typeof startReceiver>> | null = null;
  beforeAll(async () => {
    v6 = await startReceiver('::1').catch(() => null);
  });
  afterAll(() => new Promise<void>((r) => (v6 ? v6.server.close(() => r()) : r())));

  it('refuses http://[::1]:PORT/ and allows it when allow-listed', async (ctx) => {
    if (!v6) {
      console.warn(
        'IPv6 loopback (::1) is not available on this machine: skipping the [::1] receiver test'
      );
      ctx.skip();
      return;
    }
    const url = `http://[::1]:${v6.port}/`;
    const err = await send(url, strict).catch((e) => e);
    expect(err.code).toBe('ESSRF');
    expect(err.message).toBe('SSRF guard: blocked loopback address ::1');
    expect(v6.hits()).toBe(0);
    expect(
      (await send(url, { allowPrivateAddresses: false, allowedHosts: [`[::1]:${v6.port}`] })).status
    ).toBe(200);
    expect(v6.hits()).toBe(1);
  });
});
