import webhooks from './webhooks';
import secrets from './secrets';
import engine from './engine';
import delivery from './delivery';
import logs from './logs';
import stats from './stats';

export default { webhooks, secrets, engine, delivery, logs, stats };
