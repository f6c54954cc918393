/**
 * Delivery statistics per time bucket (docs/api.md, "Delivery statistics"): which buckets a
 * range has, the histogram bins latencies are counted in (and their SQL), percentiles from a
 * histogram, and the SQL `CASE` that puts a time in its bucket. Pure; the query is in
 * services/stats.ts.
 */
import { STATS_RANGES, type StatsBucket, type StatsRange } from '../contracts/stats';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** How each range is cut: hourly for a day, daily (UTC days) beyond. */
const SHAPES: Record<StatsRange, { size: number; count: number }> = {
  '24h': { size: HOUR, count: 24 },
  '7d': { size: DAY, count: 7 },
  '30d': { size: DAY, count: 30 },
};

export const isRange = (value: unknown): value is StatsRange =>
  (STATS_RANGES as readonly unknown[]).includes(value);

/**
 * The bucket starts of `range` at `now` (ms), oldest first, the last one the bucket `now`
 * falls in (so it is partial), and the end of that last bucket.
 */
export function bucketStarts(range: StatsRange, now: number): { starts: number[]; end: number } {
  const { size, count } = SHAPES[range];
  const last = Math.floor(now / size) * size;
  const starts = Array.from({ length: count }, (_, i) => last - (count - 1 - i) * size);
  return { starts, end: last + size };
}

const LOG_FLOOR = 20; // ms: 1 ms bins below, ×1.1 bins from here
const LOG_CEIL = 120_000; // ms: one open bin from here (two minutes)
const LN_FLOOR = Math.log(LOG_FLOOR);
const PER_LN = 1 / Math.log(1.1);
/**
 * Nudges a duration that sits exactly on a ×1.1 edge (22 ms) over it whatever the last bit of
 * the `LN` of the engine computing it; no other integer below two minutes comes within 1e-7
 * of an edge (test/unit/stats-series.test.ts), so the engines' `LN`s cannot disagree.
 */
const EDGE = 1e-9;
const OPEN_BIN = LOG_FLOOR + Math.floor((Math.log(LOG_CEIL) - LN_FLOOR) * PER_LN) + 1;

/**
 * The latency bin of a duration (ms): its own bin below 20 ms, then `20 + ⌊log₁.₁(ms / 20)⌋`,
 * one open bin from two minutes (113 bins). Arithmetic rather than a lookup so the database
 * computes it per row as cheaply as `latencyBinSql` does (docs/benchmarks.md, "Delivery
 * statistics"). A percentile read from these bins is exact below 20 ms, within 10 % above.
 */
export function latencyBin(ms: number): number {
  if (ms < 1) return 0;
  if (ms < LOG_FLOOR) return Math.floor(ms);
  if (ms >= LOG_CEIL) return OPEN_BIN;
  return LOG_FLOOR + Math.floor((Math.log(ms) - LN_FLOOR) * PER_LN + EDGE);
}

/**
 * `latencyBin` as SQL over an integer column (SQLite, PostgreSQL and MariaDB all have `LN`
 * and `FLOOR` on doubles), -1 when it is NULL (no attempt timed). The constants are the
 * doubles `latencyBin` uses, in exponent notation: it reads back exactly, and MariaDB takes it
 * as a double where it takes `2.99…` as a DECIMAL, converted again for every row (twice as slow).
 */
export function latencyBinSql(expr: string): string {
  const [lnFloor, perLn, edge] = [LN_FLOOR, PER_LN, EDGE].map((x) => x.toExponential());
  return (
    `CASE WHEN ${expr} IS NULL THEN -1 WHEN ${expr} < 1 THEN 0` +
    ` WHEN ${expr} < ${LOG_FLOOR} THEN ${expr} WHEN ${expr} >= ${LOG_CEIL} THEN ${OPEN_BIN}` +
    ` ELSE ${LOG_FLOOR} + FLOOR((LN(${expr}) - ${lnFloor}) * ${perLn} + ${edge}) END`
  );
}

/** Lower bounds of the latency bins (ms, ascending): the first integer `latencyBin` puts in each. */
export const LATENCY_BINS: readonly number[] = (() => {
  const out: number[] = [];
  for (let bin = 0; bin <= OPEN_BIN; bin++) {
    // ⌈20 × 1.1^k⌉, moved to where the float formula actually switches.
    let ms =
      bin < LOG_FLOOR ? bin : Math.min(LOG_CEIL, Math.ceil(LOG_FLOOR * 1.1 ** (bin - LOG_FLOOR)));
    while (ms > 0 && latencyBin(ms - 1) >= bin) ms--;
    while (latencyBin(ms) < bin) ms++;
    out.push(ms);
  }
  return out;
})();

/**
 * The index of the bin `value` falls in, as SQL: a `CASE` nested as a binary search over
 * `bounds` (ascending lower bounds; values below the first land in bin 0), so each row costs
 * log2(bins) comparisons instead of one per bin. `literal(v)` returns the SQL for a bound and
 * may push bindings (they are returned in the order their `?` appear).
 */
export function binCase(
  expr: string,
  bounds: readonly unknown[],
  literal: (v: unknown, bindings: unknown[]) => string
): { sql: string; bindings: unknown[] } {
  const bindings: unknown[] = [];
  const node = (lo: number, hi: number): string => {
    if (hi - lo === 1) return String(lo);
    const mid = (lo + hi) >> 1;
    const bound = literal(bounds[mid], bindings);
    return `CASE WHEN ${expr} < ${bound} THEN ${node(lo, mid)} ELSE ${node(mid, hi)} END`;
  };
  return { sql: node(0, bounds.length), bindings };
}

/** The bin a value falls in among ascending lower `bounds` (what `binCase` computes in SQL). */
export function binOf(value: number, bounds: readonly number[]): number {
  let lo = 0;
  let hi = bounds.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (value < bounds[mid]) hi = mid;
    else lo = mid;
  }
  return lo;
}

/**
 * The `q` percentile (0 < q ≤ 1, nearest rank) of the values counted in `counts` (bin → count
 * over `bounds`), interpolated linearly inside its bin and rounded to a ms; null when empty.
 * The last bin is open: values there read as its lower bound.
 */
export function percentileOf(
  counts: ReadonlyMap<number, number>,
  q: number,
  bounds: readonly number[] = LATENCY_BINS
): number | null {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const bin of [...counts.keys()].sort((a, b) => a - b)) {
    const n = counts.get(bin)!;
    if (seen + n >= rank) {
      const lo = bounds[bin];
      const hi = bin + 1 < bounds.length ? bounds[bin + 1] : lo;
      // Exact for 1 ms bins; otherwise the rank's position among the bin's n values.
      if (hi - lo <= 1) return lo;
      return Math.round(lo + ((hi - lo) * (rank - seen - 0.5)) / n);
    }
    seen += n;
  }
  return null;
}

/** One row of the stats query: bucket index, status, latency bin (-1: no attempt timed), count. */
export interface StatsRow {
  bucket: number;
  status: string;
  bin: number;
  count: number;
}

/** The buckets of a range from the query's rows: every bucket present, empty ones zero/null. */
export function toBuckets(starts: number[], rows: StatsRow[]): StatsBucket[] {
  const out = starts.map(() => ({
    counts: { delivered: 0, failed: 0, exhausted: 0 } as Record<string, number>,
    latency: new Map<number, number>(),
  }));
  for (const r of rows) {
    const b = out[r.bucket];
    if (!b) continue;
    if (r.status in b.counts) b.counts[r.status] += r.count;
    if (r.bin >= 0) b.latency.set(r.bin, (b.latency.get(r.bin) ?? 0) + r.count);
  }
  return out.map((b, i) => ({
    start: new Date(starts[i]).toISOString(),
    delivered: b.counts.delivered,
    failed: b.counts.failed,
    exhausted: b.counts.exhausted,
    p50Ms: percentileOf(b.latency, 0.5),
    p95Ms: percentileOf(b.latency, 0.95),
  }));
}
