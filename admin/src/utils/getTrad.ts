import { PLUGIN_ID } from '../pluginId';

/** Translation key of this plugin (every key is prefixed with the plugin id). */
export const getTrad = (id: string) => `${PLUGIN_ID}.${id}`;
