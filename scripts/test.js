#!/usr/bin/env node
/**
 * `npm test`: build the plugin (integration tests load dist/ into a real Strapi), then run
 * the unit and integration suites.
 */
const path = require('path');
const { run } = require('./run');

const root = path.resolve(__dirname, '..');

async function main() {
  await run('npm', ['run', 'build'], { cwd: root });
  await run(path.join(root, 'node_modules', '.bin', 'vitest'), ['run'], { cwd: root, env: { ...process.env } });
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
