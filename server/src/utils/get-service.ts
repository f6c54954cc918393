import type { Core } from '@strapi/strapi';
import { PLUGIN_ID } from '../plugin';
import type services from '../services';

type Services = { [K in keyof typeof services]: ReturnType<(typeof services)[K]> };

/** A service of this plugin, typed (as @strapi/i18n's `getService` does). */
export const getService = <K extends keyof Services>(strapi: Core.Strapi, name: K): Services[K] =>
  strapi.plugin(PLUGIN_ID).service(name) as Services[K];
