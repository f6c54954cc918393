/**
 * The transforms a condition may apply (`value|name` or `value|name(arg)`); docs/security.md,
 * section 3. Each takes plain JSON data and returns plain data, never a function.
 *  - `lower`, `upper`, `trim` — string case/whitespace (numbers/booleans are stringified first;
 *    anything else gives `undefined`).
 *  - `length` — length of a string or array, number of keys of an object.
 *  - `number` — numeric value of a number, numeric string or boolean; otherwise `undefined`.
 *  - `string` — string form; `null`/`undefined` → `""`, objects/arrays → JSON.
 *  - `keys` — own keys of an object (indices of an array), `[]` otherwise.
 *  - `includes(x)` — substring test on strings, strict membership on arrays, own key on objects.
 *  - `startsWith(x)`, `endsWith(x)` — string prefix/suffix tests (false on non-strings).
 *  - `abs`, `round(digits = 0)` — numeric helpers (`undefined` for non-numbers).
 *  - `date` — ISO-8601 string (or epoch ms number) → epoch milliseconds, `undefined` if invalid.
 *    Example: `doc.dueDate|date < now|date`.
 */

export type Transform = (value: unknown, ...args: unknown[]) => unknown;

export const hasOwn = (obj: object, key: PropertyKey): boolean =>
  Object.prototype.hasOwnProperty.call(obj, key);

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const caseTransform =
  (fn: (s: string) => string): Transform =>
  (value) => {
    if (typeof value === 'string') return fn(value);
    if (typeof value === 'number' || typeof value === 'boolean') return fn(String(value));
    return undefined;
  };

const toNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
};

/** Null-prototype table: a transform name can never resolve to an Object.prototype member. */
export const TRANSFORMS: Readonly<Record<string, Transform>> = Object.assign(
  Object.create(null) as Record<string, Transform>,
  {
    lower: caseTransform((s) => s.toLowerCase()),
    upper: caseTransform((s) => s.toUpperCase()),
    trim: caseTransform((s) => s.trim()),
    length: (value: unknown) => {
      if (typeof value === 'string' || Array.isArray(value)) return value.length;
      if (isRecord(value)) return Object.keys(value).length;
      return undefined;
    },
    number: (value: unknown) => toNumber(value),
    string: (value: unknown) => {
      if (value === null || value === undefined) return '';
      if (typeof value === 'object') return JSON.stringify(value);
      return String(value);
    },
    keys: (value: unknown) =>
      typeof value === 'object' && value !== null ? Object.keys(value) : [],
    includes: (value: unknown, needle: unknown) => {
      if (typeof value === 'string')
        return needle !== undefined && needle !== null && value.includes(String(needle));
      if (Array.isArray(value)) return value.some((elem) => elem === needle);
      if (isRecord(value) && (typeof needle === 'string' || typeof needle === 'number'))
        return hasOwn(value, needle);
      return false;
    },
    startsWith: (value: unknown, prefix: unknown) =>
      typeof value === 'string' &&
      prefix !== undefined &&
      prefix !== null &&
      value.startsWith(String(prefix)),
    endsWith: (value: unknown, suffix: unknown) =>
      typeof value === 'string' &&
      suffix !== undefined &&
      suffix !== null &&
      value.endsWith(String(suffix)),
    abs: (value: unknown) => {
      const n = toNumber(value);
      return n === undefined ? undefined : Math.abs(n);
    },
    round: (value: unknown, digits: unknown = 0) => {
      const n = toNumber(value);
      const d = toNumber(digits) ?? 0;
      if (n === undefined) return undefined;
      const factor = 10 ** Math.max(0, Math.min(15, Math.trunc(d)));
      return Math.round(n * factor) / factor;
    },
    date: (value: unknown) => {
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
      if (typeof value !== 'string' || value.trim() === '') return undefined;
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? undefined : ms;
    },
  }
);

/** Transforms whose result is a string the evaluation built (charged and size-checked). */
export const STRING_BUILDING_TRANSFORMS: ReadonlySet<string> = new Set([
  'string',
  'upper',
  'lower',
  'trim',
]);

/** Names of the transforms available in conditions. */
export const CONDITION_TRANSFORMS: readonly string[] = Object.freeze(Object.keys(TRANSFORMS));
