import type { Core } from '@strapi/strapi';
import { renderRequest } from '../render/request';
import type { EventContext } from '../render/context';
import type { WebhookRow } from '../definitions/types';
import { createOutbox, type Outbox } from '../outbox/outbox';
import { createWritesGate } from '../dispatch/writes-gate';
import { getPluginConfig } from '../plugin';
import { findWebhookRow } from './webhooks';
import { getService } from '../utils/get-service';
import { createResources } from './resources';
import { createWebhookIndex } from './webhook-index';
import { createEngine } from './engine';
import { createWebhookCache } from './delivery/webhook-cache';
import { createHealth } from './delivery/health';
import { createSender } from './delivery/send-signed';
import { createPlanner } from './delivery/planner';
import { createDeliverer } from './delivery/deliver';
import { createManual } from './delivery/manual';
import { createWindows } from './delivery/windows';
import { createRerender } from './delivery/context-store';

/**
 * The composition root: every long-lived collaborator of the delivery pipeline is built here,
 * once per Strapi instance, and handed to those that use it (docs/architecture.md,
 * "Composition"). Services (services/index.ts) expose parts of it; nothing below reaches back
 * for a service, except the secrets service (no dependencies of its own).
 */
export function createRoot(strapi: Core.Strapi) {
  const cfg = () => getPluginConfig(strapi);
  const resources = createResources(strapi);
  let outbox: Outbox | null = null;
  const getOutbox = () => (outbox ??= createOutbox(strapi));
  const cache = createWebhookCache(strapi);
  const index = createWebhookIndex(strapi);
  const gate = createWritesGate(() => cfg().yieldToWritesMs);
  const definitionsChanged = async () => {
    cache.forget();
    await index.refresh();
  };
  const health = createHealth(strapi, { definitionsChanged });
  // The webhook is the fair-share key of the render processes (render/renderer.ts).
  const render = (row: WebhookRow, context: EventContext, createdAt: string) =>
    renderRequest(
      row as any,
      context,
      resources.renderer(),
      { timeoutMs: cfg().renderTimeoutMs, maxOutputBytes: cfg().maxRenderOutputBytes, key: row.id },
      createdAt
    );
  const sender = createSender({
    cfg,
    decrypt: (payload) => getService(strapi, 'secrets').decrypt(payload),
    agents: resources.agents,
    ssrfPolicy: resources.ssrfPolicy,
  });
  // Late bound: the worker that a finished plan wakes is the engine's.
  const wake = () => engine.wake();
  const windows = createWindows(strapi, { render });
  const planner = createPlanner(strapi, { render, health, outbox: getOutbox, wake, windows });
  const rerender = createRerender(strapi, render);
  const deliverer = createDeliverer(strapi, {
    sender,
    rerender,
    health,
    waitForWrites: gate.waitForWrites,
    definitionsChanged,
    renderWindow: windows.render,
    sealWindows: windows.seal,
  });
  const manual = createManual(strapi, {
    render,
    sender,
    windows,
    findRow: (id) => findWebhookRow(strapi, id),
  });
  const engine = createEngine(strapi, {
    resources,
    outbox: getOutbox,
    cache,
    index,
    gate,
    planner,
    deliverer,
    definitionsChanged,
  });
  return { engine, planner, manual };
}

export type Root = ReturnType<typeof createRoot>;

const roots = new WeakMap<Core.Strapi, Root>();

/** The root of this Strapi instance, built on first use. */
export function rootOf(strapi: Core.Strapi): Root {
  let root = roots.get(strapi);
  if (!root) {
    root = createRoot(strapi);
    roots.set(strapi, root);
  }
  return root;
}
