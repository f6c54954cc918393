import admin from './admin';

// No content-api routes: the plugin exposes nothing to the public API.
export default { admin };
