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
