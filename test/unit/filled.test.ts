import { afterEach, describe, expect, it } from 'vitest';
import knexFactory from 'knex';
import { fillProbe, filledOf, probeQuery } from '../../server/src/capture/filled';

/**
 * Which attributes the snapshot can tell empty in one statement (server/src/capture/filled.ts),
 * from Strapi's database metadata given as data: the shapes @strapi/database 5 builds (printed
 * from the playground's). Anything else has no probe, so it is populated as before. That the
 * probes agree with Strapi's populate on a real database: test/integration/snapshot-probe.test.ts.
 */
const UID = 'api::article.article';
const joinTable = (name: string, column: string, extra: Record<string, unknown> = {}) => ({
  name,
  joinColumn: { name: column, referencedColumn: 'id' },
  ...extra,
});
const fileRelated = {
  type: 'relation',
  relation: 'morphToMany',
  joinTable: {
    name: 'files_related_mph',
    joinColumn: { name: 'file_id', referencedColumn: 'id' },
    morphColumn: {
      typeColumn: { name: 'related_type' },
      idColumn: { name: 'related_id', referencedColumn: 'id' },
    },
  },
};
/** The probe expected for attribute `x`. */
const probe = (table: string, column: string, where: Record<string, string>, toMany: boolean) => ({
  name: 'x',
  table,
  column,
  where,
  toMany,
});
const targets = (target: string, name: string) =>
  target === 'plugin::upload.file' && name === 'related' ? fileRelated : undefined;

describe('fillProbe', () => {
  const cases: [string, any, ReturnType<typeof fillProbe>][] = [
    [
      'relation, owning side (manyToOne)',
      {
        type: 'relation',
        relation: 'manyToOne',
        joinTable: joinTable('articles_author_lnk', 'article_id'),
      },
      probe('articles_author_lnk', 'article_id', {}, false),
    ],
    [
      'relation, inverse side (oneToMany, the owner’s table with the columns swapped)',
      {
        type: 'relation',
        relation: 'oneToMany',
        mappedBy: 'author',
        joinTable: joinTable('articles_author_lnk', 'author_id'),
      },
      probe('articles_author_lnk', 'author_id', {}, true),
    ],
    [
      'manyToMany',
      { type: 'relation', relation: 'manyToMany', joinTable: joinTable('a_tags_lnk', 'a_id') },
      probe('a_tags_lnk', 'a_id', {}, true),
    ],
    [
      'component (oneToOne on the _cmps table, per field)',
      {
        type: 'relation',
        relation: 'oneToOne',
        joinTable: joinTable('articles_cmps', 'entity_id', { on: { field: 'seo' } }),
      },
      probe('articles_cmps', 'entity_id', { field: 'seo' }, false),
    ],
    [
      'repeatable component (oneToMany)',
      {
        type: 'relation',
        relation: 'oneToMany',
        joinTable: joinTable('quotations_cmps', 'entity_id', { on: { field: 'items' } }),
      },
      probe('quotations_cmps', 'entity_id', { field: 'items' }, true),
    ],
    [
      'dynamic zone (morphToMany on the _cmps table)',
      {
        type: 'relation',
        relation: 'morphToMany',
        joinTable: joinTable('articles_cmps', 'entity_id', {
          on: { field: 'blocks' },
          morphColumn: {},
        }),
      },
      probe('articles_cmps', 'entity_id', { field: 'blocks' }, true),
    ],
    [
      'single media (morphOne by the file’s related)',
      { type: 'relation', relation: 'morphOne', morphBy: 'related', target: 'plugin::upload.file' },
      probe('files_related_mph', 'related_id', { related_type: UID, field: 'x' }, false),
    ],
    [
      'multiple media (morphMany)',
      {
        type: 'relation',
        relation: 'morphMany',
        morphBy: 'related',
        target: 'plugin::upload.file',
      },
      probe('files_related_mph', 'related_id', { related_type: UID, field: 'x' }, true),
    ],
    [
      'a join column instead of a table',
      { type: 'relation', relation: 'oneToOne', joinColumn: { name: 'created_by_id' } },
      null,
    ],
    [
      'a link table keyed by something else than id',
      {
        type: 'relation',
        relation: 'manyToOne',
        joinTable: { name: 't', joinColumn: { name: 'c', referencedColumn: 'document_id' } },
      },
      null,
    ],
    [
      'a condition that is not a plain value',
      {
        type: 'relation',
        relation: 'oneToOne',
        joinTable: joinTable('t', 'c', { on: { field: { $in: ['a'] } } }),
      },
      null,
    ],
    [
      'morphBy to a type without that link table',
      { type: 'relation', relation: 'morphOne', morphBy: 'owner', target: 'api::other.other' },
      null,
    ],
    [
      'an unknown relation kind',
      { type: 'relation', relation: 'sideways', joinTable: joinTable('t', 'c') },
      null,
    ],
    ['not a relation', { type: 'string' }, null],
    ['no metadata', undefined, null],
  ];
  it.each(cases)('%s', (_label, attribute, expected) => {
    expect(fillProbe(UID, 'x', attribute, targets)).toEqual(expected);
  });
});

describe('probeQuery', () => {
  const knexes: any[] = [];
  afterEach(async () => {
    while (knexes.length) await knexes.pop().destroy();
  });
  it('one EXISTS per probe, each with its conditions bound, for the rows of one document', () => {
    const k = knexFactory({
      client: 'better-sqlite3',
      useNullAsDefault: true,
      connection: { filename: ':memory:' },
    });
    knexes.push(k);
    const probes = [
      fillProbe(
        UID,
        'author',
        {
          type: 'relation',
          relation: 'manyToOne',
          joinTable: joinTable('articles_author_lnk', 'article_id'),
        },
        targets
      )!,
      fillProbe(
        UID,
        'cover',
        {
          type: 'relation',
          relation: 'morphOne',
          morphBy: 'related',
          target: 'plugin::upload.file',
        },
        targets
      )!,
    ];
    const { sql, bindings } = probeQuery(
      k,
      'articles',
      'document_id',
      probes,
      () => 'doc1'
    ).toSQL();
    expect(sql).toBe(
      'select exists (select 1 from `articles_author_lnk` where `articles_author_lnk`.`article_id` = `articles`.`id`) as `f0`, ' +
        'exists (select 1 from `files_related_mph` where `files_related_mph`.`related_id` = `articles`.`id` and `files_related_mph`.`related_type` = ? and `files_related_mph`.`field` = ?) as `f1` ' +
        'from `articles` where `articles`.`document_id` = ?'
    );
    expect(bindings).toEqual([UID, 'cover', 'doc1']);
  });
});

describe('filledOf', () => {
  const probes = ['a', 'b', 'c'].map((name) => ({
    name,
    table: 't',
    column: 'c',
    where: {},
    toMany: false,
  }));
  it.each([
    ['SQLite/MariaDB numbers', [{ f0: 1, f1: 0, f2: 0 }], ['a']],
    ['PostgreSQL booleans', [{ f0: false, f1: true, f2: false }], ['b']],
    ['a string from a driver', [{ f0: '1', f1: '0', f2: null }], ['a']],
    [
      'any of the versions (draft, published, locales)',
      [
        { f0: 0, f1: 0, f2: 1 },
        { f0: 1, f1: 0, f2: 0 },
      ],
      ['a', 'c'],
    ],
    ['no rows', [], []],
  ])('%s', (_label, rows, expected) => {
    expect([...filledOf(probes, rows as any)].sort()).toEqual(expected);
  });
});
