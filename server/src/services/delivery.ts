import type { Core } from '@strapi/strapi';
import { evaluateCondition } from '../condition';
import { nextAttemptDelayMs, parseRetryAfter } from '../dispatch/backoff';
import { buildContext, type EventContext } from '../render/context';
import { REDACTED, renderRequest, type RenderedRequest } from '../render/request';
import { FRAPPE_SIGNATURE_HEADER, newMessageId, signatureHeaders } from '../sign/signature';
import { sendRequest, type SendResult } from '../send/send';
import { redactResponse, secretNeedles } from '../send/redact';
import { sendableHeaders, skippedHeaders, skippedHeadersNote } from '../definitions/headers';
import { loadVersions, sanitizeSnapshot } from '../capture/snapshot';
import { sampleDocument } from '../definitions/sample';
import type { ClaimedEvent } from '../outbox/outbox';
import type { WebhookRow } from '../definitions/types';
import { getPluginConfig, LOG_UID, PLUGIN_ID, WEBHOOK_UID } from '../plugin';
import { WebhookValidationError } from '../errors';
import { affected, queueTransaction, tableFor, type Db } from '../outbox/rows';
import { isConnectionError } from '../db-errors';
import { splitReady } from '../dispatch/fan-out';
import type { PreviewResponse, TestResponse } from '../contracts/webhooks';

/**
 * The admin behind a preview or test of a real document: Strapi's Content Manager decides
 * what they may read (controllers/content-access.ts).
 */
export interface ContentAccess {
  /** Throws ForbiddenError unless the admin may read documents of `uid` and, when given, this stored version of one. */
  assertCanRead(uid: string, version?: Record<string, unknown>): Promise<void>;
}

/**
 * The plan of one (outbox record, webhook) part: condition, then render, run in the
 * background. Kept across fan-out batches until written, so a render that outlasts a batch
 * is not done again (docs/architecture.md, "Fairness").
 */
interface PlanTask {
  key: string;
  /** The definition version (`updatedAt`) it was planned with. */
  version: string;
  done: boolean;
  /** The log row to insert, or null (condition false). */
  create: Record<string, unknown> | null;
  promise: Promise<void>;
  at: number;
  /** The worker is to be woken when it finishes (it was left in the outbox unfinished). */
  wakes: boolean;
  /** The webhook's plan it queued behind (null: none was running). */
  after: PlanTask | null;
}

/** One captured event's planning: a task per webhook, some maybe still running. */
export interface FanOutPlan {
  ev: ClaimedEvent;
  tasks: Map<number, PlanTask>;
  /** Tasks started for this batch (not carried over from an earlier one). */
  fresh: PlanTask[];
}

/**
 * How long a fan-out batch waits for the plans it started before writing what is ready: a
 * slow webhook's part of a record is left in the outbox, the others' deliveries go ahead.
 */
const FAN_OUT_WAIT_MS = 100;
/** Planned parts kept this long at most when their record is not claimed again here. */
const PLAN_TTL_MS = 10 * 60_000;

/** A delivery outcome waiting for its group commit. */
interface Outcome {
  log: DeliveryRow;
  data: Record<string, unknown>;
  /** The webhook and the attempt's result, for the health update (none when nothing was sent). */
  health: { row: WebhookRow; result: SendResult } | null;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** At most this many outcomes per group commit. */
const MAX_GROUP = 100;
/** Longest wait for other in-flight deliveries to finish before committing what is pending. */
const GROUP_COMMIT_MS = 5;
/**
 * A queued delivery is sent only if its lease outlives the request by this much; otherwise it
 * is given back (another instance could take it over mid-request and send it twice).
 */
const LEASE_MARGIN_MS = 5000;
/** How long a webhook row read for claims and fan-out is reused (see webhooksById). */
const WEBHOOK_ROWS_TTL_MS = 1000;

export interface DeliveryRow {
  id: number;
  webhookId: number;
  status: string;
  messageId: string;
  attempts: number;
  attemptLog: { at: string; status: number | null; durationMs: number; error: string | null; note?: string }[] | null;
  requestUrl: string;
  requestMethod: string;
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  leaseOwner: string | null;
  /** ISO time the lease runs out. */
  leaseUntil: string | null;
  /** The webhook as read with the claim (null: deleted). */
  webhook: WebhookRow | null;
}

/** fan-out → render → sign → send → log, for one event or one delivery at a time. */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const cfg = () => getPluginConfig(strapi);
  const logs = () => strapi.db.query(LOG_UID as any);
  const webhookQuery = () => strapi.db.query(WEBHOOK_UID as any);
  const webhookRows = new Map<number, { row: WebhookRow | null; at: number }>();
  // Plain knex for the hot path (rows.ts says why).
  const table = (uid: string) => tableFor(strapi, uid);
  const plugin = () => strapi.plugin(PLUGIN_ID);
  const engine = () => plugin().service('engine');
  const webhooks = () => plugin().service('webhooks');
  const limits = () => ({ timeoutMs: cfg().renderTimeoutMs, maxOutputBytes: cfg().maxRenderOutputBytes });
  const modelName = (uid: string) => (strapi.getModel(uid as any) as any)?.modelName ?? uid;

  /**
   * A render or condition of preview/test that a sandbox limit stopped: a 400 on the field
   * (docs/security.md), not a result; the template's own errors stay results.
   */
  const limitError = (err: unknown, field: string): WebhookValidationError | null => {
    const e = err as { limit?: string; field?: string; message?: string } | null;
    if (!e?.limit) return null;
    return new WebhookValidationError([{ path: [e.field ?? field], message: `${e.field ?? field} hit a sandbox limit: ${e.message}` }]);
  };

  // The webhook is the fair-share key of the render processes (render/renderer.ts).
  const render = (row: WebhookRow, context: EventContext, createdAt: string) =>
    renderRequest(row as any, context, engine().renderer(), { ...limits(), key: row.id }, createdAt);

  /**
   * Planned (record, webhook) parts, by `record id:webhook id:document:capture time` (SQLite
   * may give a deleted record's id to a new one).
   */
  const planned = new Map<string, PlanTask>();
  /** Per webhook, the last of its plans: one webhook plans one part at a time, in record order. */
  const chains = new Map<number, PlanTask>();
  /** Per webhook, renders/conditions in a row that hit a sandbox limit (reset by a success). */
  const limitHits = new Map<number, number>();
  /** Webhook rows (as read) that were paused: their queued plans are not run. */
  const pausedRows = new WeakMap<WebhookRow, string>();

  /**
   * A webhook whose renders keep hitting the sandbox limits is paused like an auto-disabled
   * one (enabled false, `disabledReason`), so it stops taking render time from the others.
   */
  const noteLimit = async (row: WebhookRow, err: unknown) => {
    if (!(err as { limit?: string } | null)?.limit) return;
    const hits = (limitHits.get(row.id) ?? 0) + 1;
    limitHits.set(row.id, hits);
    const after = cfg().pauseAfterLimitHits;
    if (after <= 0 || hits < after || pausedRows.has(row)) return;
    const now = new Date();
    const disabledReason = `Paused on ${now.toISOString()}: ${hits} renders or conditions in a row hit the sandbox limits (last: ${(err as Error).message})`;
    pausedRows.set(row, disabledReason);
    limitHits.delete(row.id);
    const w = table(WEBHOOK_UID);
    const res = await (strapi.db as any).connection(w.name).where('id', row.id).where(w.col('enabled'), true).update(w.toRow({ enabled: false, disabledReason, updatedAt: now }));
    if (affected(res) > 0) strapi.log.warn(`[document-webhooks] webhook ${row.id} "${row.name}": ${disabledReason}`);
    await engine().definitionsChanged();
  };

  /** Condition and render of one (record, webhook) part: the log row to insert, or null. */
  const planPart = async (ev: ClaimedEvent, row: WebhookRow, context: EventContext): Promise<Record<string, unknown> | null> => {
    const base = {
      webhookId: row.id,
      webhookName: row.name,
      event: ev.event,
      contentType: ev.uid,
      targetDocumentId: ev.documentId,
      targetLocale: ev.locale,
      user: ev.user,
      messageId: newMessageId(),
      attempts: 0,
      attemptLog: [],
      requestMethod: row.method,
      requestUrl: row.url,
    };
    const paused = pausedRows.get(row);
    if (paused) return { ...base, status: 'exhausted', error: `Not rendered: the webhook was paused. ${paused}` };
    let matches: boolean;
    try {
      matches = evaluateCondition(row.condition, context as any, { timeoutMs: cfg().renderTimeoutMs });
    } catch (err) {
      await noteLimit(row, err);
      return { ...base, status: 'exhausted', error: `Condition failed: ${(err as Error).message}` };
    }
    if (!matches) return null;
    try {
      const req = await render(row, context, ev.occurredAt);
      limitHits.delete(row.id);
      return { ...base, status: 'pending', nextAttemptAt: new Date(), requestUrl: req.url, requestHeaders: req.headers, requestBody: req.body };
    } catch (err) {
      // Rendering is deterministic: retrying cannot help, so it is exhausted at once.
      await noteLimit(row, err);
      return { ...base, status: 'exhausted', error: (err as Error).message };
    }
  };

  const startPart = (key: string, version: string, ev: ClaimedEvent, row: WebhookRow, context: EventContext): PlanTask => {
    const after = chains.get(row.id) ?? null;
    const task: PlanTask = { key, version, done: false, create: null, promise: Promise.resolve(), at: Date.now(), wakes: false, after };
    task.promise = (after ? after.promise : Promise.resolve())
      .then(() => planPart(ev, row, context))
      .then(
        (create) => {
          task.create = create;
        },
        (err) => {
          task.create = null;
          strapi.log.error(`[document-webhooks] planning outbox record ${ev.id} for webhook ${row.id} failed: ${(err as Error)?.message ?? err}`);
        }
      )
      .finally(() => {
        task.done = true;
        task.after = null;
        if (chains.get(row.id) === task) chains.delete(row.id);
        if (task.wakes) engine().wake();
      });
    chains.set(row.id, task);
    planned.set(key, task);
    return task;
  };

  /**
   * The sendable user headers of a stored request (no reserved names: definitions/headers.ts)
   * with secret values filled in, plus fresh signatures; `needles` are the secrets a response
   * must not carry back (send/redact.ts).
   */
  const signedHeaders = (row: WebhookRow, stored: Record<string, string>, messageId: string, body: string) => {
    const secretValues = new Map<string, string>(webhooks().sendHeaders(row).filter((h: any) => h.secret).map((h: any) => [h.name.toLowerCase(), h.value]));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(sendableHeaders(stored))) {
      headers[name] = value === REDACTED ? (secretValues.get(name.toLowerCase()) ?? '') : value;
    }
    const signingSecrets: string[] = webhooks().signingSecrets(row);
    const signature = signatureHeaders({ secrets: signingSecrets, msgId: messageId, timestampSeconds: Math.floor(Date.now() / 1000), body });
    const needles = secretNeedles({
      signingSecrets,
      secretHeaderValues: [...secretValues.values()],
      signatures: [signature['webhook-signature'], signature[FRAPPE_SIGNATURE_HEADER]].filter((v): v is string => Boolean(v)),
    });
    return { headers: { ...headers, ...signature }, signature, needles };
  };

  const maskHeaders = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, k.toLowerCase() === 'webhook-signature' || k.toLowerCase() === 'x-frappe-webhook-signature' ? REDACTED : v]));

  /**
   * One HTTP exchange. The result is redacted (no secret or signature of this request in the
   * response); `note` names the definition's headers that were left out (reserved names).
   */
  const send = (row: WebhookRow, req: RenderedRequest, messageId: string): { result: Promise<SendResult>; loggedHeaders: Record<string, string>; note: string | null } => {
    const note = skippedHeadersNote(skippedHeaders(row.headers ?? []));
    let signed: ReturnType<typeof signedHeaders>;
    try {
      signed = signedHeaders(row, req.headers, messageId, req.body);
    } catch (err) {
      // A secret that no configured key decrypts (encryptionKey changed without
      // previousEncryptionKeys): a failed attempt with its reason, retried on schedule.
      const error = `Not sent: cannot sign or fill in secret headers: ${(err as Error).message}`;
      return { result: Promise.resolve({ status: null, headers: {}, body: null, durationMs: 0, error }), loggedHeaders: maskHeaders(sendableHeaders(req.headers)), note };
    }
    const { headers, signature, needles } = signed;
    const result = sendRequest(
      { method: req.method, url: req.url, headers, body: req.body, timeoutMs: row.timeoutMs ?? cfg().defaultTimeoutMs },
      { policy: engine().ssrfPolicy(), agents: engine().agents(), maxResponseBodyBytes: cfg().maxResponseBodyBytes }
    ).then((r) => redactResponse(r, needles));
    // The log keeps webhook-id/timestamp but not the signatures (as in a preview): whoever can
    // read logs must not be able to replay a validly signed request.
    return { result, loggedHeaders: maskHeaders({ ...sendableHeaders(req.headers), ...signature }), note };
  };

  const isSuccess = (r: SendResult) => r.status !== null && r.status >= 200 && r.status < 300;
  const failureReason = (r: SendResult) =>
    r.error ??
    (r.status !== null && r.status >= 300 && r.status < 400
      ? `HTTP ${r.status}: redirects are not followed${r.headers.location ? ` (Location: ${r.headers.location})` : ''}`
      : `HTTP ${r.status}`);

  /**
   * Track continuous failure; disable on 410 Gone or after `autoDisableAfterHours`. `row` was
   * read before the attempt, and other deliveries to the same webhook run concurrently, so
   * the streak is kept with conditional updates and read back fresh rather than trusted from
   * `row` (a success that raced a failure must still end the streak). Resolves to undefined,
   * or when the webhook was disabled the warning to log ('' if another delivery did it).
   */
  const updateHealth = async (trx: Db, row: WebhookRow, r: SendResult): Promise<string | undefined> => {
    const now = new Date();
    const w = table(WEBHOOK_UID);
    const since = w.col('failingSince');
    if (isSuccess(r)) {
      await trx(w.name).where('id', row.id).whereNotNull(since).update({ [since]: null });
      row.failingSince = null;
      return undefined;
    }
    let disabledReason: string | null = null;
    if (r.status === 410) {
      disabledReason = `Disabled on ${now.toISOString()}: the receiver answered 410 Gone`;
    } else {
      // Start a streak unless one is running.
      await trx(w.name).where('id', row.id).whereNull(since).update(w.toRow({ failingSince: now }));
      // Deliveries claimed with this row object see the streak (a later success must end it).
      row.failingSince ??= now.toISOString();
      const fresh = await trx(w.name).where('id', row.id).first(since);
      const t = fresh?.[since] != null ? new Date(w.fromRow(fresh).failingSince).getTime() : NaN;
      if (cfg().autoDisableAfterHours > 0 && Number.isFinite(t) && now.getTime() - t >= cfg().autoDisableAfterHours * 3600_000) {
        disabledReason = `Disabled on ${now.toISOString()}: deliveries failed continuously since ${new Date(t).toISOString()}`;
      }
    }
    if (disabledReason) {
      // Only the first of concurrent failures disables (and warns).
      const res = await trx(w.name).where('id', row.id).where(w.col('enabled'), true).update(w.toRow({ enabled: false, disabledReason, updatedAt: now }));
      return affected(res) > 0 ? `[document-webhooks] webhook ${row.id} "${row.name}": ${disabledReason}` : '';
    }
    return undefined;
  };

  /** The version a preview/test uses (the draft first), once the admin may read it. */
  const loadDocument = async (uid: string, documentId: string, locale: string | undefined, access: ContentAccess) => {
    // Before anything is read, so the answer does not tell whether the document exists.
    await access.assertCanRead(uid);
    const versions = await loadVersions(strapi, uid, documentId);
    const ofLocale = versions.filter((v: any) => !locale || v.locale === locale);
    const doc = ofLocale.find((v: any) => v.publishedAt == null) ?? ofLocale[0];
    if (!doc) return null;
    await access.assertCanRead(uid, doc);
    return sanitizeSnapshot(strapi, uid, doc);
  };

  /** The context for preview/test: a real document (if `access` allows), or a sample one when none is given. */
  const manualContext = async (row: WebhookRow, body: unknown, user: any, requireDocument: boolean, access: ContentAccess) => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new WebhookValidationError([{ path: [], message: 'request body must be a JSON object: {documentId?, locale?}' }]);
    }
    const unknown = Object.keys(body).filter((k) => k !== 'documentId' && k !== 'locale');
    if (unknown.length) throw new WebhookValidationError(unknown.map((k) => ({ path: [k], message: `${k} is not a known field (documentId, locale)` })));
    const { documentId, locale } = body as { documentId?: unknown; locale?: unknown };
    if (locale != null && typeof locale !== 'string') throw new WebhookValidationError([{ path: ['locale'], message: 'locale must be a string' }]);
    const uid = row.contentType;
    let doc: Record<string, unknown> | null;
    if (documentId === undefined || documentId === null || documentId === '') {
      if (requireDocument) throw new WebhookValidationError([{ path: ['documentId'], message: 'documentId is required' }]);
      doc = sampleDocument((strapi.getModel(uid as any) as any)?.attributes ?? {});
    } else {
      if (typeof documentId !== 'string') throw new WebhookValidationError([{ path: ['documentId'], message: 'documentId must be a string' }]);
      doc = await loadDocument(uid, documentId, (locale as string | null) ?? undefined, access);
      if (!doc) throw new WebhookValidationError([{ path: ['documentId'], message: `document ${documentId} of ${uid} not found` }]);
    }
    return buildContext({
      event: row.events?.[0] ?? 'entry.update',
      uid,
      model: modelName(uid),
      doc,
      previous: null,
      locale: (doc?.locale as string) ?? null,
      user: user ? { id: user.id, email: user.email ?? null } : null,
    });
  };


  /** One attempt: send, then hand the outcome to `finish` (the group commit). */
  const attempt = async (log: DeliveryRow, finish: (data: Record<string, unknown>, health?: Outcome['health']) => Promise<void>): Promise<void> => {
    const row = log.webhook;
    if (!row) return finish({ status: 'exhausted', error: 'The webhook was deleted', nextAttemptAt: null });
    if (!row.enabled) {
      return finish({ status: 'exhausted', error: `The webhook is disabled${row.disabledReason ? `: ${row.disabledReason}` : ''}`, nextAttemptAt: null });
    }
    const req = { method: log.requestMethod, url: log.requestUrl, headers: log.requestHeaders ?? {}, body: log.requestBody ?? '' };
    const { result: pending, loggedHeaders, note } = send(row, req, log.messageId);
    const result = await pending;
    const attempts = (log.attempts ?? 0) + 1;
    const error = isSuccess(result) ? null : failureReason(result);
    const attemptLog = [...(log.attemptLog ?? []), { at: new Date().toISOString(), status: result.status, durationMs: result.durationMs, error, ...(note ? { note } : {}) }];
    let status: string;
    let nextAttemptAt: Date | null = null;
    if (isSuccess(result)) status = 'delivered';
    else if (result.status === 410) status = 'exhausted';
    else {
      const delay = nextAttemptDelayMs({
        attemptsMade: attempts,
        maxAttempts: row.maxAttempts ?? 8,
        schedule: cfg().retrySchedule,
        retryAfterMs: parseRetryAfter(result.headers['retry-after']),
      });
      status = delay === null ? 'exhausted' : 'failed';
      if (delay !== null) nextAttemptAt = new Date(Date.now() + delay);
    }
    if (error) strapi.log.debug(`[document-webhooks] delivery ${log.id} to webhook ${row.id} failed: ${error}`);
    return finish(
      {
        status,
        attempts,
        attemptLog,
        nextAttemptAt,
        requestHeaders: loggedHeaders,
        responseStatus: result.status,
        responseHeaders: result.headers,
        responseBody: result.body,
        error,
        durationMs: result.durationMs,
      },
      { row, result }
    );
  };

  /**
   * Group commit of delivery outcomes: the outcomes that finish together are written in one
   * transaction (each `UPDATE … WHERE id AND leaseOwner`, so an outcome whose lease was taken
   * over is dropped, then the webhooks' health in completion order). A delivery resolves once
   * its outcome is committed, so the worker counts it in flight (and its row stays leased)
   * until then. A commit starts when no other delivery is still sending, when MAX_GROUP are
   * pending, or GROUP_COMMIT_MS after the first pending one; outcomes that finish during a
   * commit go in the next one, right after.
   */
  const outcomes = (() => {
    let pending: Outcome[] = [];
    let timer: NodeJS.Timeout | null = null;
    let flushing: Promise<void> | null = null;

    const write = async (batch: Outcome[]) => {
      const warnings: string[] = [];
      let disabled = false;
      const t = table(LOG_UID);
      const now = new Date();
      await queueTransaction(strapi, async (db) => {
        for (const o of batch) {
          await t.updateWhereIdAnd(db, o.log.id, 'leaseOwner', o.log.leaseOwner, { ...o.data, updatedAt: now });
        }
        // Health in completion order; a run of successes of one webhook needs one update only,
        // and so does a run of failures other than 410 (the first starts the streak, the same
        // clock decides auto-disable for all): a hanging receiver's timeouts end together.
        const last = new Map<number, 'success' | 'failure'>();
        for (const o of batch) {
          if (!o.health) continue;
          const { row, result } = o.health;
          if (isSuccess(result)) {
            // Nothing to end if no streak was running when the webhook was read (with the claim).
            if (last.get(row.id) === 'success' || row.failingSince == null) continue;
            last.set(row.id, 'success');
          } else if (result.status !== 410) {
            if (last.get(row.id) === 'failure') continue;
            last.set(row.id, 'failure');
          } else last.delete(row.id);
          const warning = await updateHealth(db, row, result);
          if (warning !== undefined) disabled = true;
          if (warning) warnings.push(warning);
        }
      });
      for (const w of warnings) strapi.log.warn(w);
      if (disabled) await engine().definitionsChanged();
    };

    const run = (): Promise<void> => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (flushing) return flushing;
      flushing = (async () => {
        while (pending.length) {
          // Writes first (engine.waitForWrites): pending outcomes keep their leases meanwhile.
          const wait = engine().waitForWrites();
          if (wait) await wait;
          const batch = pending.slice(0, MAX_GROUP);
          pending = pending.slice(batch.length);
          try {
            await write(batch);
            batch.forEach((o) => o.resolve());
          } catch (err) {
            // The database away: none of them can be written now (their leases keep the
            // deliveries; they are sent again once the leases run out).
            if (batch.length === 1 || isConnectionError(err)) {
              batch.forEach((o) => o.reject(err));
              continue;
            }
            // One outcome that cannot be written must not lose the others: one by one.
            for (const o of batch) {
              try {
                await write([o]);
                o.resolve();
              } catch (e) {
                o.reject(e);
              }
            }
          }
        }
      })().finally(() => {
        flushing = null;
        if (pending.length) void run();
      });
      return flushing;
    };

    const api = {
      sending: 0,
      record(log: DeliveryRow, data: Record<string, unknown>, health: Outcome['health']): Promise<void> {
        const done = new Promise<void>((resolve, reject) => pending.push({ log, data, health, resolve, reject }));
        api.nudge();
        return done;
      },
      /** Commit now if nothing else is about to join the group, else within GROUP_COMMIT_MS. */
      nudge() {
        if (!pending.length || flushing) return;
        if (api.sending <= 0 || pending.length >= MAX_GROUP) void run();
        else if (!timer) {
          timer = setTimeout(() => void run(), GROUP_COMMIT_MS);
          timer.unref?.();
        }
      },
      async flush() {
        while (pending.length || flushing) await run();
      },
    };
    return api;
  })();

  return {
    /**
     * Start planning one captured event's deliveries (current definitions; per webhook the
     * condition then the render, in the background): no write. Parts already planned for this
     * record by an earlier batch (same definition version) are taken over, not done again. A
     * throw here concerns this record only.
     */
    async fanOut(ev: ClaimedEvent, webhooksById: Map<number, WebhookRow>): Promise<FanOutPlan> {
      const rows = (ev.webhookIds ?? []).map((id) => webhooksById.get(id)).filter((r): r is WebhookRow => Boolean(r));
      let context: EventContext | null = null;
      const tasks = new Map<number, PlanTask>();
      const fresh: PlanTask[] = [];
      for (const row of rows) {
        const key = `${ev.id}:${row.id}:${ev.documentId}:${ev.occurredAt}`;
        const version = String(row.updatedAt);
        let task = planned.get(key);
        // The definition as it is now: a webhook disabled or changed meanwhile no longer fires,
        // except for a part already planned (e.g. the render that got the webhook paused: its
        // log row says why).
        if (!row.enabled || !(row.events ?? []).includes(ev.event) || row.contentType !== ev.uid) {
          if (task?.done) tasks.set(row.id, task);
          continue;
        }
        if (task && task.version !== version) task = undefined;
        if (!task) {
          context ??= buildContext({
            event: ev.event,
            uid: ev.uid,
            model: modelName(ev.uid),
            doc: ev.doc,
            previous: ev.previous,
            documentId: ev.documentId,
            locale: ev.locale,
            user: ev.user,
          });
          task = startPart(key, version, ev, row, context);
          fresh.push(task);
        }
        tasks.set(row.id, task);
      }
      return { ev, tasks, fresh };
    },

    /**
     * Wait for the plans a batch started, FAN_OUT_WAIT_MS at most (slow ones go on meanwhile).
     * Plans queued behind a webhook's backlog from earlier batches are not waited for: that
     * webhook is slow, and the others' deliveries go ahead at once.
     */
    async awaitFanOuts(plans: FanOutPlan[]): Promise<void> {
      const waited = new Set<PlanTask>();
      for (const plan of plans) {
        for (const task of plan.fresh) if (!task.after || task.after.done || waited.has(task.after)) waited.add(task);
      }
      if (!waited.size) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([...waited].map((t) => t.promise)), new Promise<void>((r) => (timer = setTimeout(r, FAN_OUT_WAIT_MS)))]);
      clearTimeout(timer);
    },

    /** Outbox records with parts still being planned here: the next claim makes room for them. */
    pendingFanOuts(): number {
      const now = Date.now();
      const records = new Set<string>();
      for (const [key, task] of planned) {
        if (task.done && now - task.at > PLAN_TTL_MS) planned.delete(key);
        else if (!task.done) records.add(key.slice(0, key.indexOf(':')));
      }
      return records.size;
    },

    /** Forget planned parts (engine stop: the renders end with the renderer). */
    forgetFanOuts() {
      planned.clear();
      chains.clear();
    },

    /**
     * Write what a batch's plans have ready, in one transaction: per record, the deliveries of
     * the webhooks whose part is ready (splitReady: plan done, and earlier records of the same
     * document done for that webhook); a record with nothing left is deleted, one with parts
     * left keeps only those webhooks and is released for a later batch (its unfinished parts
     * wake the worker when done). Only records still leased to `token` are written. If the
     * batch transaction fails, each record is retried in its own transaction, so one that
     * cannot be written does not hold back the others (it keeps its lease, and is tried again
     * when that runs out). Resolves to the ids of the records that moved on.
     */
    async commitFanOuts(plans: FanOutPlan[], token: string): Promise<number[]> {
      if (!plans.length) return [];
      const t = table(LOG_UID);
      const split = splitReady(
        plans.map((p) => ({ id: p.ev.id, document: `${p.ev.uid}\u0000${p.ev.documentId}`, webhookIds: [...p.tasks.keys()] })),
        (recordId, webhookId) => Boolean(plans.find((p) => p.ev.id === recordId)?.tasks.get(webhookId)?.done)
      );
      for (const plan of plans) {
        for (const id of split.get(plan.ev.id)?.remaining ?? []) {
          const task = plan.tasks.get(id) as PlanTask;
          if (!task.done) task.wakes = true;
        }
      }
      const readyOf = (plan: FanOutPlan) => (split.get(plan.ev.id)?.ready ?? []).map((id) => plan.tasks.get(id) as PlanTask);
      const write = async (batch: FanOutPlan[]) =>
        queueTransaction(strapi, async (db) => {
          const now = new Date();
          const whole = batch.filter((p) => !split.get(p.ev.id)?.remaining.length).map((p) => p.ev.id);
          const done: Set<number> = whole.length ? await engine().outbox().complete(whole, token, db) : new Set();
          for (const plan of batch) {
            const remaining = split.get(plan.ev.id)?.remaining ?? [];
            if (remaining.length && (await engine().outbox().keep(plan.ev.id, remaining, token, db))) done.add(plan.ev.id);
          }
          const rows: Record<string, unknown>[] = [];
          for (const plan of batch) {
            if (!done.has(plan.ev.id)) continue;
            for (const task of readyOf(plan)) if (task.create) rows.push({ ...task.create, createdAt: now, updatedAt: now });
          }
          await t.insert(db, rows);
        });
      const written = (batch: FanOutPlan[]) => {
        for (const plan of batch) for (const task of readyOf(plan)) planned.delete(task.key);
      };
      const moved = (batch: FanOutPlan[]) => batch.filter((p) => readyOf(p).length > 0 || !split.get(p.ev.id)?.remaining.length).map((p) => p.ev.id);
      try {
        await write(plans);
        written(plans);
        return moved(plans);
      } catch (err) {
        // One by one cannot help when the database is away: the records keep their leases.
        if (plans.length === 1 || isConnectionError(err)) throw err;
        strapi.log.warn(`[document-webhooks] fan-out of ${plans.length} outbox records in one transaction failed (${(err as Error)?.message ?? err}); writing them one by one`);
      }
      const done: number[] = [];
      for (const plan of plans) {
        try {
          await write([plan]);
          written([plan]);
          done.push(...moved([plan]));
        } catch (err) {
          const ev = plan.ev;
          strapi.log.error(`[document-webhooks] fan-out of outbox record ${ev.id} (${ev.event} ${ev.uid} ${ev.documentId}) failed: ${(err as Error)?.message ?? err}`);
        }
      }
      return done;
    },

    /** Write the outcomes still waiting for their group commit (engine stop). */
    flushOutcomes: () => outcomes.flush(),

    /**
     * The webhooks with these ids, as of at most WEBHOOK_ROWS_TTL_MS ago: a claim round or
     * fan-out batch reads them in one query, and rounds that follow within the TTL reuse it
     * (measured: one query layer read per claim was ~15 % of a drain's CPU). Changes made on
     * this instance clear it at once (`forgetWebhooks`, via engine.definitionsChanged); other
     * instances' changes are seen within the TTL.
     */
    async webhooksById(ids: number[]): Promise<Map<number, WebhookRow>> {
      const now = Date.now();
      const unique = [...new Set(ids.filter((n) => Number.isInteger(n)))];
      const out = new Map<number, WebhookRow>();
      const missing: number[] = [];
      for (const id of unique) {
        const hit = webhookRows.get(id);
        if (hit && now - hit.at < WEBHOOK_ROWS_TTL_MS) {
          if (hit.row) out.set(id, hit.row);
        } else missing.push(id);
      }
      if (missing.length) {
        const rows = (await webhookQuery().findMany({ where: { id: { $in: missing } } })) as WebhookRow[];
        const found = new Map(rows.map((r) => [r.id, r]));
        // A deleted webhook is remembered as such too (row null).
        for (const id of missing) webhookRows.set(id, { row: found.get(id) ?? null, at: now });
        for (const r of rows) out.set(r.id, r);
        if (webhookRows.size > 10_000) webhookRows.clear();
      }
      return out;
    },

    forgetWebhooks() {
      webhookRows.clear();
    },

    /**
     * One attempt of a leased delivery, then its outcome recorded (if we still hold the
     * lease). `sent` is called when the HTTP exchange is over (the worker's slot is free);
     * the promise resolves once the outcome is committed.
     */
    async deliver(log: DeliveryRow, sent: () => void = () => {}): Promise<void> {
      // Counted as sending until its outcome is queued: the group commit waits (≤ GROUP_COMMIT_MS)
      // for the other deliveries in flight rather than committing each outcome alone.
      outcomes.sending += 1;
      let queued = false;
      const finish = (data: Record<string, unknown>, health: Outcome['health'] = null) => {
        queued = true;
        outcomes.sending -= 1;
        sent();
        return outcomes.record(log, { ...data, leaseOwner: null, leaseUntil: null }, health);
      };
      // Enough lease left for the request? (Half the lease at most: with a lease shorter than
      // the timeout, which the docs advise against, the request may outlive it anyway.)
      const needMs = Math.min((log.webhook?.timeoutMs ?? cfg().defaultTimeoutMs) + LEASE_MARGIN_MS, cfg().leaseMs / 2);
      if (log.leaseUntil && Date.parse(log.leaseUntil) - Date.now() < needMs) {
        // Waited too long in the local queue: give it back untouched rather than risk a takeover mid-request.
        return finish({});
      }
      try {
        return await attempt(log, finish);
      } finally {
        if (!queued) {
          outcomes.sending -= 1;
          outcomes.nudge();
        }
      }
    },

    /** Condition result and the exact request for a real document; nothing is sent. */
    async preview(id: unknown, body: unknown, access: ContentAccess): Promise<PreviewResponse> {
      const row = (await webhooks().findRow(id)) as WebhookRow;
      const context = await manualContext(row, body, null, true, access);
      let matches = false;
      let conditionError: string | null = null;
      try {
        matches = evaluateCondition(row.condition, context as any, { timeoutMs: cfg().renderTimeoutMs });
      } catch (err) {
        const limited = limitError(err, 'condition');
        if (limited) throw limited;
        conditionError = (err as Error).message;
      }
      try {
        const req = await render(row, context, new Date().toISOString());
        const { headers } = signedHeaders(row, req.headers, 'msg_preview', req.body);
        // Secret header values stay masked in a preview.
        const shown = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, req.headers[k] === REDACTED ? REDACTED : v]));
        return { matches, conditionError, request: { method: req.method, url: req.url, headers: maskHeaders(shown), body: req.body }, error: null };
      } catch (err) {
        const limited = limitError(err, 'jsonTemplate');
        if (limited) throw limited;
        return { matches, conditionError, request: null, error: (err as Error).message };
      }
    },

    /** Send now (condition ignored), log it, and report the outcome. */
    async test(id: unknown, body: unknown, user: any, access: ContentAccess): Promise<TestResponse> {
      const row = (await webhooks().findRow(id)) as WebhookRow;
      const context = await manualContext(row, body, user, false, access);
      const messageId = newMessageId();
      const base = {
        webhookId: row.id,
        webhookName: row.name,
        event: 'test',
        contentType: row.contentType,
        targetDocumentId: context.documentId,
        targetLocale: context.locale,
        user: context.user,
        messageId,
        requestMethod: row.method,
        requestUrl: row.url,
      };
      let req: RenderedRequest;
      try {
        req = await render(row, context, new Date().toISOString());
      } catch (err) {
        const error = (err as Error).message;
        const log = await logs().create({ data: { ...base, status: 'exhausted', attempts: 0, attemptLog: [], error } });
        const limited = limitError(err, 'jsonTemplate');
        if (limited) throw limited;
        return { status: null, durationMs: 0, responseBody: null, error, logId: log.id };
      }
      const { result: pending, loggedHeaders, note } = send(row, req, messageId);
      const result = await pending;
      const error = isSuccess(result) ? null : failureReason(result);
      const log = await logs().create({
        data: {
          ...base,
          status: error ? 'exhausted' : 'delivered',
          attempts: 1,
          attemptLog: [{ at: new Date().toISOString(), status: result.status, durationMs: result.durationMs, error, ...(note ? { note } : {}) }],
          requestUrl: req.url,
          requestHeaders: loggedHeaders,
          requestBody: req.body,
          responseStatus: result.status,
          responseHeaders: result.headers,
          responseBody: result.body,
          error,
          durationMs: result.durationMs,
        },
      });
      return { status: result.status, durationMs: result.durationMs, responseBody: result.body, error, logId: log.id };
    },
  };
};
