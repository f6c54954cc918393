import type { Core } from '@strapi/strapi';
import { createCaptureMiddleware } from './capture/middleware';
import { getService } from './utils/get-service';

/** Capture is registered early so it wraps every Document Service call from the start. */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const engine = () => getService(strapi, 'engine');
  strapi.documents.use(
    createCaptureMiddleware(strapi, {
      webhooksFor: (uid, event) => engine().webhooksFor(uid, event),
      enqueue: (records, trx) => engine().outbox().enqueue(records, trx),
      wake: () => engine().wake(),
      writing: (delta) => engine().writing(delta),
    }) as any
  );
};
