import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderRequest, USER_AGENT, type RequestDefinition } from '../../server/src/render/request';
import { buildContext } from '../../server/src/render/context';

/** The headers every request carries, as Strapi's own webhooks do (docs/events.md). */
const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
const noTemplates = {
  render: async () => {
    throw new Error('no template expected');
  },
};
const limits = { timeoutMs: 1000, maxOutputBytes: 1024 };
const ctx = buildContext({
  event: 'entry.publish',
  uid: 'api::article.article',
  model: 'article',
  doc: { documentId: 'd1' },
  previous: null,
  locale: 'en',
  user: null,
});
const def = (headers: RequestDefinition['headers'], method = 'POST'): RequestDefinition => ({
  url: 'https://example.test/hook',
  dynamicUrl: false,
  method,
  bodyType: 'default',
  jsonTemplate: null,
  formFields: null,
  headers,
});

describe('request headers', () => {
  it('the User-Agent names the plugin and its package version', () => {
    expect(USER_AGENT).toBe(`strapi-plugin-document-webhooks/${pkg.version}`);
  });

  it.each([
    [
      'no user headers',
      [],
      {
        'X-Strapi-Event': 'entry.publish',
        'User-Agent': USER_AGENT,
        'Content-Type': 'application/json',
      },
    ],
    [
      'user headers come first and stay',
      [{ name: 'X-Team', value: 'a', secret: false }],
      {
        'X-Team': 'a',
        'X-Strapi-Event': 'entry.publish',
        'User-Agent': USER_AGENT,
        'Content-Type': 'application/json',
      },
    ],
    [
      'a user-set User-Agent wins (any case)',
      [{ name: 'user-agent', value: 'Mine/1', secret: false }],
      {
        'user-agent': 'Mine/1',
        'X-Strapi-Event': 'entry.publish',
        'Content-Type': 'application/json',
      },
    ],
    [
      'a user-set X-Strapi-Event is replaced by the event',
      [{ name: 'x-strapi-event', value: 'forged', secret: false }],
      {
        'X-Strapi-Event': 'entry.publish',
        'User-Agent': USER_AGENT,
        'Content-Type': 'application/json',
      },
    ],
  ] as const)('%s', async (_name, headers, expected) => {
    const req = await renderRequest(
      def(headers as any),
      ctx,
      noTemplates,
      limits,
      '2026-11-30T00:00:00.000Z'
    );
    expect(req.headers).toEqual(expected);
    expect(JSON.parse(req.body)).toMatchObject({
      event: 'entry.publish',
      entry: { documentId: 'd1' },
    });
  });

  it('GET requests carry the event and User-Agent but no Content-Type', async () => {
    const req = await renderRequest(
      def([], 'GET'),
      ctx,
      noTemplates,
      limits,
      '2026-11-30T00:00:00.000Z'
    );
    expect(req.headers).toEqual({ 'X-Strapi-Event': 'entry.publish', 'User-Agent': USER_AGENT });
  });
});
