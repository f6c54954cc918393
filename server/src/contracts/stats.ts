/** `GET /webhooks/:id/stats` (docs/api.md, "Delivery statistics"); see ./webhooks.ts. */

export const STATS_RANGES = ['24h', '7d', '30d'] as const;
export type StatsRange = (typeof STATS_RANGES)[number];

export interface StatsBucket {
  /** ISO start of the bucket (an hour for 24h, a UTC day for 7d and 30d). */
  start: string;
  delivered: number;
  failed: number;
  exhausted: number;
  /** Latency of the deliveries' last attempt, from a histogram (exact below 20 ms, within 10 % above); null when none was sent. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface WebhookSeries {
  range: StatsRange;
  buckets: StatsBucket[];
}
