import type { StatsBucket } from '../../../server/src/contracts';

/**
 * Geometry of the delivery chart and the list's sparkline (plain SVG, drawn by hand:
 * docs/admin.md, "Delivery chart"). Pure, unit-tested (`test/unit/chart.test.ts`).
 */

/**
 * A round axis maximum at or above `max` and its ticks from 0, about `ticks` of them; steps
 * of 1, 2, 2.5 or 5 × 10ⁿ (`integer`: 1, 2 or 5 × 10ⁿ and at least 1, for counts).
 */
export function niceScale(
  max: number,
  ticks = 4,
  integer = false
): { max: number; ticks: number[] } {
  if (!(max > 0)) return { max: 1, ticks: [0, 1] };
  const rough = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(
    integer ? 1 : 0,
    (integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]).map((m) => m * pow).find((s) => s >= rough)!
  );
  const top = Math.round(Math.ceil(max / step - 1e-9) * step * 1000) / 1000;
  const out: number[] = [];
  for (let i = 0; i * step <= top + step / 2; i++) out.push(Math.round(i * step * 1000) / 1000);
  return { max: top, ticks: out };
}

export interface BarSegment {
  kind: 'delivered' | 'failed' | 'exhausted';
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ChartBox {
  width: number;
  height: number;
  /** Space around the plot: left/right for the two axes, bottom for the time labels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Stacked bars (delivered at the bottom, then failed, then exhausted), one slot per bucket. */
export function stackedBars(buckets: StatsBucket[], box: ChartBox, yMax: number): BarSegment[] {
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const slot = plotW / Math.max(buckets.length, 1);
  const barW = Math.max(1, slot * 0.7);
  const out: BarSegment[] = [];
  buckets.forEach((b, i) => {
    let base = box.top + plotH;
    for (const kind of ['delivered', 'failed', 'exhausted'] as const) {
      const n = b[kind];
      if (!n) continue;
      const h = (n / yMax) * plotH;
      base -= h;
      out.push({
        kind,
        x: box.left + i * slot + (slot - barW) / 2,
        y: base,
        width: barW,
        height: h,
      });
    }
  });
  return out;
}

/** Where each value sits: the middle of its bucket's slot, clipped to the axis top; null for no value. */
export function linePoints(
  values: (number | null)[],
  box: ChartBox,
  yMax: number
): ({ x: number; y: number } | null)[] {
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const slot = plotW / Math.max(values.length, 1);
  return values.map((v, i) =>
    v === null
      ? null
      : {
          x: round(box.left + i * slot + slot / 2),
          y: round(box.top + plotH - (Math.min(v, yMax) / yMax) * plotH),
        }
  );
}

/**
 * SVG path of a latency line through `linePoints`; a bucket without a value breaks the line
 * (`M` again) rather than drawing through zero.
 */
export function linePath(values: (number | null)[], box: ChartBox, yMax: number): string {
  let path = '';
  let pen = false;
  for (const p of linePoints(values, box, yMax)) {
    if (!p) {
      pen = false;
      continue;
    }
    path += `${pen ? 'L' : 'M'}${p.x},${p.y}`;
    pen = true;
  }
  return path;
}

/** Which buckets get a time label: about `count` of them, evenly, always the last. */
export function labelIndexes(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const step = Math.ceil(n / count);
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i -= step) out.unshift(i);
  return out;
}

/** Totals over the buckets, for the chart's text alternative. */
export function totals(buckets: StatsBucket[]) {
  return buckets.reduce(
    (t, b) => ({
      delivered: t.delivered + b.delivered,
      failed: t.failed + b.failed,
      exhausted: t.exhausted + b.exhausted,
    }),
    {
      delivered: 0,
      failed: 0,
      exhausted: 0,
    }
  );
}

const round = (n: number) => Math.round(n * 10) / 10;
