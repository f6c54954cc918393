const path = require('path');

module.exports = ({ env }) => ({
  // As in a create-strapi-app project (its .env holds JWT_SECRET); a playground-only default here.
  'users-permissions': {
    config: { jwtSecret: env('JWT_SECRET', 'playground-users-permissions-jwt-secret') },
  },
  // Bounded queries, as Strapi recommends (it warns at start-up otherwise).
  graphql: { config: { defaultLimit: 25, maxLimit: 100, depthLimit: 10 } },
  'document-webhooks': {
    enabled: true,
    // Loads the plugin from this repository (its built dist/).
    resolve: path.resolve(__dirname, '..', '..'),
    config: {
      // The demo receiver runs on this machine; private addresses stay blocked otherwise.
      allowedHosts: ['127.0.0.1:4000', 'localhost:4000'],
      // Tests and benchmarks pass their own settings here.
      ...(process.env.DOCUMENT_WEBHOOKS_CONFIG
        ? JSON.parse(process.env.DOCUMENT_WEBHOOKS_CONFIG)
        : {}),
    },
  },
});
