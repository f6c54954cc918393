import { describe, expect, it } from 'vitest';
import { redactResponse, redactText, secretNeedles } from '../../server/src/send/redact';
import { signatureHeaders } from '../../server/src/sign/signature';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const key = secret.slice('whsec_'.length);
const sig = signatureHeaders({
  secrets: [secret, 'rotated-out-secret'],
  msgId: 'msg_1',
  timestampSeconds: 1700000000,
  body: '{"a":1}',
});
const mac = sig['webhook-signature'].split(' ')[0].slice(3);
const needles = secretNeedles({
  signingSecrets: [secret, 'rotated-out-secret'],
  secretHeaderValues: ['Bearer sk_live_abcdef123456', 'api/key+with"chars'],
  signatures: [sig['webhook-signature'], sig['X-Frappe-Webhook-Signature']],
});

describe('secretNeedles', () => {
  it('covers each secret, its key part, credentials, signatures and bare MACs, longest first', () => {
    for (const n of [
      secret,
      key,
      'rotated-out-secret',
      'Bearer sk_live_abcdef123456',
      'sk_live_abcdef123456',
      sig['webhook-signature'],
      mac,
      sig['X-Frappe-Webhook-Signature'],
    ]) {
      expect(needles).toContain(n);
    }
    expect([...needles].sort((a, b) => b.length - a.length)).toEqual(needles);
    expect(needles).not.toContain('');
  });
});

describe('redactText', () => {
  const cases: [string, string, string][] = [
    ['whole secret', `echo: ${secret}!`, 'echo: [REDACTED]!'],
    ['base64 key part alone', `key=${key}`, 'key=[REDACTED]'],
    ['previous secret', 'x rotated-out-secret y', 'x [REDACTED] y'],
    [
      'secret header value',
      'Authorization: Bearer sk_live_abcdef123456',
      'Authorization: [REDACTED]',
    ],
    ['credential without its scheme', '{"token":"sk_live_abcdef123456"}', '{"token":"[REDACTED]"}'],
    [
      'JSON-escaped value',
      JSON.stringify({ h: 'api/key+with"chars' }).replace(/\//g, '\\/'),
      '{"h":"[REDACTED]"}',
    ],
    ['percent-encoded value', `q=${encodeURIComponent('api/key+with"chars')}`, 'q=[REDACTED]'],
    ['full signature header', `sig: ${sig['webhook-signature']}`, 'sig: [REDACTED]'],
    ['bare MAC', `mac ${mac} end`, 'mac [REDACTED] end'],
    ['Frappe signature', `f=${sig['X-Frappe-Webhook-Signature']}`, 'f=[REDACTED]'],
    ['every occurrence', `${secret}${secret}`, '[REDACTED][REDACTED]'],
    ['nothing secret', 'plain body, v1 and whsec_ alone', 'plain body, v1 and whsec_ alone'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(redactText(input, needles)).toBe(expected);
  });

  it('a truncated body ending inside a secret loses that tail too', () => {
    for (let k = 1; k < secret.length; k++) {
      const out = redactText(`body ${secret.slice(0, k)}`, needles, true);
      expect(out, `prefix of ${k}`).toBe('body [REDACTED]');
    }
    expect(redactText(`body ${key.slice(0, 10)}`, needles, true)).toBe('body [REDACTED]');
  });

  it('an untruncated body keeps a tail that merely looks like the start of a secret', () => {
    expect(redactText('ends with whsec_', needles, false)).toBe('ends with whsec_');
    expect(redactText('ends with whsec_', needles, true)).toBe('ends with [REDACTED]');
  });

  it('no needles: unchanged', () => {
    expect(redactText(`x ${secret}`, [])).toBe(`x ${secret}`);
  });
});

describe('redactResponse', () => {
  it('redacts header names and values, the body and the error', () => {
    const out = redactResponse(
      {
        status: 400,
        headers: { 'x-echo-auth': 'Bearer sk_live_abcdef123456', [`x-${key}`]: 'v' },
        body: `bad key ${secret}`,
        error: `HTTP 302 (Location: /?k=${key})`,
        durationMs: 1,
      },
      needles
    );
    expect(out.headers).toEqual({ 'x-echo-auth': '[REDACTED]', 'x-[REDACTED]': 'v' });
    expect(out.body).toBe('bad key [REDACTED]');
    expect(out.error).toBe('HTTP 302 (Location: /?k=[REDACTED])');
    expect(out.status).toBe(400);
  });
});
