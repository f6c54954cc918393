import type { Core } from '@strapi/strapi';
import webhooks from './webhooks';
import secrets from './secrets';
import delivery from './delivery';
import logs from './logs';
import stats from './stats';
import backfill from './backfill';
import { rootOf } from './root';

/** The engine service is the one the composition root built (root.ts). */
const engine = ({ strapi }: { strapi: Core.Strapi }) => rootOf(strapi).engine;

export default { webhooks, secrets, engine, delivery, logs, stats, backfill };
