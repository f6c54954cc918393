const path = require('path');

module.exports = () => ({
  'document-webhooks': {
    enabled: true,
    // Loads the plugin from this repository (its built dist/).
    resolve: path.resolve(__dirname, '..', '..'),
    config: {
      // The demo receiver runs on this machine; private addresses stay blocked otherwise.
      allowedHosts: ['127.0.0.1:4000', 'localhost:4000'],
      // Tests and benchmarks pass their own settings here.
      ...(process.env.DOCUMENT_WEBHOOKS_CONFIG ? JSON.parse(process.env.DOCUMENT_WEBHOOKS_CONFIG) : {}),
    },
  },
});
