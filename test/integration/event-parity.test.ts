/**
 * Issue 13: the plugin says exactly what Strapi says. A Strapi core webhook (created through
 * the admin API, i.e. Strapi's webhook store and runner) and a plugin webhook with the default
 * body listen side by side on a localized type with a relation, media, a component with a
 * nested component and a dynamic zone (the playground's `article`), and on the
 * users-permissions User. For every action through the Content Manager admin API, the REST
 * API (API token), GraphQL and `strapi.documents()`, both receive the same events, and the
 * core `entry` is contained in ours (ours is the populated superset). The one difference kept
 * on purpose (docs/events.md): delete is one event per document and locale, where core sends
 * one per row; ours carries the published version when there was one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { startReceiver, type Receiver, type ReceivedRequest } from '../helpers/receiver';
import { subsetDifferences } from '../helpers/subset';

const A = 'api::article.article';
const U = 'plugin::users-permissions.user';
const ALL_EVENTS = [
  'entry.create',
  'entry.update',
  'entry.delete',
  'entry.publish',
  'entry.unpublish',
  'entry.draft-discard',
];
const CM = `/content-manager/collection-types/${A}`;

let app: TestApp;
let rx: Receiver;
let apiToken: string;
let author: { documentId: string; name: string };
let coverId: number;

interface Hook {
  event: string;
  uid: string;
  documentId: string;
  locale: string | null;
  entry: Record<string, any>;
  body: Record<string, any>;
  req: ReceivedRequest;
}
const parse = (req: ReceivedRequest): Hook => {
  const body = JSON.parse(req.body);
  return {
    event: body.event,
    uid: body.uid,
    documentId: body.entry?.documentId,
    locale: body.entry?.locale ?? null,
    entry: body.entry,
    body,
    req,
  };
};
// Core's webhook fires for every content type (the author fixture too): only the two compared here.
const core = () =>
  rx.requests
    .filter((r) => r.url === '/core')
    .map(parse)
    .filter((h) => h.uid === A || h.uid === U);
const ours = () => rx.requests.filter((r) => r.url === '/plugin').map(parse);

/**
 * Core's `entry.unpublish` entry is the removed row as the caller loaded it: through the Content
 * Manager that is the admin's populate (relations as `{ count }`, a `localizations` list of the
 * document's other rows). Ours is the same snapshot as for every other event (docs/events.md):
 * a count must match the relation ours carries, and that `localizations` is not compared.
 */
function withoutCallerPopulate(coreEntry: unknown, oursEntry: unknown, top = true): unknown {
  if (Array.isArray(coreEntry))
    return coreEntry.map((v, i) =>
      withoutCallerPopulate(v, Array.isArray(oursEntry) ? oursEntry[i] : undefined, false)
    );
  if (coreEntry === null || typeof coreEntry !== 'object') return coreEntry;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(coreEntry)) {
    const mine = (oursEntry as Record<string, unknown> | null)?.[k];
    if (top && k === 'localizations') continue;
    const isCount =
      v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).join() === 'count';
    if (isCount) {
      const n = (v as { count: number }).count;
      const have = Array.isArray(mine) ? mine.length : mine ? 1 : 0;
      out[k] = have === n ? mine : v;
    } else out[k] = withoutCallerPopulate(v, mine, false);
  }
  return out;
}

type Expected = [documentId: string, event: string, locale: string | null];
const key = (h: Hook | Expected) =>
  Array.isArray(h) ? `${h[0]} ${h[1]} ${h[2]}` : `${h.documentId} ${h.event} ${h.locale}`;

/**
 * Run one action and wait until both receivers got what it should yield (`ours`, and `core`
 * when it differs: deletes); then compare the events one for one, and each core `entry` with
 * ours. A late extra event of this step shows up in the next step's comparison.
 */
async function step<T>(
  label: string,
  run: () => Promise<T>,
  expected: (r: T) => { ours: Expected[]; core?: Expected[] }
) {
  const o0 = ours().length;
  const c0 = core().length;
  const r = await run();
  const exp = expected(r);
  const coreExp = exp.core ?? exp.ours;
  await rx
    .waitFor(
      () => ours().length - o0 >= exp.ours.length && core().length - c0 >= coreExp.length,
      20_000
    )
    .catch(() => undefined);
  const o = ours().slice(o0);
  const c = core().slice(c0);
  expect(o.map(key).sort(), `${label}: plugin events`).toEqual(exp.ours.map(key).sort());
  expect(c.map(key).sort(), `${label}: core events`).toEqual(coreExp.map(key).sort());
  for (const h of o) {
    expect(h.req.headers['x-strapi-event'], `${label}: X-Strapi-Event`).toBe(h.event);
    expect(h.req.headers['user-agent'], `${label}: User-Agent`).toMatch(
      /^strapi-plugin-document-webhooks\/\d+\.\d+\.\d+/
    );
    expect(h.body.documentId, `${label}: documentId`).toBe(h.documentId);
    const twins = c.filter((x) => key(x) === key(h));
    // Delete: core sends one per row (draft and published); ours is the published one when there was one.
    const twin =
      h.event === 'entry.delete' ? twins.find((x) => x.entry.id === h.entry.id) : twins[0];
    expect(twin, `${label}: core twin of ${key(h)} (id ${h.entry.id})`).toBeDefined();
    if (h.event === 'entry.delete' && twins.some((x) => x.entry.publishedAt))
      expect(h.entry.publishedAt, `${label}: delete carries the published version`).toEqual(
        expect.any(String)
      );
    const coreEntry =
      h.event === 'entry.unpublish' ? withoutCallerPopulate(twin!.entry, h.entry) : twin!.entry;
    expect(
      subsetDifferences(coreEntry, h.entry),
      `${label}: core entry ⊆ ours for ${key(h)}`
    ).toEqual([]);
  }
  return { r, ours: o, core: c };
}

const rest = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${app.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};

const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
  const res = await rest('POST', '/graphql', { query, variables });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data;
};

/** A full article: relation, media, component with nested component, dynamic zone whose component has a relation and a nested component. */
const fullArticle = (title: string) => ({
  title,
  summary: `${title} summary`,
  author: author.documentId,
  cover: coverId,
  seo: { metaTitle: `${title} meta`, social: { network: 'LinkedIn', title: `${title} card` } },
  blocks: [
    {
      __component: 'blocks.quote',
      text: `${title} quote`,
      author: author.documentId,
      source: { network: 'Bluesky', title: `${title} source` },
    },
    { __component: 'blocks.text', body: `${title} text` },
  ],
});

beforeAll(async () => {
  rx = await startReceiver();
  app = await bootStrapi();
  // Strapi's own webhook, as an admin creates it (store + runner); it fires for every type.
  // Core webhooks have no SSRF guard: the admin API refuses loopback URLs only in production.
  const coreHook = await app.api('POST', '/admin/webhooks', {
    name: 'core',
    url: rx.url('/core'),
    headers: {},
    events: ALL_EVENTS,
  });
  expect(coreHook.status, JSON.stringify(coreHook.body)).toBe(201);
  for (const contentType of [A, U]) {
    const res = await app.api('POST', '/document-webhooks/webhooks', {
      name: `parity ${contentType}`,
      contentType,
      events: ALL_EVENTS,
      url: rx.url('/plugin'),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  apiToken = (
    await app.strapi
      .service('admin::api-token')
      .create({ name: `parity-${Date.now()}`, type: 'full-access', lifespan: null })
  ).accessKey;
  author = await app.strapi
    .documents('api::author.author')
    .create({ data: { name: 'Quoted Author', bio: 'bio' } });
  // A media library entry (its row is what a snapshot reads; no file needs to exist).
  const file = await app.strapi.db.query('plugin::upload.file').create({
    data: {
      name: 'cover.png',
      hash: 'cover_parity',
      ext: '.png',
      mime: 'image/png',
      size: 1.2,
      width: 8,
      height: 8,
      url: '/uploads/cover_parity.png',
      provider: 'local',
      folderPath: '/',
    },
  });
  coverId = file.id;
});

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('Content Manager admin API', () => {
  it('create, update, a new locale, publish, unpublish, discard, clone, delete: the same events as core', async () => {
    const { r: id, ours: created } = await step(
      'create',
      async () => {
        const res = await app.api('POST', `${CM}?locale=en`, {
          ...fullArticle('CM one'),
          locale: 'en',
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        return res.body.data.documentId as string;
      },
      (id) => ({ ours: [[id, 'entry.create', 'en']] })
    );
    // Dynamic zones in full: the relation and the nested component inside a DZ component.
    const entry = created[0].entry;
    expect(entry.blocks[0]).toMatchObject({
      __component: 'blocks.quote',
      author: { documentId: author.documentId, name: 'Quoted Author' },
      source: { network: 'Bluesky' },
    });
    expect(entry.seo).toMatchObject({ metaTitle: 'CM one meta', social: { network: 'LinkedIn' } });
    expect(entry.cover).toMatchObject({ id: coverId, url: '/uploads/cover_parity.png' });
    expect(entry.author).toMatchObject({ documentId: author.documentId });
    // No `localizations: []` that would say "no other locale".
    expect('localizations' in entry ? entry.localizations.length : 1).toBeGreaterThan(0);

    await step(
      'update',
      () => app.api('PUT', `${CM}/${id}?locale=en`, { ...fullArticle('CM one b'), locale: 'en' }),
      () => ({ ours: [[id, 'entry.update', 'en']] })
    );
    await step(
      'update that creates fr',
      () => app.api('PUT', `${CM}/${id}?locale=fr`, { title: 'CM un', locale: 'fr' }),
      () => ({ ours: [[id, 'entry.create', 'fr']] })
    );
    // The Content Manager's publish saves the form first.
    await step(
      'publish en',
      () =>
        app.api('POST', `${CM}/${id}/actions/publish?locale=en`, {
          ...fullArticle('CM one b'),
          locale: 'en',
        }),
      () => ({
        ours: [
          [id, 'entry.update', 'en'],
          [id, 'entry.publish', 'en'],
        ],
      })
    );
    const { ours: unpub } = await step(
      'unpublish en',
      () => app.api('POST', `${CM}/${id}/actions/unpublish?locale=en`, { locale: 'en' }),
      () => ({ ours: [[id, 'entry.unpublish', 'en']] })
    );
    expect(unpub[0].entry.publishedAt).toEqual(expect.any(String));
    await step(
      'publish en again',
      () =>
        app.api('POST', `${CM}/${id}/actions/publish?locale=en`, {
          ...fullArticle('CM one c'),
          locale: 'en',
        }),
      () => ({
        ours: [
          [id, 'entry.update', 'en'],
          [id, 'entry.publish', 'en'],
        ],
      })
    );
    await step(
      'edit the draft',
      () =>
        app.api('PUT', `${CM}/${id}?locale=en`, { ...fullArticle('CM one draft'), locale: 'en' }),
      () => ({ ours: [[id, 'entry.update', 'en']] })
    );
    const { ours: discarded } = await step(
      'discard',
      () => app.api('POST', `${CM}/${id}/actions/discard?locale=en`, { locale: 'en' }),
      () => ({ ours: [[id, 'entry.draft-discard', 'en']] })
    );
    expect(discarded[0].entry.title).toBe('CM one c');
    expect(discarded[0].body.previous.title).toBe('CM one draft');

    const { r: cloneId } = await step(
      'clone',
      async () => {
        const res = await app.api('POST', `${CM}/clone/${id}?locale=en`, {
          ...fullArticle('CM clone'),
          locale: 'en',
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.body.data.documentId as string;
      },
      (cloneId) => ({ ours: [[cloneId, 'entry.create', 'en']] })
    );

    // A publish in a locale the document does not have yet: created, then published.
    await step(
      'publish a new locale',
      () =>
        app.api('POST', `${CM}/${cloneId}/actions/publish?locale=fr`, {
          title: 'CM clone fr',
          locale: 'fr',
        }),
      () => ({
        ours: [
          [cloneId, 'entry.create', 'fr'],
          [cloneId, 'entry.publish', 'fr'],
        ],
      })
    );

    // Delete one locale of a document published there: core sends the draft and the published row.
    await step(
      'delete en',
      () => app.api('DELETE', `${CM}/${id}?locale=en`),
      () => ({
        ours: [[id, 'entry.delete', 'en']],
        core: [
          [id, 'entry.delete', 'en'],
          [id, 'entry.delete', 'en'],
        ],
      })
    );
    await step(
      'delete fr (draft only)',
      () => app.api('DELETE', `${CM}/${id}?locale=fr`),
      () => ({ ours: [[id, 'entry.delete', 'fr']] })
    );
  });

  it('bulkPublish, bulkUnpublish, bulkDelete', async () => {
    const ids: string[] = [];
    for (const title of ['Bulk A', 'Bulk B']) {
      const { r } = await step(
        `create ${title}`,
        async () =>
          (await app.strapi.documents(A).create({ data: fullArticle(title), locale: 'en' }))
            .documentId as string,
        (id) => ({ ours: [[id, 'entry.create', 'en']] })
      );
      ids.push(r);
    }
    await step(
      'bulkPublish',
      () => app.api('POST', `${CM}/actions/bulkPublish`, { documentIds: ids, locale: 'en' }),
      () => ({
        ours: ids.map((id) => [id, 'entry.publish', 'en'] as Expected),
      })
    );
    await step(
      'bulkUnpublish',
      () => app.api('POST', `${CM}/actions/bulkUnpublish`, { documentIds: ids, locale: 'en' }),
      () => ({
        ours: ids.map((id) => [id, 'entry.unpublish', 'en'] as Expected),
      })
    );
    await step(
      'bulkPublish again',
      () => app.api('POST', `${CM}/actions/bulkPublish`, { documentIds: [ids[0]], locale: 'en' }),
      () => ({ ours: [[ids[0], 'entry.publish', 'en']] })
    );
    await step(
      'bulkDelete',
      () => app.api('POST', `${CM}/actions/bulkDelete`, { documentIds: ids, locale: 'en' }),
      () => ({
        ours: ids.map((id) => [id, 'entry.delete', 'en'] as Expected),
        core: [
          [ids[0], 'entry.delete', 'en'],
          [ids[0], 'entry.delete', 'en'],
          [ids[1], 'entry.delete', 'en'],
        ],
      })
    );
  });
});

describe('REST API (API token) and GraphQL', () => {
  it('REST: create (published by default), update that creates a locale, delete', async () => {
    const { r: id } = await step(
      'POST /api/articles',
      async () => {
        const res = await rest('POST', '/api/articles?locale=en', {
          data: fullArticle('REST one'),
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        return res.body.data.documentId as string;
      },
      (id) => ({
        ours: [
          [id, 'entry.create', 'en'],
          [id, 'entry.publish', 'en'],
        ],
      })
    );
    await step(
      'PUT /api/articles/:id',
      () => rest('PUT', `/api/articles/${id}?locale=en`, { data: { title: 'REST one b' } }),
      () => ({
        ours: [
          [id, 'entry.update', 'en'],
          [id, 'entry.publish', 'en'],
        ],
      })
    );
    await step(
      'PUT /api/articles/:id?locale=fr (new locale)',
      () => rest('PUT', `/api/articles/${id}?locale=fr`, { data: { title: 'REST un' } }),
      () => ({
        ours: [
          [id, 'entry.create', 'fr'],
          [id, 'entry.publish', 'fr'],
        ],
      })
    );
    await step(
      'DELETE /api/articles/:id?locale=fr',
      () => rest('DELETE', `/api/articles/${id}?locale=fr`),
      () => ({
        ours: [[id, 'entry.delete', 'fr']],
        core: [
          [id, 'entry.delete', 'fr'],
          [id, 'entry.delete', 'fr'],
        ],
      })
    );
  });

  it('GraphQL: create, update in a new locale, delete', async () => {
    const { r: id } = await step(
      'createArticle',
      async () =>
        (
          await graphql(
            `
              mutation ($data: ArticleInput!) {
                createArticle(data: $data, locale: "en", status: DRAFT) {
                  documentId
                }
              }
            `,
            {
              data: {
                title: 'GQL one',
                author: author.documentId,
                seo: { metaTitle: 'gql', social: { network: 'Mastodon', title: 'card' } },
              },
            }
          )
        ).createArticle.documentId as string,
      (id) => ({ ours: [[id, 'entry.create', 'en']] })
    );
    await step(
      'updateArticle (new locale fr)',
      () =>
        graphql(
          `
            mutation ($id: ID!) {
              updateArticle(
                documentId: $id
                locale: "fr"
                status: DRAFT
                data: { title: "GQL un" }
              ) {
                documentId
              }
            }
          `,
          { id }
        ),
      () => ({
        ours: [[id, 'entry.create', 'fr']],
      })
    );
    await step(
      'updateArticle',
      () =>
        graphql(
          `
            mutation ($id: ID!) {
              updateArticle(
                documentId: $id
                locale: "en"
                status: DRAFT
                data: { title: "GQL one b" }
              ) {
                documentId
              }
            }
          `,
          { id }
        ),
      () => ({
        ours: [[id, 'entry.update', 'en']],
      })
    );
    await step(
      'deleteArticle',
      () =>
        graphql(
          `
            mutation ($id: ID!) {
              deleteArticle(documentId: $id, locale: "en") {
                documentId
              }
            }
          `,
          { id }
        ),
      () => ({
        ours: [[id, 'entry.delete', 'en']],
      })
    );
  });
});

describe('strapi.documents() code', () => {
  it('update in a new locale, publish all locales, unpublish of a never-published document, delete all locales', async () => {
    const docs = () => app.strapi.documents(A);
    const { r: id } = await step(
      'create',
      async () =>
        (await docs().create({ data: fullArticle('Code one'), locale: 'en' })).documentId as string,
      (id) => ({
        ours: [[id, 'entry.create', 'en']],
      })
    );
    // Never published: Strapi emits nothing, and neither do we (checked by the next step's counts).
    await step(
      'unpublish never published',
      () => docs().unpublish({ documentId: id, locale: 'en' }),
      () => ({ ours: [] })
    );
    await step(
      'update in fr (new locale), published',
      () =>
        docs().update({
          documentId: id,
          locale: 'fr',
          data: { title: 'Code un' },
          status: 'published',
        }),
      () => ({
        ours: [
          [id, 'entry.create', 'fr'],
          [id, 'entry.publish', 'fr'],
        ],
      })
    );
    await step(
      'publish all locales',
      () => docs().publish({ documentId: id, locale: '*' }),
      () => ({
        ours: [
          [id, 'entry.publish', 'en'],
          [id, 'entry.publish', 'fr'],
        ],
      })
    );
    await step(
      'delete all locales',
      () => docs().delete({ documentId: id, locale: '*' }),
      () => ({
        ours: [
          [id, 'entry.delete', 'en'],
          [id, 'entry.delete', 'fr'],
        ],
        core: [
          [id, 'entry.delete', 'en'],
          [id, 'entry.delete', 'en'],
          [id, 'entry.delete', 'fr'],
          [id, 'entry.delete', 'fr'],
        ],
      })
    );
  });
});

describe('users-permissions User', () => {
  it('is listed for the admin pickers with its public fields only; hidden and admin types are not', async () => {
    const res = await app.api('GET', '/document-webhooks/content-types');
    expect(res.status).toBe(200);
    const uids: string[] = res.body.data.map((c: any) => c.uid);
    expect(uids).toEqual(
      expect.arrayContaining([A, U, 'api::quotation.quotation', 'api::author.author'])
    );
    for (const hidden of [
      'admin::user',
      'admin::api-token',
      'plugin::users-permissions.role',
      'plugin::upload.file',
      'plugin::i18n.locale',
    ])
      expect(uids).not.toContain(hidden);
    // In this app (as in a create-strapi-app project) the only plugin type the Content Manager lists is the User.
    expect(uids.filter((u) => !u.startsWith('api::'))).toEqual([U]);
    const user = res.body.data.find((c: any) => c.uid === U);
    expect(user.displayName).toBe('User');
    const names = user.attributes.map((a: any) => a.name);
    expect(names).toEqual(
      expect.arrayContaining(['username', 'email', 'confirmed', 'blocked', 'role'])
    );
    for (const secret of ['password', 'resetPasswordToken', 'confirmationToken'])
      expect(names).not.toContain(secret);
    // A localized type's virtual `localizations` is never in a snapshot: not offered either.
    expect(
      res.body.data.find((c: any) => c.uid === A).attributes.map((a: any) => a.name)
    ).not.toContain('localizations');

    // Form fields are checked against the same list.
    const form = (field: string) =>
      app.api('POST', '/document-webhooks/webhooks', {
        name: `user form ${field}`,
        contentType: U,
        events: ['entry.create'],
        url: rx.url('/form'),
        bodyType: 'form',
        formFields: [{ field, key: field }],
      });
    expect((await form('email')).status).toBe(201);
    const refused = await form('password');
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.errors[0].path).toEqual(['formFields', 0, 'field']);
  });

  it('POST /api/auth/local/register is an entry.create on the User type, without password or tokens', async () => {
    const email = `signup-${Date.now()}@example.test`;
    const password = 'Sup3r-secret-pw';
    const { r: id, ours: got } = await step(
      'register',
      async () => {
        const res = await fetch(`${app.baseUrl}/api/auth/local/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `signup${Date.now()}`, email, password }),
        });
        const body = await res.json();
        expect(res.status, JSON.stringify(body)).toBe(200);
        return body.user.documentId as string;
      },
      (id) => ({ ours: [[id, 'entry.create', null]] })
    );
    const hook = got[0];
    expect(hook.uid).toBe(U);
    expect(hook.entry).toMatchObject({ documentId: id, email });
    for (const field of ['password', 'resetPasswordToken', 'confirmationToken'])
      expect(hook.entry).not.toHaveProperty(field);
    expect(hook.req.body).not.toContain(password);
    const stored = await app.strapi.db.query(U).findOne({ where: { documentId: id } });
    expect(hook.req.body).not.toContain(stored.password);
  });
});
