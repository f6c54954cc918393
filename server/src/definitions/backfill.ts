import type { BackfillInput } from '../contracts/webhooks';
import type { FieldError } from './types';

/** What a content type offers a backfill: draft & publish, locales. */
export interface BackfillModel {
  draftAndPublish: boolean;
  localized: boolean;
}

export interface BackfillQuery {
  locale: string | null;
  status: 'published' | 'draft';
}

/**
 * `POST /webhooks/:id/backfill`'s body (docs/api.md) → what to read, or the field errors.
 * The published versions by default; the drafts with `status: "draft"`, and always for a type
 * without draft & publish (its documents have only that version).
 */
export function parseBackfillInput(
  body: unknown,
  model: BackfillModel
): { query: BackfillQuery | null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (body === undefined || body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body))
    return { query: null, errors: [{ path: ['body'], message: 'body must be a JSON object' }] };
  const b = body as Record<string, unknown> & BackfillInput;
  for (const key of Object.keys(b))
    if (key !== 'locale' && key !== 'status')
      errors.push({ path: [key], message: `${key} is not a backfill option (locale, status)` });
  let locale: string | null = null;
  if (b.locale !== undefined && b.locale !== null) {
    if (typeof b.locale !== 'string' || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(b.locale))
      errors.push({
        path: ['locale'],
        message: 'locale must be a locale code such as "en" or "fr-FR"',
      });
    else if (!model.localized)
      errors.push({ path: ['locale'], message: 'locale is only for a localized content type' });
    else locale = b.locale;
  }
  let status: BackfillQuery['status'] = 'published';
  if (b.status !== undefined && b.status !== null) {
    if (b.status !== 'published' && b.status !== 'draft')
      errors.push({ path: ['status'], message: 'status must be "published" or "draft"' });
    else status = b.status;
  }
  if (!model.draftAndPublish) status = 'draft';
  return errors.length ? { query: null, errors } : { query: { locale, status }, errors };
}

/**
 * The rows of a backfill page, as a Strapi query `where`: after `cursor` (row id, ascending),
 * the version asked for (`publishedAt` set or not; no filter without draft & publish), the locale.
 */
export function backfillWhere(
  q: BackfillQuery,
  model: BackfillModel,
  cursor: number
): Record<string, unknown> {
  const where: Record<string, unknown> = { id: { $gt: cursor } };
  if (model.draftAndPublish)
    where.publishedAt = q.status === 'published' ? { $notNull: true } : { $null: true };
  if (q.locale) where.locale = q.locale;
  return where;
}
