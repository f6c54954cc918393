import { expect } from 'vitest';
import type { TestApp } from './strapi';
import type { ReceivedRequest } from './receiver';

/** The plugin's admin API prefix (docs/api.md). */
export const API = '/document-webhooks';

/**
 * `POST /webhooks` on `app` with `def` over a random name; asserts the 201 (showing the body
 * otherwise) and returns the webhook.
 */
export async function postWebhook(app: TestApp, def: Record<string, unknown>) {
  const res = await app.api('POST', `${API}/webhooks`, {
    name: `hook ${Math.random().toString(36).slice(2, 8)}`,
    ...def,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data as { id: number; [k: string]: any };
}

/** The request log of one webhook (its first 100 rows, newest first). */
export async function logsOf(app: TestApp, webhookId: number) {
  const res = await app.api('GET', `${API}/logs?webhook=${webhookId}&pageSize=100`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data as any[];
}

/** The requests the receiver got on `path`. */
export const at = (path: string) => (reqs: ReceivedRequest[]) => reqs.filter((r) => r.url === path);
