import { PLUGIN_ID } from '../plugin';

/** The parts of a Strapi content type schema the rule reads. */
export interface ContentTypeSchema {
  uid: string;
  pluginOptions?: Record<string, any>;
}

/**
 * The content types a webhook can watch: those the Content Manager lists (`api::…` and
 * visible plugin types such as `plugin::users-permissions.user`), never `admin::…` (admin
 * users, tokens) nor this plugin's own tables. See docs/events.md.
 */
export function isWatchable(ct: ContentTypeSchema | null | undefined): boolean {
  if (!ct || typeof ct.uid !== 'string') return false;
  if (ct.uid.startsWith('admin::') || ct.uid.startsWith(`plugin::${PLUGIN_ID}.`)) return false;
  if (!ct.uid.startsWith('api::') && !ct.uid.startsWith('plugin::')) return false;
  // The Content Manager's own rule (data-mapper `isVisible`): listed unless hidden on purpose.
  return (ct.pluginOptions?.['content-manager']?.visible ?? true) === true;
}

/**
 * The attributes a snapshot carries (docs/events.md): not private, not passwords, not virtual
 * relations (i18n's `localizations`), as the admin's field pickers and form-field checks see them.
 */
export function snapshotAttributes(
  attributes: Record<string, { type: string; private?: boolean; unstable_virtual?: boolean }>
): { name: string; type: string }[] {
  return Object.entries(attributes ?? {})
    .filter(([, a]) => !a.private && a.type !== 'password' && !a.unstable_virtual)
    .map(([name, a]) => ({ name, type: a.type }));
}
