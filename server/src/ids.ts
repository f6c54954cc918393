/** Largest id of a 32-bit integer primary key (PostgreSQL/MySQL `integer`). */
export const MAX_ID = 2_147_483_647;

/**
 * A row id from a route or query parameter, or null. Only canonical positive integers that
 * fit the column: "0x1", "1e0" or " 1" are not ids (Number() would accept them), and an id
 * beyond the column's range must be "not found" rather than a database error.
 */
export function toId(value: unknown): number | null {
  const num =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^[1-9][0-9]{0,9}$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isInteger(num) && num > 0 && num <= MAX_ID ? num : null;
}
