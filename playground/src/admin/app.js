// Admin customisation of the playground: offer French (Dokos' language) besides English, so
// the plugin's translations can be seen and tested.
export default {
  config: { locales: ['fr'] },
  bootstrap() {},
};
