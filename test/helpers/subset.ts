/**
 * Where `sub` is not contained in `sup`: every key of an object in `sub` must be in `sup` with a
 * contained value, arrays must have the same length and contained items, anything else must be
 * equal. Returns the differing paths (empty = contained), so a failing test says where.
 * Used to check that Strapi's core webhook `entry` is a subset of the plugin's populated one.
 */
export function subsetDifferences(sub: unknown, sup: unknown, path = '$'): string[] {
  if (Array.isArray(sub)) {
    if (!Array.isArray(sup)) return [`${path}: expected an array, got ${JSON.stringify(sup)}`];
    if (sub.length !== sup.length) return [`${path}: ${sub.length} items vs ${sup.length}`];
    return sub.flatMap((item, i) => subsetDifferences(item, sup[i], `${path}[${i}]`));
  }
  if (sub !== null && typeof sub === 'object') {
    if (sup === null || typeof sup !== 'object' || Array.isArray(sup))
      return [`${path}: expected an object, got ${JSON.stringify(sup)}`];
    return Object.entries(sub).flatMap(([k, v]) =>
      k in (sup as object)
        ? subsetDifferences(v, (sup as Record<string, unknown>)[k], `${path}.${k}`)
        : [`${path}.${k}: missing (${JSON.stringify(v)})`]
    );
  }
  return Object.is(sub, sup) ? [] : [`${path}: ${JSON.stringify(sub)} vs ${JSON.stringify(sup)}`];
}
