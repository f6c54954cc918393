import type { Core } from '@strapi/strapi';
import { evaluateCondition } from '../dispatch/condition';
import { nextAttemptDelayMs, parseRetryAfter } from '../dispatch/backoff';
import { buildContext, type EventContext } from '../render/context';
import { REDACTED, renderRequest, type RenderedRequest } from '../render/request';
import { newMessageId, signatureHeaders } from '../sign/signature';
import { sendRequest, type SendResult } from '../send/send';
import { loadVersions, sanitizeSnapshot } from '../capture/snapshot';
import { sampleDocument } from '../definitions/sample';
import type { ClaimedEvent } from '../outbox/outbox';
import type { WebhookRow } from '../definitions/types';
import { getPluginConfig, LOG_UID, PLUGIN_ID, WEBHOOK_UID } from '../plugin';
import { WebhookValidationError } from '../errors';

const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-frappe-webhook-signature'];

class LeaseLost extends Error {}

export interface DeliveryRow {
  id: number;
  webhookId: number;
  status: string;
  messageId: string;
  attempts: number;
  attemptLog: { at: string; status: number | null; durationMs: number; error: string | null }[] | null;
  requestUrl: string;
  requestMethod: string;
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  leaseOwner: string | null;
}

/** fan-out → render → sign → send → log, for one event or one delivery at a time. */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const cfg = () => getPluginConfig(strapi);
  const logs = () => strapi.db.query(LOG_UID as any);
  const webhookQuery = () => strapi.db.query(WEBHOOK_UID as any);
  const plugin = () => strapi.plugin(PLUGIN_ID);
  const engine = () => plugin().service('engine');
  const webhooks = () => plugin().service('webhooks');
  const limits = () => ({ timeoutMs: cfg().renderTimeoutMs, maxOutputBytes: cfg().maxRenderOutputBytes });
  const modelName = (uid: string) => (strapi.getModel(uid as any) as any)?.modelName ?? uid;

  const render = (row: WebhookRow, context: EventContext, createdAt: string) =>
    renderRequest(row as any, context, engine().renderer(), limits(), createdAt);

  /** The user headers of a stored request with secret values filled in, plus fresh signatures. */
  const signedHeaders = (row: WebhookRow, stored: Record<string, string>, messageId: string, body: string) => {
    const secretValues = new Map<string, string>(webhooks().sendHeaders(row).filter((h: any) => h.secret).map((h: any) => [h.name.toLowerCase(), h.value]));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(stored)) {
      if (SIGNATURE_HEADERS.includes(name.toLowerCase())) continue;
      headers[name] = value === REDACTED ? (secretValues.get(name.toLowerCase()) ?? '') : value;
    }
    const signature = signatureHeaders({
      secrets: webhooks().signingSecrets(row),
      msgId: messageId,
      timestampSeconds: Math.floor(Date.now() / 1000),
      body,
    });
    return { headers: { ...headers, ...signature }, signature };
  };

  const maskHeaders = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, k.toLowerCase() === 'webhook-signature' || k.toLowerCase() === 'x-frappe-webhook-signature' ? REDACTED : v]));

  const send = (row: WebhookRow, req: RenderedRequest, messageId: string) => {
    const { headers, signature } = signedHeaders(row, req.headers, messageId, req.body);
    const result = sendRequest(
      { method: req.method, url: req.url, headers, body: req.body, timeoutMs: row.timeoutMs ?? cfg().defaultTimeoutMs },
      { policy: engine().ssrfPolicy(), agents: engine().agents(), maxResponseBodyBytes: cfg().maxResponseBodyBytes }
    );
    // The log keeps webhook-id/timestamp but not the signatures (as in a preview): whoever can
    // read logs must not be able to replay a validly signed request.
    return { result, loggedHeaders: maskHeaders({ ...req.headers, ...signature }) };
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
   * `row` (a success that raced a failure must still end the streak).
   */
  const updateHealth = async (row: WebhookRow, r: SendResult) => {
    const now = new Date();
    if (isSuccess(r)) {
      await webhookQuery().updateMany({ where: { id: row.id, failingSince: { $notNull: true } }, data: { failingSince: null } });
      return;
    }
    let disabledReason: string | null = null;
    if (r.status === 410) {
      disabledReason = `Disabled on ${now.toISOString()}: the receiver answered 410 Gone`;
    } else {
      // Start a streak unless one is running.
      await webhookQuery().updateMany({ where: { id: row.id, failingSince: { $null: true } }, data: { failingSince: now } });
      const fresh = (await webhookQuery().findOne({ where: { id: row.id }, select: ['id', 'failingSince'] })) as WebhookRow | null;
      const since = fresh?.failingSince ? new Date(fresh.failingSince as any).getTime() : NaN;
      if (cfg().autoDisableAfterHours > 0 && Number.isFinite(since) && now.getTime() - since >= cfg().autoDisableAfterHours * 3600_000) {
        disabledReason = `Disabled on ${now.toISOString()}: deliveries failed continuously since ${new Date(since).toISOString()}`;
      }
    }
    if (disabledReason) {
      // Only the first of concurrent failures disables (and warns).
      const res = await webhookQuery().updateMany({ where: { id: row.id, enabled: true }, data: { enabled: false, disabledReason } });
      if ((res?.count ?? 0) > 0) strapi.log.warn(`[document-webhooks] webhook ${row.id} "${row.name}": ${disabledReason}`);
      await engine().definitionsChanged();
    }
  };

  const loadDocument = async (uid: string, documentId: string, locale?: string | null) => {
    const versions = await loadVersions(strapi, uid, documentId);
    const ofLocale = versions.filter((v: any) => !locale || v.locale === locale);
    const doc = ofLocale.find((v: any) => v.publishedAt == null) ?? ofLocale[0];
    return doc ? sanitizeSnapshot(strapi, uid, doc) : null;
  };

  /** The context for preview/test: a real document, or a sample one when none is given. */
  const manualContext = async (row: WebhookRow, body: { documentId?: unknown; locale?: unknown }, user: any, requireDocument: boolean) => {
    const uid = row.contentType;
    let doc: Record<string, unknown> | null;
    if (body.documentId === undefined || body.documentId === null || body.documentId === '') {
      if (requireDocument) throw new WebhookValidationError([{ path: ['documentId'], message: 'documentId is required' }]);
      doc = sampleDocument((strapi.getModel(uid as any) as any)?.attributes ?? {});
    } else {
      if (typeof body.documentId !== 'string') throw new WebhookValidationError([{ path: ['documentId'], message: 'documentId must be a string' }]);
      if (body.locale != null && typeof body.locale !== 'string') throw new WebhookValidationError([{ path: ['locale'], message: 'locale must be a string' }]);
      doc = await loadDocument(uid, body.documentId, body.locale as string | undefined);
      if (!doc) throw new WebhookValidationError([{ path: ['documentId'], message: `document ${body.documentId} of ${uid} not found` }]);
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

  return {
    /** Turn one captured event into one delivery per matching webhook, atomically with its removal. */
    async fanOut(ev: ClaimedEvent, token: string): Promise<void> {
      const ids = (ev.webhookIds ?? []).filter((n) => Number.isInteger(n));
      const rows = (ids.length ? await webhookQuery().findMany({ where: { id: { $in: ids } } }) : []) as WebhookRow[];
      const context = buildContext({
        event: ev.event,
        uid: ev.uid,
        model: modelName(ev.uid),
        doc: ev.doc,
        previous: ev.previous,
        documentId: ev.documentId,
        locale: ev.locale,
        user: ev.user,
      });
      const creates: Record<string, unknown>[] = [];
      for (const row of rows) {
        // The definition as it is now: a webhook disabled or changed meanwhile no longer fires.
        if (!row.enabled || !(row.events ?? []).includes(ev.event) || row.contentType !== ev.uid) continue;
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
        let matches: boolean;
        try {
          matches = await evaluateCondition(row.condition, context as any);
        } catch (err) {
          creates.push({ ...base, status: 'exhausted', error: `Condition failed: ${(err as Error).message}` });
          continue;
        }
        if (!matches) continue;
        try {
          const req = await render(row, context, ev.occurredAt);
          creates.push({
            ...base,
            status: 'pending',
            nextAttemptAt: new Date(),
            requestUrl: req.url,
            requestHeaders: req.headers,
            requestBody: req.body,
          });
        } catch (err) {
          // Rendering is deterministic: retrying cannot help, so it is exhausted at once.
          creates.push({ ...base, status: 'exhausted', error: (err as Error).message });
        }
      }
      try {
        await strapi.db.transaction(async () => {
          if (!(await engine().outbox().complete(ev.id, token))) throw new LeaseLost();
          for (const data of creates) await logs().create({ data });
        });
      } catch (err) {
        if (!(err instanceof LeaseLost)) throw err;
      }
    },

    /** One attempt of a leased delivery, then its outcome recorded (if we still hold the lease). */
    async deliver(log: DeliveryRow): Promise<void> {
      const row = (await webhookQuery().findOne({ where: { id: log.webhookId } })) as WebhookRow | null;
      const finish = (data: Record<string, unknown>) =>
        logs().updateMany({ where: { id: log.id, leaseOwner: log.leaseOwner }, data: { ...data, leaseOwner: null, leaseUntil: null } });
      if (!row) return void (await finish({ status: 'exhausted', error: 'The webhook was deleted', nextAttemptAt: null }));
      if (!row.enabled) {
        return void (await finish({ status: 'exhausted', error: `The webhook is disabled${row.disabledReason ? `: ${row.disabledReason}` : ''}`, nextAttemptAt: null }));
      }
      const req = { method: log.requestMethod, url: log.requestUrl, headers: log.requestHeaders ?? {}, body: log.requestBody ?? '' };
      const { result: pending, loggedHeaders } = send(row, req, log.messageId);
      const result = await pending;
      const attempts = (log.attempts ?? 0) + 1;
      const error = isSuccess(result) ? null : failureReason(result);
      const attemptLog = [...(log.attemptLog ?? []), { at: new Date().toISOString(), status: result.status, durationMs: result.durationMs, error }];
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
      await finish({
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
      });
      if (error) strapi.log.debug(`[document-webhooks] delivery ${log.id} to webhook ${row.id} failed: ${error}`);
      await updateHealth(row, result);
    },

    /** Condition result and the exact request for a real document; nothing is sent. */
    async preview(id: unknown, body: { documentId?: unknown; locale?: unknown }) {
      const row = (await webhooks().findRow(id)) as WebhookRow;
      const context = await manualContext(row, body, null, true);
      let matches = false;
      let conditionError: string | null = null;
      try {
        matches = await evaluateCondition(row.condition, context as any);
      } catch (err) {
        conditionError = (err as Error).message;
      }
      try {
        const req = await render(row, context, new Date().toISOString());
        const { headers } = signedHeaders(row, req.headers, 'msg_preview', req.body);
        // Secret header values stay masked in a preview.
        const shown = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, req.headers[k] === REDACTED ? REDACTED : v]));
        return { matches, conditionError, request: { method: req.method, url: req.url, headers: maskHeaders(shown), body: req.body }, error: null };
      } catch (err) {
        return { matches, conditionError, request: null, error: (err as Error).message };
      }
    },

    /** Send now (condition ignored), log it, and report the outcome. */
    async test(id: unknown, body: { documentId?: unknown; locale?: unknown }, user: any) {
      const row = (await webhooks().findRow(id)) as WebhookRow;
      const context = await manualContext(row, body, user, false);
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
        return { status: null, durationMs: 0, responseBody: null, error, logId: log.id };
      }
      const { result: pending, loggedHeaders } = send(row, req, messageId);
      const result = await pending;
      const error = isSuccess(result) ? null : failureReason(result);
      const log = await logs().create({
        data: {
          ...base,
          status: error ? 'exhausted' : 'delivered',
          attempts: 1,
          attemptLog: [{ at: new Date().toISOString(), status: result.status, durationMs: result.durationMs, error }],
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
