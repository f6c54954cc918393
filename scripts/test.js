#!/usr/bin/env node
/**
 * `npm test`: build the plugin (integration tests load dist/ into a real Strapi), then run
 * the unit, integration (SQLite) and browser (e2e) suites. The e2e suite builds the
 * playground admin when needed and drives Debian's Chromium (/usr/bin/chromium): outside CI
 * it is skipped, loudly, when Chromium is not installed; in CI its absence is a failure.
 * CI (.ci/run) also runs test:postgres, test:mariadb and test:scale.
 */
const fs = require('fs');
const path = require('path');
const { run } = require('./run');

const root = path.resolve(__dirname, '..');
const vitest = path.join(root, 'node_modules', '.bin', 'vitest');
const CHROMIUM = '/usr/bin/chromium';

async function main() {
  await run('npm', ['run', 'build'], { cwd: root });
  await run(vitest, ['run', '--project', 'unit', '--project', 'integration'], { cwd: root });
  if (process.env.SKIP_E2E === '1') {
    console.log('\n[test] e2e skipped (SKIP_E2E=1)');
  } else if (!fs.existsSync(CHROMIUM) && process.env.CI !== 'true') {
    console.log(
      `\n[test] e2e SKIPPED: ${CHROMIUM} not found. Install it with: apt-get install chromium`
    );
  } else {
    await run(vitest, ['run', '--project', 'e2e'], { cwd: root });
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
