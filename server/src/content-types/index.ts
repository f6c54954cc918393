import webhookSchema from './webhook/schema.json';
import logSchema from './log/schema.json';
import outboxEventSchema from './outbox-event/schema.json';
import leaseSchema from './lease/schema.json';

export default {
  webhook: { schema: webhookSchema },
  log: { schema: logSchema },
  'outbox-event': { schema: outboxEventSchema },
  lease: { schema: leaseSchema },
};
