#!/usr/bin/env node
/**
 * `npm run demo`: build the plugin and the playground admin, start the echo receiver on
 * http://127.0.0.1:4000 and the playground Strapi on http://localhost:1337/admin, seeded
 * with an admin user, sample quotations/articles and a webhook pointing at the receiver.
 */
const path = require('path');
const { spawn } = require('child_process');
const { run } = require('./run');
const { ensureAdminBuild } = require('./admin-build');

const root = path.resolve(__dirname, '..');
const playground = path.join(root, 'playground');
const strapiBin = path.join(root, 'node_modules', '.bin', 'strapi');
const email = process.env.DEMO_ADMIN_EMAIL || 'admin@example.com';
const password = process.env.DEMO_ADMIN_PASSWORD || 'Admin1234!';
const port = process.env.PORT || '1337';
const receiverPort = process.env.RECEIVER_PORT || '4000';

async function main() {
  await run('npm', ['run', 'build'], { cwd: root });
  await ensureAdminBuild();

  const children = [];
  const stop = () => {
    // Only the processes this script started, by PID.
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  process.on('SIGTERM', () => {
    stop();
    process.exit(143);
  });

  children.push(
    spawn(process.execPath, [path.join(__dirname, 'echo-receiver.js')], {
      stdio: 'inherit',
      env: { ...process.env, PORT: receiverPort },
    })
  );
  const strapi = spawn(strapiBin, ['start'], {
    cwd: playground,
    stdio: 'inherit',
    env: {
      ...process.env,
      PORT: port,
      SEED_DEMO: 'true',
      DEMO_ADMIN_EMAIL: email,
      DEMO_ADMIN_PASSWORD: password,
      DEMO_RECEIVER_URL: `http://127.0.0.1:${receiverPort}/hooks/quotation`,
      DOCUMENT_WEBHOOKS_CONFIG: JSON.stringify({
        allowedHosts: [`127.0.0.1:${receiverPort}`, `localhost:${receiverPort}`],
      }),
    },
  });
  children.push(strapi);
  strapi.on('exit', (code) => {
    stop();
    process.exit(code ?? 0);
  });

  console.log(
    `\n  Document webhooks demo\n  ──────────────────────\n  Admin:     http://localhost:${port}/admin\n  Log in:    ${email} / ${password}\n  Receiver:  http://127.0.0.1:${receiverPort} (requests are printed below)\n  Try:       Content Manager → Quotation → change a status → Save / Publish\n             Settings → Document webhooks → request log\n`
  );
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
