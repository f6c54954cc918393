/**
 * Delivery engine, issue 3: a webhook whose deliveries fail continuously for
 * `autoDisableAfterHours` is disabled (its pending delivery then ends exhausted); one whose
 * failures are interrupted by a success is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import {
  eventually,
  startReceiver,
  type Receiver,
  type ReceivedRequest,
} from '../helpers/receiver';
import { postWebhook } from '../helpers/api';

const Q = 'api::quotation.quotation';
// 0.0001 h = 360 ms of continuous failure.
const AUTO_DISABLE_HOURS = 0.0001;

let app: TestApp;
let rx: Receiver;
const attemptsFor = new Map<string, number>();

const createWebhook = (def: Record<string, unknown>) =>
  postWebhook(app, { contentType: Q, events: ['entry.create'], maxAttempts: 20, ...def });
const getWebhook = async (id: number) =>
  (await app.api('GET', `/document-webhooks/webhooks/${id}`)).body.data;
const logOf = async (webhookId: number, documentId: string) =>
  (
    (await app.api('GET', `/document-webhooks/logs?webhook=${webhookId}&pageSize=100`)).body
      .data as any[]
  ).find((l) => l.documentId === documentId);
const ofDoc = (path: string, documentId: string) => (reqs: ReceivedRequest[]) =>
  reqs.filter((r) => r.url === path && JSON.parse(r.body).documentId === documentId);
const create = async (customer: string) =>
  (await app.strapi.documents(Q).create({ data: { customer } })).documentId as string;

beforeAll(async () => {
  rx = await startReceiver();
  rx.respond((r) => {
    if (r.url === '/always-down') return { status: 500, body: 'down' };
    // /blip: the first attempt of each document fails, the retry succeeds.
    const key = `${r.url}:${JSON.parse(r.body).documentId}`;
    const n = (attemptsFor.get(key) ?? 0) + 1;
    attemptsFor.set(key, n);
    return r.url === '/blip' && n === 1
      ? { status: 500, body: 'blip' }
      : { status: 200, body: 'ok' };
  });
  app = await bootStrapi({
    config: { autoDisableAfterHours: AUTO_DISABLE_HOURS, retrySchedule: Array(19).fill(0.15) },
  });
});

afterAll(async () => {
  await app?.stop();
  await rx?.close();
});

describe('auto-disable', () => {
  it('disables after continuous failure, but not when a success interrupts the failures', async () => {
    const blip = await createWebhook({ url: rx.url('/blip') });
    const first = await create('Blip 1');
    await eventually(async () => (await logOf(blip.id, first))?.status === 'delivered');
    expect(ofDoc('/blip', first)(rx.requests)).toHaveLength(2);

    const down = await createWebhook({ url: rx.url('/always-down') });
    const doomed = await create('Doomed');
    const disabled = await eventually(async () => {
      const w = await getWebhook(down.id);
      return w.enabled === false ? w : null;
    });
    expect(disabled.disabledReason).toMatch(/failed continuously/);
    const attempts = ofDoc('/always-down', doomed)(rx.requests);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    // It took at least the configured streak (360 ms) from the first failure.
    expect(attempts.at(-1)!.at - attempts[0].at).toBeGreaterThanOrEqual(
      AUTO_DISABLE_HOURS * 3600_000 - 50
    );
    // The delivery still queued for it gives up instead of retrying a disabled webhook.
    const gaveUp = await eventually(async () => {
      const l = await logOf(down.id, doomed);
      return l?.status === 'exhausted' ? l : null;
    });
    expect(gaveUp.nextAttemptAt).toBeNull();
    expect(gaveUp.error).toMatch(/disabled/i);

    // More than the streak has passed since /blip's first failure, but a success came in between:
    // its next failure starts a new streak and does not disable it.
    const second = await create('Blip 2');
    await eventually(async () => (await logOf(blip.id, second))?.status === 'delivered');
    expect(ofDoc('/blip', second)(rx.requests)).toHaveLength(2);
    const stillOn = await getWebhook(blip.id);
    expect(stillOn.enabled).toBe(true);
    expect(stillOn.disabledReason).toBeNull();
    // The disabled webhook got nothing for the later documents.
    expect(ofDoc('/always-down', second)(rx.requests)).toEqual([]);
    expect(await logOf(down.id, second)).toBeUndefined();
  });
});
