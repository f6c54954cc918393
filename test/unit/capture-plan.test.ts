import { describe, expect, it } from 'vitest';
import {
  planEvents,
  possibleEvents,
  touchedLocales,
  type ActionOutcome,
  type Version,
} from '../../server/src/capture/plan';
import { isWatchable, snapshotAttributes } from '../../server/src/definitions/content-types';

/**
 * The event contract (docs/events.md): action × draft & publish × locale existed before →
 * (event, doc, previous), one row per case. Rows are named by id so a wrong pick shows which.
 */
const row = (id: number, locale: string | null, published: boolean): Version => ({
  id,
  documentId: 'doc1',
  locale,
  publishedAt: published ? '2026-11-30T10:00:00.000Z' : null,
});
const draftEn = row(1, 'en', false);
const pubEn = row(2, 'en', true);
const draftEnAfter = row(3, 'en', false);
const pubEnAfter = row(4, 'en', true);
const draftFrAfter = row(5, 'fr', false);
const pubFrAfter = row(6, 'fr', true);
const draftFr = row(7, 'fr', false);
const pubFr = row(8, 'fr', true);
const plain = row(9, null, false); // a type without draft & publish: one row
const plainAfter = row(10, null, false);

type Case = [
  name: string,
  outcome: Partial<ActionOutcome> & { action: string },
  expected: [event: string, locale: string | null, doc: number, previous: number | null][],
];
const DP = {
  draftAndPublish: true,
  publishRequested: false,
  locales: ['en'],
  before: [] as Version[],
  after: [] as Version[],
};

const cases: Case[] = [
  [
    'create (D&P): the new draft',
    { ...DP, action: 'create', after: [draftEnAfter] },
    [['entry.create', 'en', 3, null]],
  ],
  [
    'create published: create + publish',
    { ...DP, action: 'create', publishRequested: true, after: [draftEnAfter, pubEnAfter] },
    [
      ['entry.create', 'en', 3, null],
      ['entry.publish', 'en', 4, null],
    ],
  ],
  [
    'create without D&P: the row',
    { ...DP, draftAndPublish: false, locales: [null], action: 'create', after: [plainAfter] },
    [['entry.create', null, 10, null]],
  ],
  [
    'create without D&P ignores status published',
    {
      ...DP,
      draftAndPublish: false,
      publishRequested: true,
      locales: [null],
      action: 'create',
      after: [plainAfter],
    },
    [['entry.create', null, 10, null]],
  ],
  [
    'clone: one create per locale cloned',
    { ...DP, action: 'clone', locales: ['en', 'fr'], after: [draftEnAfter, draftFrAfter] },
    [
      ['entry.create', 'en', 3, null],
      ['entry.create', 'fr', 5, null],
    ],
  ],
  [
    'update: draft after, draft before',
    { ...DP, action: 'update', before: [draftEn, pubEn], after: [draftEnAfter, pubEn] },
    [['entry.update', 'en', 3, 1]],
  ],
  [
    'update without D&P',
    {
      ...DP,
      draftAndPublish: false,
      locales: [null],
      action: 'update',
      before: [plain],
      after: [plainAfter],
    },
    [['entry.update', null, 10, 9]],
  ],
  [
    'update published: update + publish (previous = published before)',
    {
      ...DP,
      action: 'update',
      publishRequested: true,
      before: [draftEn, pubEn],
      after: [draftEnAfter, pubEnAfter],
    },
    [
      ['entry.update', 'en', 3, 1],
      ['entry.publish', 'en', 4, 2],
    ],
  ],
  [
    'update that creates a locale: entry.create',
    { ...DP, action: 'update', locales: ['fr'], before: [draftEn], after: [draftEn, draftFrAfter] },
    [['entry.create', 'fr', 5, null]],
  ],
  [
    'update published that creates a locale: create + publish',
    {
      ...DP,
      action: 'update',
      locales: ['fr'],
      publishRequested: true,
      before: [draftEn, pubEn],
      after: [draftEn, pubEn, draftFrAfter, pubFrAfter],
    },
    [
      ['entry.create', 'fr', 5, null],
      ['entry.publish', 'fr', 6, null],
    ],
  ],
  ['update of a missing document: nothing', { ...DP, action: 'update', before: [], after: [] }, []],
  [
    'publish, first time: previous null',
    { ...DP, action: 'publish', before: [draftEn], after: [draftEn, pubEnAfter] },
    [['entry.publish', 'en', 4, null]],
  ],
  [
    'republish: previous = published before',
    { ...DP, action: 'publish', before: [draftEn, pubEn], after: [draftEn, pubEnAfter] },
    [['entry.publish', 'en', 4, 2]],
  ],
  [
    'publish of several locales: one each',
    {
      ...DP,
      action: 'publish',
      locales: ['en', 'fr'],
      before: [draftEn, draftFr, pubFr],
      after: [draftEn, pubEnAfter, draftFr, pubFrAfter],
    },
    [
      ['entry.publish', 'en', 4, null],
      ['entry.publish', 'fr', 6, 8],
    ],
  ],
  [
    'unpublish: the published version removed',
    { ...DP, action: 'unpublish', before: [draftEn, pubEn], after: [draftEn] },
    [['entry.unpublish', 'en', 2, null]],
  ],
  [
    'unpublish of a never-published document: nothing',
    { ...DP, action: 'unpublish', before: [draftEn], after: [draftEn] },
    [],
  ],
  [
    'discardDraft: draft after, discarded draft',
    { ...DP, action: 'discardDraft', before: [draftEn, pubEn], after: [draftEnAfter, pubEn] },
    [['entry.draft-discard', 'en', 3, 1]],
  ],
  [
    'discardDraft with nothing published: nothing',
    { ...DP, action: 'discardDraft', before: [draftEn], after: [draftEn] },
    [],
  ],
  [
    'delete of a published document: the published version, once',
    { ...DP, action: 'delete', before: [draftEn, pubEn] },
    [['entry.delete', 'en', 2, null]],
  ],
  [
    'delete of a draft-only document: the draft',
    { ...DP, action: 'delete', before: [draftEn] },
    [['entry.delete', 'en', 1, null]],
  ],
  [
    'delete of all locales: once per locale',
    { ...DP, action: 'delete', locales: ['en', 'fr'], before: [draftEn, pubEn, draftFr] },
    [
      ['entry.delete', 'en', 2, null],
      ['entry.delete', 'fr', 7, null],
    ],
  ],
  [
    'delete without D&P: the row',
    { ...DP, draftAndPublish: false, locales: [null], action: 'delete', before: [plain] },
    [['entry.delete', null, 9, null]],
  ],
  [
    'an action that writes nothing (findMany): nothing',
    { ...DP, action: 'findMany', before: [draftEn], after: [draftEn] },
    [],
  ],
];

describe('planEvents', () => {
  it.each(cases)('%s', (_name, outcome, expected) => {
    const planned = planEvents({ ...DP, ...outcome } as ActionOutcome);
    expect(planned.map((p) => [p.event, p.locale, p.doc.id, p.previous?.id ?? null])).toEqual(
      expected
    );
  });
});

describe('possibleEvents', () => {
  it.each([
    ['create', false, ['entry.create']],
    ['create', true, ['entry.create', 'entry.publish']],
    ['clone', false, ['entry.create']],
    ['update', false, ['entry.update', 'entry.create']],
    ['update', true, ['entry.update', 'entry.create', 'entry.publish']],
    ['publish', false, ['entry.publish']],
    ['unpublish', false, ['entry.unpublish']],
    ['discardDraft', false, ['entry.draft-discard']],
    ['delete', false, ['entry.delete']],
    ['findMany', false, []],
    ['count', false, []],
  ] as const)('%s (published: %s) → %j', (action, published, expected) => {
    expect(possibleEvents(action, published)).toEqual(expected);
  });
});

describe('touchedLocales', () => {
  it.each([
    [
      'the rows a bulk result reports',
      { entries: [draftEn, draftFr] },
      undefined,
      [],
      ['en', 'fr'],
    ],
    ['the row a create/update returns', draftFr, 'en', [], ['fr']],
    ['deduplicated', { entries: [draftEn, pubEn] }, '*', [], ['en']],
    ['nothing reported: the locale asked for', { entries: [] }, 'fr', [draftEn], ['fr']],
    [
      'nothing reported, "*": every locale the document had',
      { entries: [] },
      '*',
      [draftEn, pubEn, draftFr],
      ['en', 'fr'],
    ],
    ['nothing reported, a list of locales', { entries: [] }, ['en', 'fr'], [], ['en', 'fr']],
    ['null result, no locale: null (types without i18n)', null, undefined, [], [null]],
  ] as const)('%s', (_name, result, requested, before, expected) => {
    expect(touchedLocales(result, requested, [...before])).toEqual(expected);
  });
});

describe('isWatchable', () => {
  it.each([
    [{ uid: 'api::article.article' }, true],
    [
      { uid: 'api::article.article', pluginOptions: { 'content-manager': { visible: true } } },
      true,
    ],
    [{ uid: 'plugin::users-permissions.user', pluginOptions: {} }, true],
    [
      {
        uid: 'plugin::users-permissions.role',
        pluginOptions: { 'content-manager': { visible: false } },
      },
      false,
    ],
    [
      { uid: 'plugin::upload.file', pluginOptions: { 'content-manager': { visible: false } } },
      false,
    ],
    [{ uid: 'admin::user' }, false],
    [{ uid: 'plugin::document-webhooks.webhook' }, false],
    [
      {
        uid: 'plugin::document-webhooks.log',
        pluginOptions: { 'content-manager': { visible: true } },
      },
      false,
    ],
    [{ uid: 'strapi::core-store' }, false],
    [null, false],
  ] as const)('%j → %s', (ct, expected) => {
    expect(isWatchable(ct as any)).toBe(expected);
  });
});

describe('snapshotAttributes', () => {
  it('leaves out private attributes, passwords and virtual relations (the User type, a localized type)', () => {
    const attributes = {
      username: { type: 'string' },
      password: { type: 'password', private: true },
      resetPasswordToken: { type: 'string', private: true },
      confirmationToken: { type: 'string', private: true },
      role: { type: 'relation' },
      locale: { type: 'string', private: true },
      localizations: { type: 'relation', unstable_virtual: true },
      legacyPassword: { type: 'password' },
    };
    expect(snapshotAttributes(attributes)).toEqual([
      { name: 'username', type: 'string' },
      { name: 'role', type: 'relation' },
    ]);
  });
});
