import { PLUGIN_ID } from './pluginId';

type TradOptions = { locales: string[] };

export default {
  register(app: any) {
    app.registerPlugin({ id: PLUGIN_ID, name: 'Document webhooks' });
  },

  async registerTrads({ locales }: TradOptions) {
    return Promise.all(
      locales.map(async (locale) => {
        try {
          const { default: data } = await import(`./translations/${locale}.json`);
          return { data, locale };
        } catch {
          return { data: {}, locale };
        }
      })
    );
  },
};
