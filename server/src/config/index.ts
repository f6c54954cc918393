import * as yup from 'yup';
import { DEFAULT_RETRY_SCHEDULE } from '../dispatch/backoff';

/** Plugin configuration (`config/plugins.ts` → `'document-webhooks': { config }`). */
export interface PluginConfig {
  /** Seconds to wait after attempt 1, 2, … (±20 % jitter). */
  retrySchedule: number[];
  /** Deliveries in flight at once, per Strapi instance. */
  concurrency: number;
  /** Deliveries in flight at once for one webhook, per instance. */
  perWebhookConcurrency: number;
  defaultTimeoutMs: number;
  maxResponseBodyBytes: number;
  allowPrivateAddresses: boolean;
  allowedHosts: string[];
  logRetentionDays: number;
  /** Fallback poll interval; local writes wake the worker at once. */
  pollIntervalMs: number;
  /** Disable a webhook whose deliveries have failed continuously for this long (0 = never). */
  autoDisableAfterHours: number;
  /** Key material for AES-256-GCM encryption of secrets; defaults to `admin.secrets.encryptionKey`. */
  encryptionKey?: string;
  /**
   * Former key materials (key rotation): secrets they encrypted still decrypt, and are
   * re-encrypted with the current key at start-up.
   */
  previousEncryptionKeys: string[];
  /** How long a rotated-out secret keeps signing. */
  secretRotationGraceHours: number;
  /** Limits of the template sandbox (also the time limit of a condition). */
  renderTimeoutMs: number;
  maxRenderOutputBytes: number;
  /** Render processes (child processes running templates), shared fairly between webhooks. */
  renderProcesses: number;
  /** Heap limit of one render process, in MB: a template allocating more fails alone. */
  renderMemoryMb: number;
  /** Pause a webhook after this many renders/conditions in a row hit a sandbox limit (0 = never). */
  pauseAfterLimitHits: number;
  /** How long a claimed record stays leased to one instance before others may take it over. */
  leaseMs: number;
  /** Run the delivery worker in this instance (turn off on API-only instances). */
  worker: boolean;
  /**
   * While document writes are in progress in this instance, the worker waits (at most this
   * long per step) before its next step, so deliveries do not slow the writes down (0 = never wait).
   */
  yieldToWritesMs: number;
  /**
   * Webhooks as code: definitions (the admin API's JSON, secrets allowed) reconciled by name
   * at every start; validated at bootstrap, where the content types are known.
   */
  webhooks: unknown[];
}

export const defaultConfig: PluginConfig = {
  retrySchedule: DEFAULT_RETRY_SCHEDULE,
  concurrency: 20,
  perWebhookConcurrency: 4,
  defaultTimeoutMs: 5000,
  maxResponseBodyBytes: 20480,
  allowPrivateAddresses: false,
  allowedHosts: [],
  logRetentionDays: 30,
  pollIntervalMs: 5000,
  autoDisableAfterHours: 72,
  encryptionKey: undefined,
  previousEncryptionKeys: [],
  secretRotationGraceHours: 24,
  renderTimeoutMs: 1000,
  maxRenderOutputBytes: 1024 * 1024,
  renderProcesses: 2,
  renderMemoryMb: 64,
  pauseAfterLimitHits: 5,
  leaseMs: 60_000,
  worker: true,
  yieldToWritesMs: 50,
  webhooks: [],
};

const int = (min: number, max: number) => yup.number().strict().integer().min(min).max(max);

const schema = yup
  .object({
    retrySchedule: yup
      .array(
        yup
          .number()
          .strict()
          .min(0)
          .max(7 * 86400)
          .required()
      )
      .strict(),
    concurrency: int(1, 1000),
    perWebhookConcurrency: int(1, 1000),
    defaultTimeoutMs: int(100, 30000),
    maxResponseBodyBytes: int(0, 10 * 1024 * 1024),
    allowPrivateAddresses: yup.boolean().strict(),
    allowedHosts: yup
      .array(yup.string().strict().required().matches(/^\S+$/, 'must not contain spaces'))
      .strict(),
    logRetentionDays: int(0, 3650),
    pollIntervalMs: int(10, 3_600_000),
    autoDisableAfterHours: yup.number().strict().min(0),
    // Type errors say what is wrong without echoing the value: it is key material.
    encryptionKey: yup
      .string()
      .strict()
      .typeError('must be a string')
      .min(16, 'must be at least 16 characters')
      .optional(),
    previousEncryptionKeys: yup
      .array(
        yup
          .string()
          .strict()
          .typeError('must be a string')
          .required()
          .min(16, 'must be at least 16 characters')
      )
      .strict()
      .typeError('must be a list of strings'),
    secretRotationGraceHours: yup
      .number()
      .strict()
      .min(0)
      .max(24 * 30),
    renderTimeoutMs: int(10, 60_000),
    maxRenderOutputBytes: int(1024, 64 * 1024 * 1024),
    renderProcesses: int(1, 16),
    renderMemoryMb: int(16, 4096),
    pauseAfterLimitHits: int(0, 1_000_000),
    leaseMs: int(1000, 3_600_000),
    worker: yup.boolean().strict(),
    yieldToWritesMs: int(0, 10_000),
    // Each entry is checked at bootstrap like an admin API body (it needs the app's content types).
    webhooks: yup
      .array(yup.object().strict().typeError('must be an object with the webhook fields'))
      .strict()
      .typeError('must be a list of webhook definitions'),
  })
  .noUnknown(true, (p) => `unknown key "${p.unknown}"`)
  .strict();

/**
 * Strapi calls this at start-up with the merged config; throwing stops the boot, so every
 * message starts with the offending key.
 */
export function validateConfig(config: unknown): void {
  try {
    schema.validateSync(config, { abortEarly: false });
  } catch (err) {
    if (err instanceof yup.ValidationError) {
      const problems = err.inner.length ? err.inner : [err];
      const lines = problems.map((e) => {
        // yup reports the unknown-key problem at the root: name the key itself.
        if (e.type === 'noUnknown') return e.message;
        return `${e.path}: ${e.message}`;
      });
      throw new Error(`Invalid config for plugin "document-webhooks": ${lines.join('; ')}`);
    }
    throw err;
  }
}

/**
 * Strapi merges the user's config into `default` with lodash `defaultsDeep`, which merges arrays
 * index by index: a user `retrySchedule: [1, 2]` over the 7-step default would become
 * `[1, 2, 1800, 7200, …]`. Non-empty array defaults are therefore left out of `default` and
 * filled in by the validator, which Strapi calls with the very object it then keeps as the
 * plugin's config.
 */
const { retrySchedule: _arrayDefault, ...mergeableDefaults } = defaultConfig;

export function validateAndComplete(config: Record<string, unknown>): void {
  validateConfig(config);
  if (config && typeof config === 'object' && config.retrySchedule === undefined) {
    config.retrySchedule = [...DEFAULT_RETRY_SCHEDULE];
  }
}

export default {
  default: mergeableDefaults,
  validator: validateAndComplete,
};
