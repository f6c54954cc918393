import { describe, expect, it } from 'vitest';
import {
  configErrorMessage,
  dottedPath,
  planReconcile,
  repeatedNameErrors,
  sameDefinition,
  type Definition,
  type StoredWebhook,
} from '../../server/src/definitions/reconcile';
import { exportDefinition, planImport } from '../../server/src/definitions/transfer';

const def = (name: string, extra: Partial<Definition> = {}): Definition => ({
  name,
  enabled: true,
  contentType: 'api::article.article',
  events: ['entry.create'],
  condition: null,
  url: 'https://hooks.example.com/a',
  dynamicUrl: false,
  method: 'POST',
  bodyType: 'default',
  jsonTemplate: null,
  formFields: [],
  headers: [],
  secret: null,
  timeoutMs: 5000,
  maxAttempts: 8,
  ...extra,
});

const stored = (
  id: number,
  definition: Definition | null,
  managed = true,
  name = definition?.name ?? 'x'
): StoredWebhook => ({ id, name, managed, definition });

describe('sameDefinition', () => {
  const base = def('a', {
    headers: [{ name: 'X-Key', value: 'k1', secret: true }],
    secret: 'whsec_AAAA',
    formFields: [{ field: 'title', key: 't' }],
  });
  const cases: [string, Partial<Definition>, boolean][] = [
    ['identical', {}, true],
    ['empty condition = none', { condition: '  ' }, true],
    ['url', { url: 'https://hooks.example.com/b' }, false],
    ['enabled', { enabled: false }, false],
    ['event order', { events: ['entry.create', 'entry.update'] }, false],
    ['signing secret', { secret: 'whsec_BBBB' }, false],
    ['secret removed', { secret: null }, false],
    ['secret header value', { headers: [{ name: 'X-Key', value: 'k2', secret: true }] }, false],
    [
      'header no longer secret',
      { headers: [{ name: 'X-Key', value: 'k1', secret: false }] },
      false,
    ],
    ['form field key', { formFields: [{ field: 'title', key: 'T' }] }, false],
    ['timeout', { timeoutMs: 5001 }, false],
  ];
  it.each(cases)('%s', (_label, change, same) =>
    expect(sameDefinition(base, { ...base, ...change })).toBe(same)
  );

  it('ignores the key order of stored JSON (PostgreSQL jsonb reorders keys)', () => {
    const reordered = {
      ...base,
      formFields: [{ key: 't', field: 'title' }] as any,
      headers: [{ value: 'k1', secret: true, name: 'X-Key' }] as any,
    };
    expect(sameDefinition(base, reordered)).toBe(true);
  });
});

describe('planReconcile', () => {
  it('creates what is missing, updates what differs, keeps what is equal, deletes managed webhooks no longer declared', () => {
    const plan = planReconcile(
      [def('new'), def('changed', { url: 'https://hooks.example.com/v2' }), def('same')],
      [
        stored(1, def('changed')),
        stored(2, def('same')),
        stored(3, def('gone')),
        stored(4, def('clicked'), false),
      ]
    );
    expect(plan.create.map((d) => d.name)).toEqual(['new']);
    expect(plan.update).toEqual([
      { id: 1, definition: def('changed', { url: 'https://hooks.example.com/v2' }), adopt: false },
    ]);
    expect(plan.unchanged).toEqual(['same']);
    // The unmanaged one is never deleted by the config.
    expect(plan.remove).toEqual([{ id: 3, name: 'gone' }]);
    expect(plan.ambiguous).toEqual([]);
  });

  it('adopts the one unmanaged webhook of a declared name (even when equal: it becomes managed)', () => {
    const plan = planReconcile([def('a')], [stored(7, def('a'), false)]);
    expect(plan.update).toEqual([{ id: 7, definition: def('a'), adopt: true }]);
    expect(plan.create).toEqual([]);
  });

  it('prefers the managed webhook of a name over unmanaged namesakes, which it leaves alone', () => {
    const plan = planReconcile(
      [def('a')],
      [stored(2, def('a'), false), stored(5, def('a'), true), stored(9, def('a'), false)]
    );
    expect(plan.unchanged).toEqual(['a']);
    expect(plan.update).toEqual([]);
    expect(plan.remove).toEqual([]);
  });

  it('does not guess between several unmanaged webhooks of a declared name', () => {
    const plan = planReconcile(
      [def('x'), def('a')],
      [stored(2, def('a'), false), stored(9, def('a'), false)]
    );
    expect(plan.ambiguous).toEqual([{ index: 1, name: 'a', ids: [2, 9] }]);
    expect(plan.create.map((d) => d.name)).toEqual(['x']);
  });

  it('rewrites a managed webhook whose stored secret does not decrypt', () => {
    const plan = planReconcile([def('a')], [stored(4, null, true, 'a')]);
    expect(plan.update).toEqual([{ id: 4, definition: def('a'), adopt: false }]);
  });

  it('keeps the lowest id of duplicated managed rows and deletes the others', () => {
    const plan = planReconcile([def('a')], [stored(8, def('a')), stored(3, def('a'))]);
    expect(plan.unchanged).toEqual(['a']);
    expect(plan.remove).toEqual([{ id: 8, name: 'a' }]);
  });

  it('an empty config deletes every managed webhook and nothing else', () => {
    const plan = planReconcile([], [stored(1, def('a')), stored(2, def('b'), false)]);
    expect(plan.remove).toEqual([{ id: 1, name: 'a' }]);
  });
});

describe('config messages', () => {
  it.each([
    [['url'], 'url'],
    [['headers', 0, 'value'], 'headers[0].value'],
    [['formFields', 2, 'field'], 'formFields[2].field'],
    [[], ''],
  ] as [(string | number)[], string][])('%j → %s', (path, dotted) =>
    expect(dottedPath(path)).toBe(dotted)
  );

  it('names webhooks[i].<field> and the rule for every problem', () => {
    const message = configErrorMessage([
      {
        index: 0,
        errors: [{ path: ['url'], message: 'url must be an absolute http:// or https:// URL' }],
      },
      {
        index: 2,
        errors: [
          { path: ['headers', 1, 'name'], message: 'bad name' },
          { path: [], message: 'must be an object with the webhook fields' },
        ],
      },
    ]);
    expect(message).toBe(
      'Invalid config for plugin "document-webhooks": webhooks[0].url: url must be an absolute http:// or https:// URL; webhooks[2].headers[1].name: bad name; webhooks[2]: must be an object with the webhook fields'
    );
  });

  it('a repeated name is an error on the later entry', () => {
    expect(
      repeatedNameErrors([{ name: 'a' }, { name: 'b' }, { name: 'a' }, { name: 3 }, {}])
    ).toEqual([
      {
        index: 2,
        errors: [
          {
            path: ['name'],
            message: 'name "a" repeats webhooks[0]: names identify webhooks and must be unique',
          },
        ],
      },
    ]);
  });
});

describe('exportDefinition', () => {
  const pub = {
    id: 4,
    managed: false,
    hasSecret: true,
    secretRotating: false,
    disabledReason: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...def('a', {
      headers: [
        { name: 'Authorization', value: null as any, secret: true },
        { name: 'X-Env', value: 'prod', secret: false },
      ],
    }),
  };

  it('keeps the definition fields, drops ids, state and secrets, and says the webhook signs', () => {
    const out = exportDefinition(pub as any);
    expect(Object.keys(out).sort()).toEqual(
      [
        'bodyType',
        'condition',
        'contentType',
        'dynamicUrl',
        'enabled',
        'events',
        'formFields',
        'headers',
        'jsonTemplate',
        'maxAttempts',
        'method',
        'name',
        'needsSecret',
        'timeoutMs',
        'url',
      ].sort()
    );
    expect(out.headers).toEqual([
      { name: 'Authorization', value: null, secret: true },
      { name: 'X-Env', value: 'prod', secret: false },
    ]);
    expect(out.needsSecret).toBe(true);
  });

  it('no needsSecret for a webhook that does not sign', () => {
    expect(exportDefinition({ ...pub, hasSecret: false } as any)).not.toHaveProperty('needsSecret');
  });
});

describe('planImport', () => {
  const existing = [
    { id: 1, name: 'clicked', managed: false },
    { id: 2, name: 'from-config', managed: true },
    { id: 3, name: 'twice', managed: false },
    { id: 4, name: 'twice', managed: false },
    { id: 5, name: 'config-and-clicked', managed: false },
    { id: 6, name: 'config-and-clicked', managed: true },
  ];

  it('skip (default): existing names are skipped, new ones created', () => {
    expect(
      planImport(['new', 'clicked', 'from-config', 'config-and-clicked'], existing, 'skip')
    ).toEqual({ create: [0], update: [], skip: [1, 2, 3], errors: [] });
  });

  it('overwrite: the existing unmanaged webhook of the name is updated; managed ones are still skipped', () => {
    expect(planImport(['clicked', 'from-config', 'new'], existing, 'overwrite')).toEqual({
      create: [2],
      update: [{ index: 0, id: 1 }],
      skip: [1],
      errors: [],
    });
  });

  it.each(['skip', 'overwrite'] as const)(
    '%s: a name shared by two existing webhooks is a 400 on that entry',
    (onConflict) => {
      const plan = planImport(['ok', 'twice'], existing, onConflict);
      expect(plan.errors).toEqual([
        {
          path: ['webhooks', 1, 'name'],
          message:
            'name "twice" is shared by 2 existing webhooks (ids 3, 4): rename them so that the import can match by name',
        },
      ]);
    }
  );
});
