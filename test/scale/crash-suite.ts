import { afterAll, beforeAll } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { articleWebhook, scaleDatabase, startInstances, stopAll, type Instance } from './harness';

/**
 * The set-up the crash tests share (`crash.test.ts`, `coalescing-crash.test.ts`): a receiver
 * and a scale database for the file, and every instance the test started, stopped in afterAll
 * whatever the test's outcome.
 */
export function crashSuite() {
  const suite = {
    rx: undefined as unknown as Receiver,
    db: undefined as unknown as Awaited<ReturnType<typeof scaleDatabase>>,
    instances: [] as Instance[],
  };
  beforeAll(async () => {
    suite.rx = await startReceiver();
    suite.db = await scaleDatabase();
  });
  afterAll(async () => {
    await stopAll(suite.instances);
    await suite.rx?.close();
    await suite.db?.release();
  });
  return suite;
}

/**
 * A fresh database and one instance on it, with an article webhook (`articleWebhook`, `extra`
 * on top) sending to the receiver's `path`, waited for until capture listens on `event`.
 */
export async function startWithWebhook(
  suite: ReturnType<typeof crashSuite>,
  config: Record<string, unknown>,
  path: string,
  event: string,
  extra: Record<string, unknown> = {}
) {
  const env = await suite.db.fresh();
  const [inst] = await startInstances(1, env, config, suite.instances);
  const hook = await inst.call('createWebhook', {
    body: articleWebhook(suite.rx.url(path), extra),
  });
  await inst.call('waitWebhooks', { uid: 'api::article.article', event, count: 1 });
  return { env, inst, hook };
}
