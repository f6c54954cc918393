#!/usr/bin/env node
/**
 * `npm test`: build the plugin (integration tests load dist/ into a real Strapi), then run
 * the unit, integration and browser (e2e) suites. The e2e suite builds the playground admin
 * and drives Debian's Chromium (/usr/bin/chromium); set SKIP_E2E=1 to leave it out locally.
 */
const path = require('path');
const { run } = require('./run');

const root = path.resolve(__dirname, '..');
const vitest = path.join(root, 'node_modules', '.bin', 'vitest');

async function main() {
  await run('npm', ['run', 'build'], { cwd: root });
  await run(vitest, ['run', '--project', 'unit', '--project', 'integration'], { cwd: root });
  if (process.env.SKIP_E2E !== '1') await run(vitest, ['run', '--project', 'e2e', '--passWithNoTests'], { cwd: root });
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
