import webhooks from './webhooks';
import secrets from './secrets';
import engine from './engine';
import delivery from './delivery';
import logs from './logs';

export default { webhooks, secrets, engine, delivery, logs };
