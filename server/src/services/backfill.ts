import type { Core } from '@strapi/strapi';
import { BACKFILL_UID, OUTBOX_UID, getPluginConfig } from '../plugin';
import { getService } from '../utils/get-service';
import { ConflictError, WebhookValidationError } from '../errors';
import { findWebhookRow } from './webhooks';
import { affected, queueTransaction, tableFor } from '../outbox/rows';
import { sanitizeSnapshot, snapshotPopulate } from '../capture/snapshot';
import {
  backfillWhere,
  parseBackfillInput,
  type BackfillModel,
  type BackfillQuery,
} from '../definitions/backfill';
import { BACKFILL_EVENT, type BackfillInfo, type BackfillJob } from '../contracts/webhooks';
import { pauseAfter } from '../retention/batches';

/** Documents read and queued per page (one read, one short transaction). */
const PAGE_SIZE = 200;
/**
 * A backfill waits while this many of its outbox records are not fanned out yet, so it feeds
 * the pipeline at the pace deliveries are planned rather than filling the outbox with the
 * whole type (docs/scaling.md, "Backfill").
 */
const MAX_BACKLOG = 1000;
const LEASE_MS = 60_000;
/** How often an instance looks for a backfill to run or resume (one whose instance is gone). */
const SCAN_MS = 5000;

const toPublic = (r: any): BackfillJob => ({
  id: r.id,
  webhookId: r.webhookId,
  state: r.state,
  locale: r.targetLocale ?? null,
  status: r.documentStatus,
  total: r.total ?? 0,
  queued: r.queued ?? 0,
  error: r.error ?? null,
  createdAt: r.createdAt,
  finishedAt: r.finishedAt ?? null,
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
/** Rows sanitized between two turns of the event loop. */
const ROWS_PER_TURN = 25;
const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Backfill (docs/api.md, `POST /webhooks/:id/backfill`): queue one `entry.backfill` outbox
 * record per existing document of a webhook's content type, a page at a time, through the
 * same fan-out (condition, render) and delivery as captured changes. The job row holds the
 * cursor and a lease, so a backfill survives a restart (another instance, or this one after
 * the boot, takes it over once the lease runs out) and is cancelled by its state.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const q = () => strapi.db.query(BACKFILL_UID as any);
  const engine = () => getService(strapi, 'engine');
  const modelOf = (uid: string): BackfillModel => {
    const m = strapi.getModel(uid as any) as any;
    return {
      draftAndPublish: Boolean(m?.options?.draftAndPublish),
      localized: Boolean(m?.pluginOptions?.i18n?.localized),
    };
  };
  const parse = (body: unknown, uid: string) => {
    const { query, errors } = parseBackfillInput(body, modelOf(uid));
    if (!query) throw new WebhookValidationError(errors);
    return query;
  };
  const count = (uid: string, query: BackfillQuery) =>
    strapi.db.query(uid as any).count({ where: backfillWhere(query, modelOf(uid), 0) });

  let scanning: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  /** Backfill records of this instance's and others' not fanned out yet. */
  const backlog = async () => {
    const t = tableFor(strapi, OUTBOX_UID);
    const [row] = await (strapi.db as any)
      .connection(t.name)
      .where(t.col('event'), BACKFILL_EVENT)
      .count({ n: '*' });
    return Number(row?.n ?? 0);
  };

  /** Lease a running backfill whose lease is free (none held, or its instance gone). */
  const claim = async (owner: string) => {
    const now = new Date();
    const free = { $or: [{ leaseUntil: { $null: true } }, { leaseUntil: { $lt: now } }] };
    const candidates = await q().findMany({
      where: { state: 'running', ...free },
      orderBy: { id: 'asc' },
      limit: 5,
    });
    for (const c of candidates) {
      const res = await q().updateMany({
        where: { id: c.id, state: 'running', ...free },
        data: { leaseOwner: owner, leaseUntil: new Date(Date.now() + LEASE_MS) },
      });
      if ((res?.count ?? 0) === 1) return c;
    }
    return null;
  };

  const finish = (id: number, owner: string, data: Record<string, unknown>) =>
    q().updateMany({
      where: { id, leaseOwner: owner, state: 'running' },
      data: { ...data, finishedAt: new Date(), leaseOwner: null, leaseUntil: null },
    });

  /** Queue the documents of one backfill, page by page, while it is ours and running. */
  const run = async (job: any, owner: string) => {
    let webhook;
    try {
      webhook = await findWebhookRow(strapi, job.webhookId);
    } catch {
      await finish(job.id, owner, { state: 'failed', error: 'The webhook was deleted' });
      return;
    }
    const uid = webhook.contentType;
    const model = modelOf(uid);
    const query: BackfillQuery = { locale: job.targetLocale ?? null, status: job.documentStatus };
    const populate = snapshotPopulate(strapi, uid);
    const outbox = tableFor(strapi, OUTBOX_UID);
    const jobs = tableFor(strapi, BACKFILL_UID);
    let cursor = Number(job.cursor ?? 0);
    let queued = Number(job.queued ?? 0);
    while (!stopped) {
      // Backpressure: wait for the fan-out to catch up (renewing the lease meanwhile).
      while (!stopped && (await backlog()) >= MAX_BACKLOG) {
        await q().updateMany({
          where: { id: job.id, leaseOwner: owner },
          data: { leaseUntil: new Date(Date.now() + LEASE_MS) },
        });
        await sleep(200);
      }
      if (stopped) return;
      // Foreground first (docs/architecture.md): document writes in progress go before a page.
      await engine().waitForWrites();
      const t0 = performance.now();
      const rows = await strapi.db.query(uid as any).findMany({
        where: backfillWhere(query, model, cursor),
        orderBy: { id: 'asc' },
        limit: PAGE_SIZE,
        ...(populate === true ? {} : { populate }),
      });
      const now = new Date();
      const records: Record<string, unknown>[] = [];
      for (const [i, row] of rows.entries()) {
        // Let requests in between: on SQLite every query, and the sanitizer's promises, run
        // without giving the event loop back (measured: 20 writes spaced 25 ms apart took 11 s
        // during a backfill without these turns and the pause below).
        if (i % ROWS_PER_TURN === ROWS_PER_TURN - 1) await turn();
        records.push({
          event: BACKFILL_EVENT,
          contentType: uid,
          targetDocumentId: row.documentId,
          targetLocale: row.locale ?? null,
          webhookIds: [job.webhookId],
          doc: await sanitizeSnapshot(strapi, uid, row),
          previous: null,
          user: null,
          occurredAt: now,
          createdAt: now,
          updatedAt: now,
        });
      }
      const next = rows.length ? Number(rows[rows.length - 1].id) : cursor;
      const last = rows.length < PAGE_SIZE;
      // The page and the cursor move together, and only while the job is ours and running
      // (a cancel in between rolls the page back).
      const moved = await queueTransaction(strapi, async (db) => {
        await outbox.insert(db, records);
        const data = jobs.toRow({
          cursor: next,
          queued: queued + rows.length,
          updatedAt: now,
          leaseUntil: new Date(Date.now() + LEASE_MS),
          ...(last ? { state: 'done', finishedAt: now, leaseOwner: null, leaseUntil: null } : {}),
        });
        const n = affected(
          await db.run(
            db(jobs.name)
              .where('id', job.id)
              .where(jobs.col('leaseOwner'), owner)
              .where(jobs.col('state'), 'running')
              .update(data)
          )
        );
        if (n !== 1)
          throw Object.assign(new Error('backfill cancelled or taken over'), { lost: true });
        return true;
      }).catch((err) => {
        if ((err as any)?.lost) return false;
        throw err;
      });
      if (!moved) return;
      cursor = next;
      queued += rows.length;
      if (rows.length) engine().wake();
      if (last) return;
      // Paced like the retention purge: a pause half as long as the page took.
      await sleep(pauseAfter(performance.now() - t0));
    }
  };

  /** Run the backfills that need an instance, one after the other. */
  const scan = () => {
    if (scanning || stopped || !getPluginConfig(strapi).worker) return;
    scanning = scanAll().finally(() => (scanning = null));
  };
  const scanAll = async () => {
    try {
      for (;;) {
        const owner = `${engine().instanceId}:backfill`;
        const job = await claim(owner);
        if (!job) break;
        try {
          await run(job, owner);
        } catch (err) {
          // The lease runs out and the backfill is taken up again from its cursor.
          strapi.log.error(
            `[document-webhooks] backfill ${job.id} of webhook ${job.webhookId} stopped: ${(err as Error)?.message ?? err}`
          );
          break;
        }
      }
    } catch (err) {
      strapi.log.error(
        `[document-webhooks] backfill scan failed: ${(err as Error)?.message ?? err}`
      );
    }
  };

  return {
    /** `GET /webhooks/:id/backfill`: documents a backfill with these options would queue, and the last backfill. */
    async info(id: unknown, options: unknown): Promise<BackfillInfo> {
      const row = await findWebhookRow(strapi, id);
      const documents = await count(row.contentType, parse(options, row.contentType));
      const [last] = await q().findMany({
        where: { webhookId: row.id },
        orderBy: { id: 'desc' },
        limit: 1,
      });
      return { documents, job: last ? toPublic(last) : null };
    },

    /** `POST /webhooks/:id/backfill` → `{ queued, backfill }` (202). */
    async start(id: unknown, body: unknown): Promise<{ queued: number; backfill: BackfillJob }> {
      const row = await findWebhookRow(strapi, id);
      const query = parse(body, row.contentType);
      // Its deliveries would all be dropped at fan-out (a disabled webhook does not fire).
      if (!row.enabled)
        throw new WebhookValidationError([
          {
            path: ['enabled'],
            message: 'the webhook is disabled: enable it before sending existing documents',
          },
        ]);
      if (await q().count({ where: { webhookId: row.id, state: 'running' } })) {
        throw new ConflictError(
          'a backfill of this webhook is running: cancel it or wait until it is done'
        );
      }
      const total = await count(row.contentType, query);
      const job = await q().create({
        data: {
          webhookId: row.id,
          state: 'running',
          targetLocale: query.locale,
          documentStatus: query.status,
          total,
          queued: 0,
          cursor: 0,
        },
      });
      scan();
      return { queued: total, backfill: toPublic(job) };
    },

    /** `DELETE /webhooks/:id/backfill`: stop the running backfill (documents queued so far are still sent). */
    async cancel(id: unknown): Promise<BackfillJob | null> {
      const row = await findWebhookRow(strapi, id);
      await q().updateMany({
        where: { webhookId: row.id, state: 'running' },
        data: { state: 'cancelled', finishedAt: new Date(), leaseOwner: null, leaseUntil: null },
      });
      const [last] = await q().findMany({
        where: { webhookId: row.id },
        orderBy: { id: 'desc' },
        limit: 1,
      });
      return last ? toPublic(last) : null;
    },

    /** Bootstrap: resume backfills left running (this instance restarted, or another is gone). */
    startRunner() {
      stopped = false;
      timer = setInterval(scan, SCAN_MS);
      timer.unref();
      scan();
    },

    /** Destroy: the page being queued is finished (or rolled back); the lease lets another instance go on. */
    async stopRunner() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await scanning;
    },
  };
};
