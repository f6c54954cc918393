/**
 * Which of a document's relations, media, components and dynamic zones hold anything, in one
 * statement, so the snapshot populates only those: Strapi's populate costs one statement per
 * attribute, empty or not (measured in docs/benchmarks.md, "The capture's reads").
 *
 * Strapi keeps each of them in a link table (its database metadata names it): a row there per
 * link, its owner's id in one column, sometimes fixed values in others (a component's field).
 * `fillProbe` reads that from the metadata; an attribute stored any other way has no probe and
 * is always populated. A probe that matches more rows than Strapi's populate would (fewer
 * conditions) only costs a populate that finds nothing; one that matched fewer would lose data,
 * so it keeps every condition Strapi applies to the owner's side. `snapshot.ts` runs the probes
 * once per content type at start-up before using them; test/integration/snapshot-probe.test.ts
 * compares the snapshots with and without them for every kind of attribute.
 */

/** How to tell whether one attribute of a row links to anything. */
export interface FillProbe {
  /** The attribute's name. */
  name: string;
  /** The link table, and its column holding the owning row's id. */
  table: string;
  column: string;
  /** Columns of the link table with the value Strapi requires for this attribute. */
  where: Record<string, string | number>;
  /** Strapi's populate gives [] for the attribute when nothing is linked (else null). */
  toMany: boolean;
}

const TO_ONE = new Set(['oneToOne', 'manyToOne', 'morphOne', 'morphToOne']);
const TO_MANY = new Set(['oneToMany', 'manyToMany', 'morphMany', 'morphToMany']);

const isFixed = (on: unknown): on is Record<string, string | number> =>
  on == null ||
  (typeof on === 'object' &&
    Object.values(on as object).every((v) => typeof v === 'string' || typeof v === 'number'));

/**
 * The probe of attribute `name` of content type `uid`, from Strapi's database metadata:
 * `attribute` is `metadata.get(uid).attributes[name]`, `targetAttribute(uid, name)` an
 * attribute of another type (the file's `related`, for media). Null: populate it always.
 */
export function fillProbe(
  uid: string,
  name: string,
  attribute: any,
  targetAttribute: (uid: string, name: string) => any
): FillProbe | null {
  if (attribute?.type !== 'relation') return null;
  const toMany = TO_MANY.has(attribute.relation);
  if (!toMany && !TO_ONE.has(attribute.relation)) return null;
  const own = attribute.joinTable;
  if (own) {
    const column = own.joinColumn;
    if (!column?.name || (column.referencedColumn ?? 'id') !== 'id' || !isFixed(own.on))
      return null;
    return { name, table: own.name, column: column.name, where: { ...own.on }, toMany };
  }
  // Media: the links are the file's `related` (a polymorphic link table), per type and field.
  if (!attribute.morphBy || typeof attribute.target !== 'string') return null;
  const related = targetAttribute(attribute.target, attribute.morphBy);
  const table =
    related?.type === 'relation' && related.relation === 'morphToMany' && related.joinTable;
  const morph = table?.morphColumn;
  if (!morph?.idColumn?.name || (morph.idColumn.referencedColumn ?? 'id') !== 'id') return null;
  if (!morph.typeColumn?.name || !isFixed(table.on)) return null;
  return {
    name,
    table: table.name,
    column: morph.idColumn.name,
    where: { ...table.on, [morph.typeColumn.name]: uid, field: name },
    toMany,
  };
}

/**
 * A knex query, on knex instance or transaction `k`, giving per row of the document (`v`
 * binds its id, as `Db.runShaped` does) whether each probe's attribute links to anything:
 * columns `f0`, `f1`, … in the order of `probes`.
 */
export function probeQuery(
  k: any,
  table: string,
  documentIdColumn: string,
  probes: FillProbe[],
  v: (name: string) => unknown
) {
  const exists = probes.map((p, i) => {
    const conditions = Object.entries(p.where);
    return k.raw(
      `exists (select 1 from ?? where ?? = ??${' and ?? = ?'.repeat(conditions.length)}) as ??`,
      [
        p.table,
        `${p.table}.${p.column}`,
        `${table}.id`,
        ...conditions.flatMap(([column, value]) => [`${p.table}.${column}`, value]),
        `f${i}`,
      ]
    );
  });
  return k(table).select(exists).where(`${table}.${documentIdColumn}`, v('documentId'));
}

/** The attributes of `probes` some row of `rows` (a `probeQuery` result) links from. */
export function filledOf(probes: FillProbe[], rows: Record<string, unknown>[]): Set<string> {
  const yes = (x: unknown) => x === true || Number(x) === 1;
  return new Set(probes.filter((_, i) => rows.some((r) => yes(r[`f${i}`]))).map((p) => p.name));
}
