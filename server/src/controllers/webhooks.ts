import type { Core } from '@strapi/strapi';
import { getService } from '../utils/get-service';
import { respond } from './respond';
import { contentManagerAccess } from './content-access';

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const webhooks = () => getService(strapi, 'webhooks');
  const delivery = () => getService(strapi, 'delivery');
  return {
    find: (ctx: any) => respond(ctx, () => webhooks().list()),
    // Not wrapped in `data`: the body is the export file itself (docs/api.md).
    export: async (ctx: any) => {
      ctx.body = await webhooks().exportAll();
    },
    import: (ctx: any) => respond(ctx, () => webhooks().importMany(ctx.request.body)),
    findOne: (ctx: any) => respond(ctx, () => webhooks().get(ctx.params.id)),
    create: (ctx: any) => respond(ctx, () => webhooks().create(ctx.request.body), 201),
    update: (ctx: any) => respond(ctx, () => webhooks().update(ctx.params.id, ctx.request.body)),
    delete: (ctx: any) => respond(ctx, () => webhooks().remove(ctx.params.id)),
    rotateSecret: (ctx: any) => respond(ctx, () => webhooks().rotateSecret(ctx.params.id)),
    backfillInfo: (ctx: any) =>
      respond(ctx, () => getService(strapi, 'backfill').info(ctx.params.id, ctx.query ?? {})),
    backfill: (ctx: any) =>
      respond(
        ctx,
        () => getService(strapi, 'backfill').start(ctx.params.id, ctx.request.body ?? {}),
        202
      ),
    cancelBackfill: (ctx: any) =>
      respond(ctx, () => getService(strapi, 'backfill').cancel(ctx.params.id)),
    preview: (ctx: any) =>
      respond(ctx, () =>
        delivery().preview(
          ctx.params.id,
          ctx.request.body ?? {},
          contentManagerAccess(strapi, ctx.state.userAbility)
        )
      ),
    test: (ctx: any) =>
      respond(ctx, () =>
        delivery().test(
          ctx.params.id,
          ctx.request.body ?? {},
          ctx.state.user,
          contentManagerAccess(strapi, ctx.state.userAbility)
        )
      ),
    contentTypes: (ctx: any) => respond(ctx, async () => webhooks().contentTypes()),
    stats: (ctx: any) => respond(ctx, () => getService(strapi, 'stats').all()),
    series: (ctx: any) =>
      respond(ctx, () => getService(strapi, 'stats').series(ctx.params.id, ctx.query ?? {})),
  };
};
