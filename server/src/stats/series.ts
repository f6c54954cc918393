/**
 * Delivery statistics per time bucket (docs/api.md, "Delivery statistics"): which buckets a
 * range has, the histogram bins latencies are counted in, percentiles from a histogram, and
 * the SQL `CASE` that puts a value in its bin. Pure; the query is in services/stats.ts.
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

/**
 * Lower bounds of the latency bins, in ms: one per ms below 20, then ×1.1 steps up to two
 * minutes (~110 bins). A percentile read from them is off by less than its bin's width: exact
 * below 20 ms, within 10 % above.
 */
export const LATENCY_BINS: readonly number[] = (() => {
  const out: number[] = [];
  for (let ms = 0; ms < 20; ms++) out.push(ms);
  for (let ms = 20; ms < 120_000; ms = Math.max(ms + 1, Math.round(ms * 1.1))) out.push(ms);
  out.push(120_000);
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
  literal: (v: unknown, bindings: unknown[]) => string = inline
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

const inline = (v: unknown) => {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new Error(`inline SQL bounds must be integers, got ${String(v)}`);
  return String(v);
};

/** The bin a value falls in (what `binCase` computes in SQL), for the percentile math. */
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
