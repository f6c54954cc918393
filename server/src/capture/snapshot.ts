import type { Core } from '@strapi/strapi';

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

const populateCache = new Map<string, Record<string, unknown> | true>();

/** Rows of one document (all locales, draft and published) with the snapshot's population. */
export async function loadVersions(
  strapi: Core.Strapi,
  uid: string,
  documentId: string
): Promise<any[]> {
  if (!populateCache.has(uid)) populateCache.set(uid, snapshotPopulate(strapi, uid));
  const populate = populateCache.get(uid);
  return strapi.db.query(uid as any).findMany({
    where: { documentId },
    ...(populate === true ? {} : { populate }),
  });
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

export function clearSnapshotCache() {
  populateCache.clear();
}
