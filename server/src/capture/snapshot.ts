import type { Core } from '@strapi/strapi';

/**
 * Populate spec for a snapshot: components and dynamic zones in full (they are part of the
 * document), relations and media one level deep (their own fields, not theirs in turn), like
 * the payload of Strapi's own webhooks but bounded. Creator fields are private: left out.
 */
export function snapshotPopulate(strapi: Core.Strapi, uid: string, depth = 0): Record<string, unknown> | true {
  const model = strapi.getModel(uid as any) as any;
  if (!model || depth > 5) return true;
  const populate: Record<string, unknown> = {};
  for (const [name, attr] of Object.entries<any>(model.attributes ?? {})) {
    if (attr.type === 'component') populate[name] = { populate: snapshotPopulate(strapi, attr.component, depth + 1) };
    else if (attr.type === 'dynamiczone') populate[name] = true;
    else if (attr.type === 'media') populate[name] = true;
    else if (attr.type === 'relation' && !String(attr.target ?? '').startsWith('admin::') && !attr.private) populate[name] = true;
  }
  return Object.keys(populate).length ? populate : true;
}

const populateCache = new Map<string, Record<string, unknown> | true>();

/** Rows of one document (all locales, draft and published) with the snapshot's population. */
export async function loadVersions(strapi: Core.Strapi, uid: string, documentId: string): Promise<any[]> {
  if (!populateCache.has(uid)) populateCache.set(uid, snapshotPopulate(strapi, uid));
  const populate = populateCache.get(uid);
  return strapi.db.query(uid as any).findMany({
    where: { documentId },
    ...(populate === true ? {} : { populate }),
  });
}

/** Strapi's output sanitizer: drops private and password attributes (also inside relations). */
export async function sanitizeSnapshot(strapi: Core.Strapi, uid: string, row: unknown): Promise<Record<string, unknown> | null> {
  if (!row) return null;
  const sanitized = await strapi.contentAPI.sanitize.output(row as any, strapi.getModel(uid as any) as any);
  return JSON.parse(JSON.stringify(sanitized));
}

export function clearSnapshotCache() {
  populateCache.clear();
}
