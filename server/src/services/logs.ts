import type { Core } from '@strapi/strapi';
import { LOG_UID, WEBHOOK_UID } from '../plugin';
import { getService } from '../utils/get-service';
import { NotFoundError, WebhookValidationError } from '../errors';
import { toId } from '../ids';
import { nestingErrors } from '../definitions/validate';
import { LOG_STATUSES, type Log } from '../contracts/logs';
import { needsRender } from './delivery/deliver';
import { definitionVersion } from './delivery/log-rows';
import { logRetention } from './log-retention';

export { LOG_STATUSES };

/**
 * The request-log record as the admin API returns it (docs/api.md, "Log"). `current`: the webhook's definition version now (undefined: deleted). A retry of this
 * record renders it again from the captured change when the webhook changed since it was
 * rendered, or its render failed (docs/architecture.md, "Recovery").
 */
export const toPublicLog = (r: any, current?: string): Log => ({
  id: r.id,
  webhook: { id: r.webhookId, name: r.webhookName },
  event: r.event,
  uid: r.contentType,
  documentId: r.targetDocumentId ?? null,
  // The main field's value when the snapshot had one, else the documentId (docs/api.md, "Log").
  documentTitle: r.documentTitle ?? r.targetDocumentId ?? null,
  locale: r.targetLocale ?? null,
  status: r.status,
  messageId: r.messageId,
  attempts: r.attempts ?? 0,
  attemptLog: r.attemptLog ?? [],
  nextAttemptAt: r.status === 'pending' || r.status === 'failed' ? (r.nextAttemptAt ?? null) : null,
  requestUrl: r.requestUrl ?? null,
  requestMethod: r.requestMethod ?? null,
  requestHeaders: r.requestHeaders ?? {},
  requestBody: r.requestBody ?? null,
  responseStatus: r.responseStatus ?? null,
  responseHeaders: r.responseHeaders ?? {},
  responseBody: r.responseBody ?? null,
  error: r.error ?? null,
  durationMs: r.durationMs ?? null,
  user: r.user ?? null,
  changeCount: r.changeCount ?? null,
  changes: r.coalesce?.changes ?? null,
  retryable: isRetryable(r),
  rerender:
    current !== undefined &&
    needsRender(
      {
        contextKey: r.contextKey ?? null,
        webhookVersion: r.webhookVersion ?? null,
        requestBody: r.requestBody ?? null,
        coalesce: r.coalesce ?? null,
      },
      current
    ),
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

/** A record `POST /logs/:id/retry` can send again: a stored request, or a captured change or window to render. */
const isRetryable = (r: any) =>
  r.event !== 'test' &&
  (Boolean(r.contextKey) ||
    Boolean(r.coalesce) ||
    (Boolean(r.requestUrl) && r.requestBody !== null && r.requestBody !== undefined));

const bad = (field: string, message: string) =>
  new WebhookValidationError([{ path: [field], message }]);

const parseDate = (field: string, value: unknown) => {
  if (value === undefined || value === '') return undefined;
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw bad(field, `${field} must be an ISO date`);
  return new Date(t);
};

const parseStatuses = (value: unknown): string[] | undefined => {
  if (value === undefined || value === '') return undefined;
  const items = Array.isArray(value) ? value : [value];
  if (!items.every((s) => typeof s === 'string'))
    throw bad('status', 'status must be a string or a list of strings');
  const list = items.flatMap((s: string) => s.split(',')).map((s) => s.trim());
  const unknown = list.find((s) => !(LOG_STATUSES as readonly string[]).includes(s));
  if (unknown) throw bad('status', `status must be one of: ${LOG_STATUSES.join(', ')}`);
  return list;
};

const parseId = (field: string, value: unknown) => {
  if (value === undefined || value === '') return undefined;
  const n = toId(value);
  if (n === null) throw bad(field, `${field} must be a webhook id`);
  return n;
};

/** A plain text filter: a nested value (`?contentType[$ne]=x`) is refused, not passed on as an operator. */
const parseText = (field: string, value: unknown) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw bad(field, `${field} must be a single string`);
  return value;
};

/** Query parameters of the list: the filters and the page. */
const LIST_PARAMS = [
  'webhook',
  'status',
  'contentType',
  'event',
  'documentId',
  'document',
  'since',
  'until',
  'page',
  'pageSize',
];

/** Filters shared by the list and "retry all" (each named after the query parameter). */
function buildWhere(q: Record<string, unknown>) {
  const where: Record<string, unknown> = {};
  const webhook = parseId('webhook', q.webhook);
  if (webhook !== undefined) where.webhookId = webhook;
  const statuses = parseStatuses(q.status);
  if (statuses) where.status = { $in: statuses };
  const contentType = parseText('contentType', q.contentType);
  if (contentType) where.contentType = contentType;
  const event = parseText('event', q.event);
  if (event) where.event = event;
  const documentId = parseText('documentId', q.documentId);
  if (documentId) where.targetDocumentId = documentId;
  const document = parseText('document', q.document)?.trim();
  if (document !== undefined && document.length > 255)
    throw bad('document', 'document must be at most 255 characters');
  // Search by document: its exact documentId, or words of its title (case-insensitive).
  if (document)
    where.$or = [{ targetDocumentId: document }, { documentTitle: { $containsi: document } }];
  const since = parseDate('since', q.since);
  const until = parseDate('until', q.until);
  if (since || until)
    where.createdAt = { ...(since ? { $gte: since } : {}), ...(until ? { $lte: until } : {}) };
  return where;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const q = () => strapi.db.query(LOG_UID as any);
  const wake = () => getService(strapi, 'engine').wake();
  /** Not leased by a running attempt (or its lease expired: that instance is gone). */
  const leaseFree = () => ({
    $or: [{ leaseUntil: { $null: true } }, { leaseUntil: { $lt: new Date() } }],
  });
  /** The current definition version of the webhooks of `rows`, by id. */
  const versions = async (rows: any[]) => {
    const ids = [...new Set(rows.map((r) => r.webhookId).filter((n) => Number.isInteger(n)))];
    const hooks = ids.length
      ? await strapi.db
          .query(WEBHOOK_UID as any)
          .findMany({ where: { id: { $in: ids } }, select: ['id', 'updatedAt'] })
      : [];
    return new Map<number, string>(hooks.map((h: any) => [h.id, definitionVersion(h)]));
  };
  const publish = async (rows: any[]) => {
    const byId = await versions(rows);
    return rows.map((r) => toPublicLog(r, byId.get(r.webhookId)));
  };
  const requeue = {
    status: 'pending',
    attempts: 0,
    nextAttemptAt: new Date(),
    leaseOwner: null,
    leaseUntil: null,
  };

  return {
    async find(query: Record<string, unknown>) {
      const unknown = Object.keys(query).find((k) => !LIST_PARAMS.includes(k));
      if (unknown)
        throw bad(unknown, `${unknown} is not a known query parameter (${LIST_PARAMS.join(', ')})`);
      // Only a single value: `Number(['2'])` would be 2.
      const int = (v: unknown, dflt: number) =>
        v === undefined ? dflt : typeof v === 'string' ? Number(v) : NaN;
      const page = int(query.page, 1);
      const pageSize = int(query.pageSize, 25);
      if (!Number.isInteger(page) || page < 1) throw bad('page', 'page must be a positive integer');
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
        throw bad('pageSize', 'pageSize must be an integer from 1 to 100');
      const where = buildWhere(query);
      const [rows, total] = await Promise.all([
        q().findMany({
          where,
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          offset: (page - 1) * pageSize,
          limit: pageSize,
        }),
        q().count({ where }),
      ]);
      return {
        data: await publish(rows),
        meta: { pagination: { page, pageSize, pageCount: Math.ceil(total / pageSize), total } },
      };
    },

    async findOne(id: unknown) {
      const num = toId(id);
      const row = num ? await q().findOne({ where: { id: num } }) : null;
      if (!row) throw new NotFoundError(`log ${String(id)} not found`);
      return (await publish([row]))[0];
    },

    /**
     * Queue one delivery again, now, with a fresh attempt budget (its history is kept): a
     * failed or exhausted one, a delivered one (a resend, same webhook-id), or one whose render
     * failed (rendered again with the webhook as it is now).
     */
    async retry(id: unknown) {
      const current = await this.findOne(id);
      if (current.event === 'test')
        throw bad('id', 'a test send is not retried: send a test again');
      if (current.status === 'pending' && current.changeCount !== null)
        throw bad('id', 'this coalescing window is still open: it is sent when it closes');
      if (!current.retryable) {
        // A condition that failed: whether it would hold now is not decided here.
        throw bad(
          'id',
          'this log entry has no rendered request to resend and no captured change to render it from'
        );
      }
      // Not while an attempt is in flight: requeueing would send it twice and drop the result
      // of the running attempt (it only records its outcome while it holds the lease).
      const res = await q().updateMany({
        where: { id: current.id, ...leaseFree() },
        data: { ...requeue, nextAttemptAt: new Date() },
      });
      if ((res?.count ?? 0) === 0)
        throw bad(
          'id',
          'this delivery is being sent right now: retry it once the attempt has finished'
        );
      wake();
      return this.findOne(id);
    },

    /** Queue every failed/exhausted (or, when asked, delivered) delivery matching the filter again; returns how many. */
    async retryMany(body: Record<string, unknown>) {
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw bad('body', 'body must be a JSON object');
      const deep = nestingErrors(body, []);
      if (deep.length) throw new WebhookValidationError(deep);
      const allowed = ['webhook', 'status', 'since', 'until', 'contentType'];
      const unknown = Object.keys(body).find((k) => !allowed.includes(k));
      if (unknown) throw bad(unknown, `${unknown} is not a known filter`);
      const where = buildWhere({ ...body, status: body.status ?? 'failed,exhausted' });
      const statuses = (where.status as { $in: string[] }).$in;
      if (statuses.some((s) => s === 'pending'))
        throw bad('status', 'status may only be failed, exhausted or delivered');
      const res = await q().updateMany({
        where: {
          ...where,
          event: { $ne: 'test' },
          $and: [
            leaseFree(),
            {
              $or: [
                { requestBody: { $notNull: true } },
                { contextKey: { $notNull: true } },
                { coalesce: { $notNull: true } },
              ],
            },
          ],
        },
        data: { ...requeue, nextAttemptAt: new Date() },
      });
      wake();
      return { count: res?.count ?? 0 };
    },

    ...logRetention(strapi),
  };
};
