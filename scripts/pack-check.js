#!/usr/bin/env node
/**
 * `npm run test:pack`: what a user gets from npm. Packs the plugin, installs the tarball into a
 * separate plain Strapi 5.54 app (in a temp folder, outside this repository so nothing
 * resolves from our node_modules), boots it, logs in as an admin and calls
 * GET /document-webhooks/webhooks. Also checks that only one copy of @strapi/strapi is installed.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));

function sh(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
}

async function main() {
  const tarball = sh('npm', ['pack', '--silent', '--pack-destination', os.tmpdir()], root)
    .trim()
    .split('\n')
    .pop();
  const tarPath = path.join(os.tmpdir(), tarball);
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-plain-app-'));
  console.log(`[pack-check] ${tarball} → plain Strapi app in ${app}`);
  const dev = pkg.devDependencies;
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'plain-strapi-app',
        private: true,
        version: '0.0.0',
        dependencies: {
          '@strapi/strapi': dev['@strapi/strapi'],
          'better-sqlite3': dev['better-sqlite3'],
          react: dev.react,
          'react-dom': dev['react-dom'],
          'react-router-dom': dev['react-router-dom'],
          'styled-components': dev['styled-components'],
          'strapi-plugin-document-webhooks': `file:${tarPath}`,
        },
      },
      null,
      2
    )
  );
  const w = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(app, rel)), { recursive: true });
    fs.writeFileSync(path.join(app, rel), text);
  };
  w(
    'config/database.js',
    `module.exports = () => ({ connection: { client: 'sqlite', connection: { filename: '.tmp/data.db' }, useNullAsDefault: true } });\n`
  );
  w(
    'config/server.js',
    `module.exports = () => ({ host: '127.0.0.1', port: 0, app: { keys: ['a', 'b'] } });\n`
  );
  w(
    'config/admin.js',
    `module.exports = () => ({ serveAdminPanel: false, auth: { secret: 'pack-check-secret' }, apiToken: { salt: 'salt' }, transfer: { token: { salt: 'salt' } }, secrets: { encryptionKey: 'pack-check-encryption-key-000000' } });\n`
  );
  w(
    'config/middlewares.js',
    `module.exports = ['strapi::logger','strapi::errors','strapi::security','strapi::cors','strapi::poweredBy','strapi::query','strapi::body','strapi::session','strapi::favicon','strapi::public'];\n`
  );
  // The documented install: enable the plugin by its package name.
  w(
    'config/plugins.js',
    `module.exports = () => ({ 'document-webhooks': { enabled: true, config: {} } });\n`
  );
  w('src/index.js', `module.exports = { register() {}, bootstrap() {} };\n`);
  w(
    'src/api/note/content-types/note/schema.json',
    JSON.stringify({
      kind: 'collectionType',
      collectionName: 'notes',
      info: { singularName: 'note', pluralName: 'notes', displayName: 'Note' },
      options: { draftAndPublish: false },
      attributes: { text: { type: 'string' } },
    })
  );
  w('public/uploads/.gitkeep', '');

  console.log('[pack-check] npm install …');
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
  const copies = sh('find', ['node_modules', '-path', '*/@strapi/strapi/package.json'], app)
    .trim()
    .split('\n')
    .filter(Boolean);
  if (copies.length !== 1)
    throw new Error(
      `expected one copy of @strapi/strapi, found ${copies.length}: ${copies.join(', ')}`
    );
  if (
    !fs.existsSync(
      path.join(app, 'node_modules/strapi-plugin-document-webhooks/dist/server/index.js')
    )
  )
    throw new Error('plugin dist missing from the installed package');

  process.env.STRAPI_TELEMETRY_DISABLED = 'true';
  process.chdir(app);
  const { createStrapi } = require(require.resolve('@strapi/strapi', { paths: [app] }));
  const strapi = createStrapi({ appDir: app, distDir: app });
  await strapi.load();
  await strapi.server.mount();
  await new Promise((resolve) => strapi.server.httpServer.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${strapi.server.httpServer.address().port}`;
  try {
    if (!strapi.plugin('document-webhooks'))
      throw new Error('plugin document-webhooks is not loaded');
    const role = await strapi.service('admin::role').getSuperAdmin();
    await strapi.service('admin::user').create({
      email: 'pack@check.local',
      password: 'Pack1234!',
      firstname: 'P',
      lastname: 'C',
      isActive: true,
      roles: [role.id],
    });
    const login = await fetch(`${base}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'pack@check.local', password: 'Pack1234!' }),
    });
    const token = (await login.json()).data.token;
    const res = await fetch(`${base}/document-webhooks/webhooks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await res.json();
    if (res.status !== 200 || !Array.isArray(body.data))
      throw new Error(`GET /document-webhooks/webhooks → ${res.status} ${JSON.stringify(body)}`);
    console.log(
      `[pack-check] GET /document-webhooks/webhooks → ${res.status} ${JSON.stringify(body)}`
    );
    // Templates render in child processes started from the bundle (docs/security.md, 2a): a
    // save renders the JSON template against a sample document, and a template exhausting
    // memory is a 400 while this process lives on.
    const save = (jsonTemplate) =>
      fetch(`${base}/document-webhooks/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `pack ${Math.random()}`,
          contentType: 'api::note.note',
          events: ['entry.create'],
          url: 'http://127.0.0.1:9/x',
          bodyType: 'json',
          jsonTemplate,
        }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const ok = await save('{"text": {{ doc.text | dump }}}');
    if (ok.status !== 201)
      throw new Error(`POST a JSON-template webhook → ${ok.status} ${JSON.stringify(ok.body)}`);
    const bomb = await save(
      '{% set s = "xx" %}{% for a in "01234567890123456789012345" %}{% set s = s ~ s %}{% endfor %}{"n": {{ s|upper|length }}}'
    );
    if (bomb.status !== 400 || !/memory limit|exceeded \d+ ms/.test(JSON.stringify(bomb.body)))
      throw new Error(`POST the memory bomb → ${bomb.status} ${JSON.stringify(bomb.body)}`);
    console.log(
      `[pack-check] JSON template rendered on save (201); memory bomb → 400 ${bomb.body.error.details.errors[0].message}`
    );
    console.log('1 passed, 0 failed');
  } finally {
    await new Promise((resolve) => strapi.server.httpServer.close(resolve));
    await strapi.destroy();
    fs.rmSync(app, { recursive: true, force: true });
    fs.rmSync(tarPath, { force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`[pack-check] FAILED: ${err.stack || err.message}`);
    process.exit(1);
  }
);
