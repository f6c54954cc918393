import { PLUGIN_ID } from './pluginId';
import { PERMISSIONS } from './permissions';
import { getTrad } from './utils/getTrad';

type TradOptions = { locales: string[] };

export default {
  register(app: any) {
    app.registerPlugin({ id: PLUGIN_ID, name: 'Document webhooks' });

    // Settings › "Document webhooks": the webhooks and the request log, each shown only to
    // users holding the matching RBAC action.
    app.addSettingsLink(
      {
        id: PLUGIN_ID,
        intlLabel: { id: getTrad('settings.section'), defaultMessage: 'Document webhooks' },
      },
      [
        {
          id: `${PLUGIN_ID}-webhooks`,
          to: `${PLUGIN_ID}/webhooks`,
          intlLabel: { id: getTrad('settings.webhooks'), defaultMessage: 'Webhooks' },
          permissions: PERMISSIONS.read,
          Component: () => import('./pages/WebhooksApp'),
        },
        {
          id: `${PLUGIN_ID}-logs`,
          to: `${PLUGIN_ID}/logs`,
          intlLabel: { id: getTrad('settings.logs'), defaultMessage: 'Request log' },
          permissions: PERMISSIONS.logsRead,
          Component: () => import('./pages/LogsPage'),
        },
      ]
    );
  },

  async registerTrads({ locales }: TradOptions) {
    return Promise.all(
      locales.map(async (locale) => {
        try {
          const { default: data } = await import(`./translations/${locale}.json`);
          // Files hold bare keys; the admin sees them prefixed with the plugin id.
          const prefixed = Object.fromEntries(
            Object.entries(data as Record<string, string>).map(([k, v]) => [getTrad(k), v])
          );
          return { data: prefixed, locale };
        } catch {
          return { data: {}, locale };
        }
      })
    );
  },
};
