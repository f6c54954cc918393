import type { FieldError, WebhookInput } from '../definitions/types';
import { nestingErrors, unknownFieldErrors, validateWebhook } from '../definitions/validate';
import type { WebhookFields } from './webhook-fields';

/**
 * One definition of the config (webhooks as code) or of an import, checked as a POST body is:
 * the complete definition (defaults applied) and its problems, with paths relative to the
 * entry (docs/api.md). Shared by `webhooks-as-code.ts` and `webhooks-transfer.ts`.
 */
export const checkEntry = async (
  { validationContext, withDefaults }: WebhookFields,
  raw: unknown,
  mode: 'config' | 'import'
): Promise<{ input: WebhookInput; needsSecret: boolean; errors: FieldError[] }> => {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      input: null as unknown as WebhookInput,
      needsSecret: false,
      errors: [{ path: [], message: 'must be an object with the webhook fields' }],
    };
  }
  const entry = raw as Record<string, unknown>;
  const deep = nestingErrors(entry);
  if (deep.length)
    return { input: null as unknown as WebhookInput, needsSecret: false, errors: deep };
  // `needsSecret` is what an export says about a webhook that signs; only imports carry it.
  const { needsSecret, ...fields } = entry;
  const errors = unknownFieldErrors(mode === 'import' ? fields : entry);
  if (mode === 'import' && needsSecret !== undefined && typeof needsSecret !== 'boolean') {
    errors.push({ path: ['needsSecret'], message: 'needsSecret must be a boolean' });
  }
  const input = withDefaults(fields);
  if (mode === 'config') {
    // An env() variable that is not set reads as undefined: refused rather than taken as "does not sign".
    if ('secret' in entry && entry.secret === undefined) {
      errors.push({
        path: ['secret'],
        message:
          'secret is undefined (an env() variable that is not set?): use null for a webhook that does not sign',
      });
    }
    if (Array.isArray(input.headers)) {
      input.headers.forEach((h, i) => {
        if (h && typeof h === 'object' && h.secret && (h.value === null || h.value === undefined)) {
          errors.push({
            path: ['headers', i, 'value'],
            message:
              'value is required for a secret header in the config (an env() variable that is not set?)',
          });
        }
      });
    }
  }
  errors.push(...(await validateWebhook(input, validationContext)));
  // One message per field: the config's own check above says more than the generic one.
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = JSON.stringify(e.path);
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return { input, needsSecret: needsSecret === true, errors: unique };
};
