/**
 * Build the playground's admin panel only when needed. The bundle embeds the plugin's admin
 * code, so it is rebuilt when dist/admin's *content* changed since the last build (a hash:
 * `npm run build` rewrites the files, so timestamps would always say "stale").
 */
const { createHash } = require('crypto');
const fs = require('fs');
const path = require('path');
const { run } = require('./run');

const root = path.resolve(__dirname, '..');
const playground = path.join(root, 'playground');
const hashFile = path.join(playground, 'build', '.document-webhooks-admin-hash');

function adminHash() {
  const hash = createHash('sha256');
  const walk = (dir) =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .forEach((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else hash.update(e.name).update(fs.readFileSync(p));
      });
  walk(path.join(root, 'dist', 'admin'));
  return hash.digest('hex');
}

function adminBuildIsStale() {
  if (!fs.existsSync(path.join(playground, 'build', 'index.html')) || !fs.existsSync(hashFile))
    return true;
  return fs.readFileSync(hashFile, 'utf8') !== adminHash();
}

async function ensureAdminBuild() {
  if (!adminBuildIsStale()) {
    console.log('[admin-build] playground admin is up to date with dist/admin');
    return;
  }
  fs.mkdirSync(path.join(playground, 'public', 'uploads'), { recursive: true });
  await run(path.join(root, 'node_modules', '.bin', 'strapi'), ['build'], {
    cwd: playground,
    env: { ...process.env, NODE_ENV: 'development' },
  });
  fs.writeFileSync(hashFile, adminHash());
}

module.exports = { ensureAdminBuild, adminBuildIsStale };
