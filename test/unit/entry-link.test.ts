import { describe, expect, it } from 'vitest';
import { entryPath } from '../../admin/src/utils/entry-link';

const col = { kind: 'collectionType' };
const single = { kind: 'singleType' };

describe('entryPath', () => {
  it.each([
    [
      'a collection type entry in its locale',
      { uid: 'api::article.article', documentId: 'abc123', locale: 'fr', event: 'entry.update' },
      col,
      '/content-manager/collection-types/api::article.article/abc123?plugins[i18n][locale]=fr',
    ],
    [
      'a type that is not localized',
      { uid: 'api::quotation.quotation', documentId: 'q1', locale: null, event: 'entry.create' },
      col,
      '/content-manager/collection-types/api::quotation.quotation/q1',
    ],
    [
      'a single type',
      { uid: 'api::home.home', documentId: 'h1', locale: 'en', event: 'entry.publish' },
      single,
      '/content-manager/single-types/api::home.home?plugins[i18n][locale]=en',
    ],
    [
      'a deleted document has no page',
      { uid: 'api::article.article', documentId: 'abc123', locale: 'fr', event: 'entry.delete' },
      col,
      null,
    ],
    [
      'no document (a test send of the sample)',
      { uid: 'api::article.article', documentId: null, locale: null, event: 'test' },
      col,
      null,
    ],
    [
      'a content type the admin does not list',
      { uid: 'api::gone.gone', documentId: 'g1', locale: null, event: 'entry.create' },
      undefined,
      null,
    ],
    [
      'a locale is encoded',
      { uid: 'api::article.article', documentId: 'a', locale: 'zh-Hans&x', event: 'entry.create' },
      col,
      '/content-manager/collection-types/api::article.article/a?plugins[i18n][locale]=zh-Hans%26x',
    ],
  ] as const)('%s', (_name, log, type, path) => {
    expect(entryPath(log, type)).toBe(path);
  });
});
