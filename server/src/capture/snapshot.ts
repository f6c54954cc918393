import type { Core } from '@strapi/strapi';
import { dbOf } from '../outbox/rows';
import { fillProbe, filledOf, probeQuery, type FillProbe } from './filled';

/**
 * Populate spec for a snapshot, like Strapi's own webhook payload (document service
 * `getDeepPopulate`) but bounded: components and dynamic zones in full, with the relations
 * (one level) and nested components inside them; relations and media one level deep (their
 * own fields, not theirs in turn). Virtual relations (i18n's `localizations`) are left out, as
 * Strapi does; creator fields are private: left out too.
 */
export function snapshotPopulate(
  strapi: Core.Strapi,
  uid: string,
  depth = 0
): Record<string, unknown> | true {
  const model = strapi.getModel(uid as any) as any;
  if (!model || depth > 5) return true;
  const populate: Record<string, unknown> = {};
  for (const [name, attr] of Object.entries<any>(model.attributes ?? {})) {
    if (attr.type === 'component')
      populate[name] = { populate: snapshotPopulate(strapi, attr.component, depth + 1) };
    else if (attr.type === 'dynamiczone') {
      // One fragment per component: `true` would stop at the components' own scalar fields.
      const on: Record<string, unknown> = {};
      for (const component of attr.components ?? [])
        on[component] = { populate: snapshotPopulate(strapi, component, depth + 1) };
      populate[name] = { on };
    } else if (attr.type === 'media') populate[name] = true;
    else if (
      attr.type === 'relation' &&
      !attr.unstable_virtual &&
      !String(attr.target ?? '').startsWith('admin::') &&
      !attr.private
    )
      populate[name] = true;
  }
  return Object.keys(populate).length ? populate : true;
}

/** What a content type's snapshot reads, per Strapi instance (its schema and database). */
interface SnapshotPlan {
  populate: Record<string, unknown> | true;
  table: string;
  documentIdColumn: string;
  /** The populated attributes `filled.ts` can tell empty (none, or two and more). */
  probes: FillProbe[];
  /** `verifyProbes` ran them: only then does `loadVersions` use them. */
  verified: boolean;
}

const plans = new WeakMap<Core.Strapi, Map<string, SnapshotPlan>>();

function planOf(strapi: Core.Strapi, uid: string): SnapshotPlan {
  let byUid = plans.get(strapi);
  if (!byUid) plans.set(strapi, (byUid = new Map()));
  let plan = byUid.get(uid);
  if (!plan) {
    const metadata = (strapi.db as any).metadata;
    const meta = metadata.get(uid);
    const populate = snapshotPopulate(strapi, uid);
    const candidates =
      populate === true
        ? []
        : Object.keys(populate)
            .map((name) =>
              fillProbe(
                uid,
                name,
                meta.attributes[name],
                (target, attr) => metadata.get(target)?.attributes?.[attr]
              )
            )
            .filter((p): p is FillProbe => p !== null);
    // The probe is one statement: it saves statements only where it can stand for two or more.
    const probes = candidates.length >= 2 ? candidates : [];
    plan = {
      populate,
      table: meta.tableName,
      documentIdColumn: meta.attributes.documentId?.columnName ?? 'document_id',
      probes,
      verified: false,
    };
    byUid.set(uid, plan);
  }
  return plan;
}

const runProbes = (
  strapi: Core.Strapi,
  k: any,
  plan: SnapshotPlan,
  uid: string,
  documentId: string
) =>
  dbOf(k, strapi).runShaped(`snapshot-probe:${uid}`, { documentId }, (v) =>
    probeQuery(k, plan.table, plan.documentIdColumn, plan.probes, v)
  );

/**
 * Run each watched content type's probes once (start-up, outside any transaction) before the
 * capture relies on them: a statement that fails here would, inside a write's transaction,
 * fail the write (PostgreSQL aborts the transaction). A type whose probes fail is populated
 * in full, with one warning.
 */
export async function verifyProbes(strapi: Core.Strapi, uids: string[]) {
  for (const uid of uids) {
    const plan = planOf(strapi, uid);
    if (!plan.probes.length) continue;
    try {
      await runProbes(strapi, (strapi.db as any).connection, plan, uid, '');
      plan.verified = true;
    } catch (err) {
      strapi.log.warn(
        `[document-webhooks] ${uid}: snapshots populate every relation, media and component (the statement telling which are empty failed: ${(err as Error).message})`
      );
    }
  }
}

/**
 * Rows of one document (all locales, draft and published) with the snapshot's population, on
 * knex instance or transaction `k` (the capture: the write's transaction). Attributes that
 * link to nothing get Strapi's empty value without a populate statement (`filled.ts`).
 */
export async function loadVersions(
  strapi: Core.Strapi,
  uid: string,
  documentId: string,
  k: any = (strapi.db as any).connection
): Promise<any[]> {
  const plan = planOf(strapi, uid);
  let populate = plan.populate;
  let empty: FillProbe[] = [];
  if (populate !== true && plan.verified) {
    const filled = filledOf(plan.probes, await runProbes(strapi, k, plan, uid, documentId));
    empty = plan.probes.filter((p) => !filled.has(p.name));
    populate = Object.fromEntries(
      Object.entries(populate).filter(([name]) => !empty.some((p) => p.name === name))
    );
  }
  const rows = await strapi.db.query(uid as any).findMany({
    where: { documentId },
    ...(populate !== true && Object.keys(populate).length ? { populate } : {}),
  });
  // Last: Strapi's populate adds each attribute as its statement completes (no fixed order).
  for (const row of rows) for (const p of empty) row[p.name] = p.toMany ? [] : null;
  return rows;
}

/** Strapi's output sanitizer: drops private and password attributes (also inside relations). */
export async function sanitizeSnapshot(
  strapi: Core.Strapi,
  uid: string,
  row: unknown
): Promise<Record<string, unknown> | null> {
  if (!row) return null;
  const sanitized = await strapi.contentAPI.sanitize.output(
    row as any,
    strapi.getModel(uid as any) as any
  );
  return JSON.parse(JSON.stringify(sanitized));
}
