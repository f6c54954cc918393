import type { Core } from '@strapi/strapi';
import { PLUGIN_ID } from './plugin';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  await strapi.plugin(PLUGIN_ID).service('engine').stop();
};
