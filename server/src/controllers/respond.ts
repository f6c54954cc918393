import { ConflictError, ForbiddenError, NotFoundError, WebhookValidationError } from '../errors';
import { describeDbError, isConnectionError } from '../db-errors';

/**
 * Run a controller body and answer domain errors, and the database being away (503), in
 * Strapi's error shape. The shape is written here rather than thrown as @strapi/utils errors
 * so the plugin does not depend on sharing Strapi's copy of that package.
 */
export async function respond(ctx: any, fn: () => Promise<unknown>, status = 200) {
  try {
    const data = await fn();
    ctx.status = status;
    ctx.body = { data };
  } catch (err) {
    if (err instanceof WebhookValidationError) {
      ctx.status = 400;
      ctx.body = {
        data: null,
        error: {
          status: 400,
          name: 'ValidationError',
          message: err.message,
          details: { errors: err.errors },
        },
      };
      return;
    }
    if (err instanceof ForbiddenError) {
      ctx.status = 403;
      ctx.body = {
        data: null,
        error: { status: 403, name: 'ForbiddenError', message: err.message, details: {} },
      };
      return;
    }
    if (err instanceof NotFoundError) {
      ctx.status = 404;
      ctx.body = {
        data: null,
        error: { status: 404, name: 'NotFoundError', message: err.message, details: {} },
      };
      return;
    }
    if (err instanceof ConflictError) {
      ctx.status = 409;
      ctx.body = {
        data: null,
        error: { status: 409, name: 'ConflictError', message: err.message, details: {} },
      };
      return;
    }
    // The database away (restart, failover): try again later, not an internal error.
    if (isConnectionError(err)) {
      ctx.status = 503;
      ctx.set?.('Retry-After', '5');
      ctx.body = {
        data: null,
        error: {
          status: 503,
          name: 'ServiceUnavailableError',
          message: 'The database is unavailable; try again shortly',
          details: { reason: describeDbError(err) },
        },
      };
      return;
    }
    throw err;
  }
}
