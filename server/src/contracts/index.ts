export * from './webhooks';
export * from './logs';
