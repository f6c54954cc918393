import type { Core } from '@strapi/strapi';
import { getService } from '../utils/get-service';
import { respond } from './respond';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const logs = () => getService(strapi, 'logs');
  return {
    async find(ctx: any) {
      await respond(ctx, () => logs().find(ctx.query ?? {}));
      // find() returns {data, meta}: lift meta to the top level as Strapi list responses do.
      if (ctx.status === 200 && ctx.body?.data?.meta) ctx.body = ctx.body.data;
    },
    findOne: (ctx: any) => respond(ctx, () => logs().findOne(ctx.params.id)),
    retry: (ctx: any) => respond(ctx, () => logs().retry(ctx.params.id)),
    retryMany: (ctx: any) => respond(ctx, () => logs().retryMany(ctx.request.body ?? {})),
  };
};
