import { describe, expect, it } from 'vitest';
import {
  backfillWhere,
  parseBackfillInput,
  type BackfillModel,
} from '../../server/src/definitions/backfill';
import { needsRender } from '../../server/src/services/delivery/deliver';
import { definitionVersion } from '../../server/src/services/delivery/log-rows';

const DP_I18N: BackfillModel = { draftAndPublish: true, localized: true };
const DP: BackfillModel = { draftAndPublish: true, localized: false };
const PLAIN: BackfillModel = { draftAndPublish: false, localized: false };

describe('parseBackfillInput', () => {
  const ok: [string, unknown, BackfillModel, { locale: string | null; status: string }][] = [
    ['empty body: published, every locale', {}, DP_I18N, { locale: null, status: 'published' }],
    ['no body at all', undefined, DP, { locale: null, status: 'published' }],
    ['drafts', { status: 'draft' }, DP, { locale: null, status: 'draft' }],
    [
      'one locale',
      { locale: 'fr', status: 'published' },
      DP_I18N,
      { locale: 'fr', status: 'published' },
    ],
    ['region locale', { locale: 'fr-FR' }, DP_I18N, { locale: 'fr-FR', status: 'published' }],
    [
      'no draft & publish: its one version, whatever asked',
      { status: 'published' },
      PLAIN,
      { locale: null, status: 'draft' },
    ],
    [
      'null values are absent',
      { locale: null, status: null },
      DP,
      { locale: null, status: 'published' },
    ],
  ];
  for (const [name, body, model, query] of ok) {
    it(name, () => expect(parseBackfillInput(body, model)).toEqual({ query, errors: [] }));
  }

  const bad: [string, unknown, BackfillModel, string][] = [
    ['an unknown status', { status: 'archived' }, DP, 'status'],
    ['a status that is not a string', { status: 1 }, DP, 'status'],
    ['a locale on a type that is not localized', { locale: 'fr' }, DP, 'locale'],
    ['a locale that is not a code', { locale: 'fr; drop' }, DP_I18N, 'locale'],
    ['a locale that is an operator', { locale: { $ne: 'x' } }, DP_I18N, 'locale'],
    ['an unknown key', { documentIds: ['a'] }, DP, 'documentIds'],
    ['an array body', [], DP, 'body'],
    ['a string body', 'published', DP, 'body'],
  ];
  for (const [name, body, model, field] of bad) {
    it(`refuses ${name}, naming ${field}`, () => {
      const { query, errors } = parseBackfillInput(body, model);
      expect(query).toBeNull();
      expect(errors.map((e) => e.path)).toContainEqual([field]);
    });
  }
});

describe('backfillWhere', () => {
  it.each([
    [
      'published versions after the cursor',
      { locale: null, status: 'published' as const },
      DP,
      10,
      { id: { $gt: 10 }, publishedAt: { $notNull: true } },
    ],
    [
      'drafts of one locale',
      { locale: 'fr', status: 'draft' as const },
      DP_I18N,
      0,
      { id: { $gt: 0 }, publishedAt: { $null: true }, locale: 'fr' },
    ],
    [
      'no draft & publish: no publishedAt filter',
      { locale: null, status: 'draft' as const },
      PLAIN,
      5,
      { id: { $gt: 5 } },
    ],
  ])('%s', (_name, q, model, cursor, where) =>
    expect(backfillWhere(q, model, cursor)).toEqual(where)
  );
});

describe('needsRender: does an attempt render the request again?', () => {
  const V = '2026-11-30T10:00:00.000Z';
  const WINDOW = { by: 'document', windowSeconds: 2, maxWaitSeconds: 20, changes: [] } as any;
  it.each([
    [
      'rendered with the current version: resend as stored',
      { contextKey: 'k', webhookVersion: V, requestBody: '{}' },
      false,
    ],
    [
      'the webhook changed since',
      { contextKey: 'k', webhookVersion: '2026-11-30T09:00:00.000Z', requestBody: '{}' },
      true,
    ],
    [
      'its render failed (no version)',
      { contextKey: 'k', webhookVersion: null, requestBody: null },
      true,
    ],
    [
      'no captured change (a test send, an older row): as stored',
      { contextKey: null, webhookVersion: null, requestBody: '{}' },
      false,
    ],
    [
      'a window that just closed (not rendered yet)',
      { contextKey: null, webhookVersion: null, requestBody: null, coalesce: WINDOW },
      true,
    ],
    [
      'a window rendered with the current version: resend as stored',
      { contextKey: null, webhookVersion: V, requestBody: '{}', coalesce: WINDOW },
      false,
    ],
    [
      'a window whose webhook changed since',
      {
        contextKey: null,
        webhookVersion: '2026-11-30T09:00:00.000Z',
        requestBody: '{}',
        coalesce: WINDOW,
      },
      true,
    ],
  ])('%s', (_name, row, expected) =>
    expect(needsRender(row as Parameters<typeof needsRender>[0], V)).toBe(expected)
  );
});

describe('definitionVersion', () => {
  it('is the same for a Date, an ISO string and epoch milliseconds of one instant', () => {
    const at = Date.parse('2026-11-30T10:00:00.123Z');
    const forms = [new Date(at), '2026-11-30T10:00:00.123Z', at];
    expect(new Set(forms.map((updatedAt) => definitionVersion({ updatedAt } as any)))).toEqual(
      new Set(['2026-11-30T10:00:00.123Z'])
    );
  });
  it('differs by a millisecond', () => {
    expect(definitionVersion({ updatedAt: '2026-11-30T10:00:00.123Z' })).not.toBe(
      definitionVersion({ updatedAt: '2026-11-30T10:00:00.124Z' })
    );
  });
});
