/**
 * The capture reads a document's relations, media, components and dynamic zones only where it
 * links to any (server/src/capture/filled.ts; docs/architecture.md, "Capture"). On a real
 * Strapi and database (TEST_DB), for documents with each of those filled or empty, alone and
 * together, in several versions (draft, published, a second locale): `loadVersions` gives
 * what Strapi's populate of the whole snapshot gives (the same values; Strapi's own key order
 * is that in which its populate statements complete), and skips the populate statements of the
 * empty ones. This fails when Strapi's link tables change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { loadVersions, snapshotPopulate, verifyProbes } from '../../server/src/capture/snapshot';

const A = 'api::article.article';
const Q = 'api::quotation.quotation';
const U = 'plugin::users-permissions.user';

let app: TestApp;
let authorId: string;
let coverId: number;
let roleId: number;

/** What the snapshot read before the probes: Strapi's populate of every snapshot attribute. */
const reference = (uid: string, documentId: string) =>
  app.strapi.db.query(uid).findMany({
    where: { documentId },
    populate: snapshotPopulate(app.strapi, uid),
  });

/**
 * Statements `fn` runs, in a transaction of its own as the capture does (Strapi's query layer
 * joins it; `fn` gets it for the probe). Counted by the transaction's id on knex's `query`
 * event (knex internals: if they change, nothing is counted and the assertions below fail),
 * so the worker's own statements meanwhile (PostgreSQL, MariaDB: other connections) are not.
 * `probes`: the probe's statement, apart (the SQLite adapter runs it outside knex: 0 there).
 */
async function statements(
  fn: (trx: any) => Promise<unknown>
): Promise<{ reads: number; probes: number }> {
  const n = { reads: 0, probes: 0 };
  let txid: string | undefined;
  const count = (q: { __knexTxId?: string; sql?: string }) => {
    if (txid === undefined || q.__knexTxId !== txid) return;
    if (/exists \(select 1 from/i.test(String(q.sql))) n.probes += 1;
    else n.reads += 1;
  };
  app.strapi.db.connection.on('query', count);
  try {
    await app.strapi.db.transaction(async ({ trx }: any) => {
      // A transaction's client hands out its one connection, which knex tags with the id.
      const connection = await trx.client.acquireConnection();
      txid = connection.__knexTxId;
      trx.client.releaseConnection(connection);
      await fn(trx);
      txid = undefined; // not the COMMIT
    });
  } finally {
    app.strapi.db.connection.off('query', count);
  }
  return n;
}

beforeAll(async () => {
  app = await bootStrapi();
  await verifyProbes(app.strapi, [A, Q, U]);
  authorId = (
    await app.strapi.documents('api::author.author').create({ data: { name: 'Probe Author' } })
  ).documentId;
  coverId = (
    await app.strapi.db.query('plugin::upload.file').create({
      data: {
        name: 'probe.png',
        hash: 'probe_png',
        ext: '.png',
        mime: 'image/png',
        size: 1,
        url: '/uploads/probe.png',
        provider: 'local',
        folderPath: '/',
      },
    })
  ).id;
  roleId = (
    await app.strapi.db
      .query('plugin::users-permissions.role')
      .findOne({ where: { type: 'authenticated' } })
  ).id;
});

afterAll(async () => {
  await app?.stop();
});

const seo = { metaTitle: 'm', social: { network: 'Mastodon', title: 's' } };
const blocks = () => [
  { __component: 'blocks.quote', text: 'q', author: authorId, source: { title: 'src' } },
  { __component: 'blocks.text', body: 'b' },
];
const articles: [string, () => Record<string, unknown>][] = [
  ['nothing linked', () => ({})],
  ['a relation', () => ({ author: authorId })],
  ['a media', () => ({ cover: coverId })],
  ['a component with a nested one', () => ({ seo })],
  ['a dynamic zone (a relation and a component inside)', () => ({ blocks: blocks() })],
  ['everything', () => ({ author: authorId, cover: coverId, seo, blocks: blocks() })],
];

describe('loadVersions with the probes', () => {
  it.each(articles)('article with %s: as the full populate', async (_label, data) => {
    const docs = app.strapi.documents(A);
    const { documentId } = await docs.create({ data: { title: 'probe', ...data() } });
    expect(await loadVersions(app.strapi, A, documentId)).toEqual(await reference(A, documentId));
  });

  it('versions that differ: a draft with a component, its published version and a locale with media', async () => {
    const docs = app.strapi.documents(A);
    const { documentId } = await docs.create({ data: { title: 'v1' } });
    await docs.publish({ documentId });
    await docs.update({ documentId, data: { seo } });
    await docs.update({ documentId, locale: 'fr', data: { title: 'fr', cover: coverId } });
    const rows = await loadVersions(app.strapi, A, documentId);
    expect(rows.length).toBe(3);
    expect(rows).toEqual(await reference(A, documentId));
    // Each version keeps its own: the published one has no seo, the French draft a cover.
    expect(rows.filter((r: any) => r.seo).length).toBe(1);
    expect(rows.filter((r: any) => r.cover).length).toBe(1);
  });

  it('a repeatable component, empty and filled (the only one of its type: no probe)', async () => {
    const docs = app.strapi.documents(Q);
    for (const items of [
      [],
      [
        { item: 'a', qty: 1 },
        { item: 'b', qty: 2 },
      ],
    ]) {
      const { documentId } = await docs.create({ data: { customer: 'c', items } });
      const rows = await loadVersions(app.strapi, Q, documentId);
      expect(rows[0].items).toHaveLength(items.length);
      expect(rows).toEqual(await reference(Q, documentId));
    }
  });

  it('the users-permissions User, with and without a role (one attribute: no probe)', async () => {
    const docs = app.strapi.documents(U);
    for (const [i, role] of [null, roleId].entries()) {
      const { documentId } = await docs.create({
        data: {
          username: `probe${i}`,
          email: `probe${i}@example.test`,
          password: 'Secret123',
          role,
        },
      });
      const rows = await loadVersions(app.strapi, U, documentId);
      expect(Boolean(rows[0].role)).toBe(role !== null);
      expect(rows).toEqual(await reference(U, documentId));
    }
  });

  it('skips the populate statements of what is empty, and only those', async () => {
    const docs = app.strapi.documents(A);
    const empty = (await docs.create({ data: { title: 'e' } })).documentId;
    const full = (
      await docs.create({
        data: { title: 'f', author: authorId, cover: coverId, seo, blocks: blocks() },
      })
    ).documentId;
    const fullPopulate = await statements(() => reference(A, empty));
    const probed = await statements((trx) => loadVersions(app.strapi, A, empty, trx));
    // The probe and the row read, and the populate's 4 statements gone.
    expect(probed.probes).toBeLessThanOrEqual(1);
    expect(probed.reads).toBeLessThanOrEqual(1);
    expect(fullPopulate.reads).toBeGreaterThanOrEqual(probed.reads + 4);
    // A document with everything filled populates all of it, as before (plus the probe).
    const refFull = await statements(() => reference(A, full));
    const probedFull = await statements((trx) => loadVersions(app.strapi, A, full, trx));
    expect(probedFull.reads).toBeGreaterThanOrEqual(refFull.reads);
    expect(probedFull.reads + probedFull.probes).toBeLessThanOrEqual(refFull.reads + 1);
  });
});
