import type { Core } from '@strapi/strapi';
import type { WebhookEvent } from '../definitions/events';
import { WEBHOOK_UID } from '../plugin';

/** The in-memory index capture consults: enabled webhooks by content type and event. */
export function createWebhookIndex(strapi: Core.Strapi) {
  let index = new Map<string, Map<string, number[]>>();
  return {
    async refresh() {
      const rows = await strapi.db
        .query(WEBHOOK_UID as any)
        .findMany({ where: { enabled: true }, select: ['id', 'contentType', 'events'] });
      const next = new Map<string, Map<string, number[]>>();
      for (const r of rows as any[]) {
        const byEvent = next.get(r.contentType) ?? new Map<string, number[]>();
        for (const ev of r.events ?? []) byEvent.set(ev, [...(byEvent.get(ev) ?? []), r.id]);
        next.set(r.contentType, byEvent);
      }
      index = next;
    },
    /** Capture's cheap path: ids of enabled webhooks on this content type and event. */
    webhooksFor(uid: string, event: WebhookEvent): number[] {
      return index.get(uid)?.get(event) ?? [];
    },
  };
}

export type WebhookIndex = ReturnType<typeof createWebhookIndex>;
