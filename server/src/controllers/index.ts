import webhooks from './webhooks';
import logs from './logs';

export default { webhooks, logs };
