import { describe, expect, it } from 'vitest';
import { isAllowedHost } from '../../server/src/send/addresses';

describe('isAllowedHost', () => {
  const cases: [string, number | string | undefined, string[], boolean][] = [
    ['example.com', 443, ['example.com'], true],
    ['EXAMPLE.com.', 443, ['example.COM'], true],
    ['example.com', 443, ['example.com.'], true],
    ['example.com', 443, ['example.com:443'], true],
    ['example.com', '443', ['example.com:443'], true],
    ['example.com', 8443, ['example.com:443'], false],
    ['example.com', undefined, ['example.com:443'], false],
    ['sub.example.com', 443, ['example.com'], false],
    ['::1', 8080, ['[::1]:8080'], true],
    ['[::1]', 8080, ['::1'], true],
    ['::1', 8081, ['[::1]:8080'], false],
    ['0:0:0:0:0:0:0:1', 80, ['::1'], true],
    ['127.0.0.1', 80, ['[::1]'], false],
    ['127.0.0.1', 80, [], false],
    ['127.0.0.1', 80, ['', ' ', 'bad:port:x', '[::1'], false],
  ];
  it.each(cases)('%s port %s in %j → %s', (host, port, list, expected) => {
    expect(isAllowedHost(host, port, list)).toBe(expected);
  });
});
