import type { Core } from '@strapi/strapi';

/** The `documentTitle` column is a string (255). */
const MAX_TITLE = 255;
/** A content type's main field is re-read this often: an admin may change it in "Configure the view". */
const MAIN_FIELD_TTL_MS = 10_000;

/**
 * The title of a captured document for the request log (docs/api.md, "Log"): the value of its
 * content type's main field, as set in the Content Manager's "Configure the view", from the
 * snapshot; null when that field is empty, not a scalar, or the type has no such setting.
 */
export function titleOf(doc: unknown, mainField: string | null): string | null {
  if (!mainField || !doc || typeof doc !== 'object') return null;
  const value = (doc as Record<string, unknown>)[mainField];
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const text = String(value).trim();
  return text === '' ? null : text.length > MAX_TITLE ? `${text.slice(0, MAX_TITLE - 1)}…` : text;
}

/**
 * Main fields read through the Content Manager's own service (its stored view configuration),
 * cached per content type for a few seconds; null when the Content Manager is not there.
 */
export function createTitles(strapi: Core.Strapi) {
  const cache = new Map<string, { at: number; field: Promise<string | null> }>();
  const mainField = (uid: string): Promise<string | null> => {
    const hit = cache.get(uid);
    if (hit && Date.now() - hit.at < MAIN_FIELD_TTL_MS) return hit.field;
    const field = (async () => {
      const cm = strapi.plugin('content-manager')?.service('content-types') as any;
      if (!cm?.findConfiguration) return null;
      const config = await cm.findConfiguration({ uid });
      return typeof config?.settings?.mainField === 'string' ? config.settings.mainField : null;
    })().catch((err) => {
      // The log row goes without a title rather than the delivery failing.
      strapi.log.warn(
        `[document-webhooks] reading the Content Manager's main field of ${uid} failed: ${(err as Error)?.message ?? err}`
      );
      cache.delete(uid);
      return null;
    });
    cache.set(uid, { at: Date.now(), field });
    return field;
  };
  return {
    async of(uid: string, doc: unknown): Promise<string | null> {
      if (!doc) return null;
      return titleOf(doc, await mainField(uid));
    },
  };
}
