import type { FieldError } from './definitions/types';

/** 400 in Strapi's ValidationError shape, one entry per field. */
export class WebhookValidationError extends Error {
  constructor(public errors: FieldError[]) {
    super(errors.length === 1 ? errors[0].message : `${errors.length} errors occurred`);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** 403 in Strapi's ForbiddenError shape (e.g. no Content Manager access to a previewed document). */
export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/** 409 in Strapi's error shape: the request conflicts with the resource's state (a webhook managed in the plugin config). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}
