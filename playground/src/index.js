const { seedDemo } = require('./seed');

module.exports = {
  register() {},
  async bootstrap({ strapi }) {
    // `npm run demo` sets SEED_DEMO: an admin user, sample content and a sample webhook.
    if (process.env.SEED_DEMO === 'true') await seedDemo(strapi);
  },
};
