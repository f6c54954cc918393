import type { WebhookEvent } from '../definitions/events';

/** A row of a document as stored: one per locale and, with draft & publish, per draft/published. */
export type Version = Record<string, any>;

/** What the capture saw around one Document Service action. */
export interface ActionOutcome {
  /** Document Service action: create, clone, update, delete, publish, unpublish, discardDraft. */
  action: string;
  draftAndPublish: boolean;
  /** `status: 'published'` on create/update: Strapi publishes right after the write. */
  publishRequested: boolean;
  /** The locales the action touched (null for types without i18n). */
  locales: (string | null)[];
  /** The document's rows before the action (all locales); empty for create and clone. */
  before: Version[];
  /** The document's rows after the action (all locales). */
  after: Version[];
}

export interface PlannedEvent {
  event: WebhookEvent;
  locale: string | null;
  doc: Version;
  previous: Version | null;
}

const isDraft = (v: Version) => v.publishedAt == null;

/** The row of `locale` in `versions`: the draft, the published one, or (draft: null) the only one. */
function pick(versions: Version[], locale: string | null, draft: boolean | null): Version | null {
  return (
    versions.find(
      (v) => (v.locale ?? null) === locale && (draft === null || isDraft(v) === draft)
    ) ?? null
  );
}

/**
 * Which events a Document Service action yields, with their `doc` and `previous`, per locale
 * touched: the table of docs/events.md, as Strapi's own document service emits them (one event
 * per action and locale; for delete one per locale, not one per row).
 */
export function planEvents(o: ActionOutcome): PlannedEvent[] {
  const planned: PlannedEvent[] = [];
  const add = (
    event: WebhookEvent,
    locale: string | null,
    doc: Version | null,
    previous: Version | null
  ) => {
    if (doc) planned.push({ event, locale, doc, previous });
  };
  // Without draft & publish there is one row per locale: it is both "the draft" and "the published version".
  const draft = (versions: Version[], locale: string | null) =>
    pick(versions, locale, o.draftAndPublish ? true : null);
  const published = (versions: Version[], locale: string | null) =>
    o.draftAndPublish ? pick(versions, locale, false) : null;

  for (const locale of o.locales) {
    const existedBefore = o.before.some((v) => (v.locale ?? null) === locale);
    switch (o.action) {
      case 'create':
      case 'clone':
        add('entry.create', locale, draft(o.after, locale), null);
        break;
      case 'update':
        // Updating a locale the document did not have creates it: Strapi says entry.create.
        if (existedBefore)
          add('entry.update', locale, draft(o.after, locale), draft(o.before, locale));
        else add('entry.create', locale, draft(o.after, locale), null);
        break;
      case 'publish':
        add('entry.publish', locale, published(o.after, locale), published(o.before, locale));
        break;
      case 'unpublish':
        // Only a published version that existed is unpublished; the event carries it.
        add('entry.unpublish', locale, published(o.before, locale), null);
        break;
      case 'discardDraft':
        // Strapi discards only where a published version exists (the new draft is its copy).
        if (published(o.before, locale))
          add('entry.draft-discard', locale, draft(o.after, locale), draft(o.before, locale));
        break;
      case 'delete':
        add('entry.delete', locale, published(o.before, locale) ?? draft(o.before, locale), null);
        break;
    }
    if (
      o.publishRequested &&
      o.draftAndPublish &&
      (o.action === 'create' || o.action === 'update')
    ) {
      add('entry.publish', locale, published(o.after, locale), published(o.before, locale));
    }
  }
  return planned;
}

/** Events an action may yield: to skip the capture when no webhook listens to any of them. */
export function possibleEvents(action: string, publishRequested: boolean): WebhookEvent[] {
  const publish: WebhookEvent[] = publishRequested ? ['entry.publish'] : [];
  switch (action) {
    case 'create':
    case 'clone':
      return ['entry.create', ...publish];
    case 'update':
      return ['entry.update', 'entry.create', ...publish];
    case 'publish':
      return ['entry.publish'];
    case 'unpublish':
      return ['entry.unpublish'];
    case 'discardDraft':
      return ['entry.draft-discard'];
    case 'delete':
      return ['entry.delete'];
    default:
      return [];
  }
}

/**
 * The locales an action touched: those of the rows it reports (`result.entries`, or the row
 * itself), else the locale asked for; `'*'` with nothing reported means every locale the
 * document had.
 */
export function touchedLocales(
  result: unknown,
  requestedLocale: unknown,
  before: Version[]
): (string | null)[] {
  const r = result as any;
  const entries: Version[] = Array.isArray(r?.entries)
    ? r.entries
    : r && typeof r === 'object'
      ? [r]
      : [];
  const fromResult = entries.map((e) => e?.locale ?? null);
  const locales =
    fromResult.length > 0
      ? fromResult
      : requestedLocale === '*'
        ? before.map((v) => v.locale ?? null)
        : Array.isArray(requestedLocale)
          ? requestedLocale
          : [typeof requestedLocale === 'string' ? requestedLocale : null];
  return [...new Set(locales)];
}
