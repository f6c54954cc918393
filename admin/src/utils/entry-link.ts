import type { ContentTypeInfo, Log } from '../../../server/src/contracts';

/**
 * The Content Manager's page of a log row's document, in its locale, as a path of the admin
 * router (docs/admin.md): `/content-manager/collection-types/<uid>/<documentId>`, or
 * `/content-manager/single-types/<uid>` for a single type, plus `?plugins[i18n][locale]=…`.
 * Null when there is no entry to open: a test send of the sample document, a deleted
 * document, or a content type the admin does not list.
 */
export function entryPath(
  log: Pick<Log, 'uid' | 'documentId' | 'locale' | 'event'>,
  type: Pick<ContentTypeInfo, 'kind'> | undefined
): string | null {
  if (!type || !log.documentId || log.event === 'entry.delete') return null;
  const base =
    type.kind === 'singleType'
      ? `/content-manager/single-types/${log.uid}`
      : `/content-manager/collection-types/${log.uid}/${encodeURIComponent(log.documentId)}`;
  return log.locale ? `${base}?plugins[i18n][locale]=${encodeURIComponent(log.locale)}` : base;
}
