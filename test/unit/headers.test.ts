import { describe, expect, it } from 'vitest';
import {
  reservedHeaderReason,
  sendableHeaders,
  skippedHeaders,
  skippedHeadersNote,
} from '../../server/src/definitions/headers';
import { MAX_INPUT_DEPTH, nestingErrors } from '../../server/src/definitions/validate';

describe('reservedHeaderReason', () => {
  const reserved = [
    'Host',
    'content-length',
    'Transfer-Encoding',
    'CONNECTION',
    'Keep-Alive',
    'Upgrade',
    'TE',
    'Trailer',
    'Expect',
    'Proxy-Authorization',
    'proxy-connection',
    'Content-Type',
    'webhook-id',
    'Webhook-Signature',
    'webhook-anything',
    'X-Frappe-Webhook-Signature',
    'x-strapi-event',
  ];
  it.each(reserved)('%s is reserved', (name) =>
    expect(reservedHeaderReason(name)).toMatch(/cannot be overridden/)
  );
  const free = [
    'Authorization',
    'User-Agent',
    'X-Api-Key',
    'X-Webhook-Id',
    'Hostname',
    'Content-Language',
    'Tee',
    'X-Strapi-Other',
    'Proxy',
  ];
  it.each(free)('%s may be set', (name) => expect(reservedHeaderReason(name)).toBeNull());
});

describe('send time', () => {
  it('drops reserved names but the renderer Content-Type and X-Strapi-Event, and later case repeats', () => {
    const stored = {
      Host: 'evil',
      'X-A': '1',
      'x-a': '2',
      'Content-Length': '2',
      'X-Strapi-Event': 'entry.update',
      'Content-Type': 'application/json',
      'webhook-signature': '[REDACTED]',
      'User-Agent': 'me',
    };
    expect(sendableHeaders(stored)).toEqual({
      'X-A': '1',
      'X-Strapi-Event': 'entry.update',
      'Content-Type': 'application/json',
      'User-Agent': 'me',
    });
  });

  it('names each skipped definition header with its reason', () => {
    const skipped = skippedHeaders([
      { name: 'Host' },
      { name: 'X-A' },
      { name: 'x-a' },
      { name: 'Content-Type' },
      { name: 'Authorization' },
    ]);
    expect(skipped.map((s) => s.name)).toEqual(['Host', 'x-a', 'Content-Type']);
    expect(skippedHeadersNote(skipped)).toBe(
      'Headers not sent: "Host" is set by the HTTP client and cannot be overridden; "x-a" repeats a header name in another case; "Content-Type" is set from the body type and cannot be overridden'
    );
    expect(skippedHeadersNote([])).toBeNull();
  });
});

describe('nestingErrors', () => {
  const nest = (n: number, leaf: unknown = 'x'): unknown => {
    let v = leaf;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };
  it.each([
    ['a string', { name: 'x' }, []],
    [
      'a definition at its deepest',
      { headers: [{ name: 'a', value: 'b' }], formFields: [{ field: 'f', key: 'k' }] },
      [],
    ],
    ['exactly the limit', { name: nest(MAX_INPUT_DEPTH - 1) }, []],
    ['one level more', { name: nest(MAX_INPUT_DEPTH) }, [['name']]],
    ['3000 arrays deep', { name: nest(3000), events: nest(3000) }, [['name'], ['events']]],
    [
      'inside a header',
      { headers: [{ name: 'ok', value: 'v' }, { name: nest(3000) }] },
      [['headers', 1, 'name']],
    ],
    ['a list field itself', { formFields: nest(3000) }, [['formFields', 0]]],
    [
      'deep objects',
      { condition: JSON.parse('{"a":'.repeat(5000) + '1' + '}'.repeat(5000)) },
      [['condition']],
    ],
  ] as [string, Record<string, unknown>, (string | number)[][]][])('%s', (_name, body, paths) => {
    expect(nestingErrors(body).map((e) => e.path)).toEqual(paths);
  });

  it('does not recurse: 200 000 levels are measured without a stack overflow', () => {
    const body = JSON.parse(`{"name":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    expect(nestingErrors(body)[0].message).toMatch(/nested too deeply/);
  });
});
