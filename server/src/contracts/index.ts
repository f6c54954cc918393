export * from './webhooks';
export * from './logs';
export * from './stats';
