import type { TestApp } from './strapi';

/**
 * Disable every enabled webhook of `app` but those in `keep`. For `afterEach`: a test that
 * fails half-way must not leave its webhooks firing into the next one.
 */
export async function disableWebhooks(
  app: TestApp | null | undefined,
  keep: number[] = []
): Promise<void> {
  if (!app) return;
  const res = await app.api('GET', '/document-webhooks/webhooks');
  for (const w of res.body.data ?? []) {
    if (w.enabled && !keep.includes(w.id))
      await app.api('PUT', `/document-webhooks/webhooks/${w.id}`, { enabled: false });
  }
}
