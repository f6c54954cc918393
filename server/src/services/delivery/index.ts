import type { Core } from '@strapi/strapi';
import { rootOf } from '../root';

/**
 * The delivery service: preview and test (manual.ts) for the admin API, and the fan-out
 * planner the worker uses (exposed for fault injection in tests). The pipeline itself is
 * built by the composition root (root.ts).
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const { manual, planner } = rootOf(strapi);
  return { preview: manual.preview, test: manual.test, planner };
};

export type { ContentAccess } from './manual';
export type { DeliveryRow } from './deliver';
