const { seedDemo } = require('./seed');

/** The article type is localized in English (i18n's default locale) and French. */
const LOCALES = [{ code: 'fr', name: 'French (fr)' }];

module.exports = {
  register() {},
  async bootstrap({ strapi }) {
    const locales = strapi.plugin('i18n').service('locales');
    for (const locale of LOCALES)
      if (!(await locales.findByCode(locale.code))) await locales.create(locale);
    // `npm run demo` sets SEED_DEMO: an admin user, sample content and a sample webhook.
    if (process.env.SEED_DEMO === 'true') await seedDemo(strapi);
  },
};
