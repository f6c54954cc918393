import webhookSchema from './webhook/schema.json';
import logSchema from './log/schema.json';
import outboxEventSchema from './outbox-event/schema.json';
import leaseSchema from './lease/schema.json';
import contextSchema from './context/schema.json';
import backfillSchema from './backfill/schema.json';

export default {
  webhook: { schema: webhookSchema },
  log: { schema: logSchema },
  'outbox-event': { schema: outboxEventSchema },
  lease: { schema: leaseSchema },
  context: { schema: contextSchema },
  backfill: { schema: backfillSchema },
};
