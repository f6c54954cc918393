/**
 * Browser test of the admin panel (issue 4): Debian's Chromium driven by playwright-core
 * against the real playground (built admin, seeded demo data), a real HTTP receiver, and the
 * plugin's real delivery engine. Waits are Playwright's auto-waiting locators or the
 * receiver's event-driven `waitFor` — never sleeps.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startReceiver, type Receiver } from '../helpers/receiver';

const ROOT = path.resolve(__dirname, '..', '..');
const PLAYGROUND = path.join(ROOT, 'playground');
const SHOTS = path.join(ROOT, 'docs', 'screenshots');
const STRAPI_BIN = path.join(ROOT, 'node_modules', '.bin', 'strapi');
const ADMIN = { email: 'e2e@example.com', password: 'E2e-Passw0rd!' };
const WEBHOOK_NAME = 'E2E quotations → receiver';
const MANAGED_NAME = 'Articles from config';
const DEMO_NAME = 'Quotation status → ERP (demo receiver)';

let receiver: Receiver;
let strapi: ChildProcess | undefined;
let strapiOutput = '';
let context: BrowserContext | undefined;
let page: Page;
let base = '';
let tmp = '';

/** Files under `dir`, recursively, in a stable order. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) =>
      e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]
    );
}

/** Fingerprint of what the playground admin bundles from this repository. */
function adminSourcesHash(): string {
  const hash = createHash('sha256');
  for (const file of [
    ...filesUnder(path.join(ROOT, 'dist', 'admin')),
    ...filesUnder(path.join(PLAYGROUND, 'src', 'admin')),
  ]) {
    hash.update(path.relative(ROOT, file)).update(fs.readFileSync(file));
  }
  return hash.digest('hex');
}

/**
 * Build the playground admin only when it is missing or was built from other plugin admin code
 * (content fingerprint, so a plugin rebuild with identical output does not cost a new build).
 */
async function ensureAdminBuild() {
  const built = path.join(PLAYGROUND, 'build', 'index.html');
  const stamp = path.join(PLAYGROUND, 'build', '.document-webhooks-admin');
  const wanted = adminSourcesHash();
  if (fs.existsSync(built) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted)
    return;
  // Asynchronous, so the test worker keeps answering vitest while the build runs (~1-4 min).
  let output = '';
  const child = spawn(STRAPI_BIN, ['build'], {
    cwd: PLAYGROUND,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STRAPI_TELEMETRY_DISABLED: 'true' },
  });
  child.stdout?.on('data', (c) => (output = (output + c).slice(-10_000)));
  child.stderr?.on('data', (c) => (output = (output + c).slice(-10_000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`playground admin build failed (${code}):\n${output}`);
  fs.writeFileSync(stamp, wanted);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (strapi?.exitCode !== null && strapi?.exitCode !== undefined)
      throw new Error(`Strapi exited (${strapi.exitCode}):\n${strapiOutput.slice(-4000)}`);
    try {
      const res = await fetch(url);
      if (res.status === 204) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline)
      throw new Error(
        `Strapi did not answer ${url} within ${timeoutMs} ms:\n${strapiOutput.slice(-4000)}`
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The only module the verification snippet may load. */
const snippetRequire = (id: string) => {
  if (id === 'node:crypto') return nodeCrypto;
  throw new Error(`the snippet requires ${id}`);
};

/** Wait (auto-retrying) until the locator is visible, and return it. */
async function visible(locator: Locator, timeout = 20_000) {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator.first();
}

/**
 * Screenshot of the whole page. The admin scrolls inside its own layout (so `fullPage` sees one
 * viewport): the viewport is made tall enough for the content, then restored.
 */
async function shot(name: string, height = 1800) {
  await page.setViewportSize({ width: 1440, height });
  await page.screenshot({ path: path.join(SHOTS, name) });
  await page.setViewportSize({ width: 1440, height: 900 });
}

beforeAll(async () => {
  await ensureAdminBuild();
  receiver = await startReceiver();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  strapi = spawn(STRAPI_BIN, ['start'], {
    cwd: PLAYGROUND,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_CLIENT: 'sqlite',
      DATABASE_FILENAME: path.join(tmp, 'data.db'),
      SEED_DEMO: 'true',
      DEMO_ADMIN_EMAIL: ADMIN.email,
      DEMO_ADMIN_PASSWORD: ADMIN.password,
      DEMO_RECEIVER_URL: receiver.url('/demo'),
      DOCUMENT_WEBHOOKS_CONFIG: JSON.stringify({
        allowPrivateAddresses: true,
        retrySchedule: [0.5, 1],
        // Webhooks as code: shown with a "Managed in code" badge and a read-only form.
        webhooks: [
          {
            name: MANAGED_NAME,
            contentType: 'api::article.article',
            events: ['entry.create'],
            url: receiver.url('/managed'),
          },
        ],
      }),
      STRAPI_TELEMETRY_DISABLED: 'true',
      STRAPI_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  strapi.stdout?.on('data', (c) => (strapiOutput = (strapiOutput + c).slice(-20_000)));
  strapi.stderr?.on('data', (c) => (strapiOutput = (strapiOutput + c).slice(-20_000)));
  await waitForHealth(`${base}/_health`, 120_000);

  fs.mkdirSync(SHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
    locale: 'en-GB',
  });
  context.setDefaultTimeout(20_000);
  page = context.pages()[0] ?? (await context.newPage());
});

afterEach((ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  // What Strapi logged (warnings and errors) and the request log's last rows with their
  // attempts, to tell a plugin error from a slow machine.
  console.error(`Strapi output (last 4000 characters):\n${strapiOutput.slice(-4000)}`);
  try {
    const db = new Database(path.join(tmp, 'data.db'), { readonly: true });
    const rows = db
      .prepare(
        'SELECT id, webhook_id, event, status, attempts, attempt_log, error, next_attempt_at, lease_owner, lease_until FROM document_webhooks_logs ORDER BY id DESC LIMIT 10'
      )
      .all();
    db.close();
    console.error(
      `Request log (last 10 rows, now ${Date.now()}):\n${JSON.stringify(rows, null, 1)}`
    );
  } catch (err) {
    console.error(`Request log unreadable: ${(err as Error).message}`);
  }
});

afterAll(async () => {
  await context?.close().catch(() => undefined);
  if (strapi?.pid && strapi.exitCode === null) {
    const exited = new Promise((r) => strapi!.once('exit', r));
    process.kill(strapi.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (strapi.exitCode === null) process.kill(strapi.pid, 'SIGKILL');
  }
  await receiver?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('admin panel', () => {
  let webhookUrl = '';
  let secret = '';
  let snippet = '';

  it('logs in and lists the webhooks under Settings › Document webhooks', async () => {
    await page.goto(`${base}/admin/auth/login`);
    await (await visible(page.getByRole('textbox', { name: 'Email' }))).fill(ADMIN.email);
    await page.getByRole('textbox', { name: 'Password' }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Login' }).click();
    await visible(page.getByRole('link', { name: 'Settings' }));
    // Strapi's "new Media Library" banner would cover the top of the screenshots.
    await page
      .getByRole('button', { name: 'Close the banner.' })
      .click({ timeout: 5_000 })
      .catch(() => undefined);

    await page.goto(`${base}/admin/settings`);
    // The section and both links are in the settings menu.
    await visible(page.getByText('Document webhooks', { exact: true }));
    await page.getByRole('link', { name: 'Webhooks', exact: true }).last().click();
    await visible(page.getByRole('heading', { name: 'Document webhooks', level: 1 }));
    const row = await visible(
      page.getByRole('row').filter({ hasText: 'Quotation status → ERP (demo receiver)' })
    );
    expect(await row.textContent()).toContain('Quotation');
    await visible(page.getByRole('link', { name: 'Request log' }));

    // Search filters the table; the empty state shows when nothing matches.
    await page.getByRole('searchbox', { name: 'Search webhooks' }).fill('no-such-webhook');
    await visible(page.getByText('No webhook matches'));
    await page.getByRole('searchbox', { name: 'Search webhooks' }).fill('');
    await visible(page.getByRole('row').filter({ hasText: 'Quotation status' }));
  });

  it('creates a webhook through the form, showing the server’s error for a bad condition', async () => {
    await page.getByRole('link', { name: 'Create webhook' }).first().click();
    await visible(page.getByRole('heading', { name: 'New document webhook' }));

    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(WEBHOOK_NAME);
    await page.getByRole('combobox', { name: 'Content type' }).click();
    await page.getByRole('option', { name: 'Quotation' }).click();
    await page.getByRole('checkbox', { name: 'Update', exact: true }).click();
    // Frappe's names are shown as hints next to Strapi's events.
    await visible(page.getByText('Frappe: on_update'));

    await page.getByLabel('Condition (Jexl)').fill('doc.grandTotal >= ');
    await page.getByLabel('Request URL').fill(receiver.url('/e2e'));
    await page.getByLabel('Maximum attempts').fill('2');

    await page.getByRole('button', { name: 'Add a header' }).click();
    await page.getByLabel('Header 1 name').fill('Authorization');
    await page.getByLabel('Header 1 value').fill('Bearer e2e-token');
    await page
      .getByRole('group', { name: 'Header 1' })
      .getByRole('checkbox', { name: 'Secret' })
      .click();

    // Signing: a secret generated in the browser, shown once with a verification snippet.
    await page.getByRole('button', { name: 'Generate a secret' }).click();
    secret = (await (await visible(page.getByTestId('revealed-secret'))).textContent()) ?? '';
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    await page.getByRole('tab', { name: 'JSON template' }).click();
    await page
      .getByLabel('JSON template (Nunjucks / Jinja)')
      .fill(
        '{\n  "quotation": {{ doc.documentId | dump }},\n  "customer": {{ doc.customer | dump }},\n  "title": {{ doc.title | dump }},\n  "total": {{ doc.grandTotal }}\n}'
      );

    await page.getByRole('button', { name: 'Save' }).click();
    // The 400 from the server lands under the condition field, tied to it for assistive tech.
    const conditionError = await visible(page.locator('#condition-error'));
    expect(await conditionError.textContent()).toMatch(/condition is invalid/);
    expect(await page.getByLabel('Condition (Jexl)').getAttribute('aria-describedby')).toBe(
      'condition-error'
    );
    expect(page.url()).toMatch(/\/webhooks\/create$/);

    await page.getByLabel('Condition (Jexl)').fill('doc.grandTotal >= 1000');
    await page.getByRole('button', { name: 'Save' }).click();
    await visible(page.getByText('Webhook created'));
    await page.waitForURL(/\/document-webhooks\/webhooks\/\d+$/);
    webhookUrl = page.url();
    await visible(page.getByRole('heading', { name: WEBHOOK_NAME }));
    await visible(page.getByRole('tab', { name: 'Deliveries' }));
    // The secret header came back write-only: kept, never shown.
    expect(await page.getByLabel('Header 1 value').inputValue()).toBe('');
    await visible(page.getByText('Stored value kept'));
    // The secret stays on screen after the redirect (it cannot be read back later).
    expect(await page.getByTestId('revealed-secret').textContent()).toBe(secret);
    await visible(page.getByText('Requests are signed'));
    snippet =
      (await page
        .getByRole('region', { name: 'Verify the signature on the receiver (Node.js)' })
        .textContent()) ?? '';
    await page.getByText('Webhook created').waitFor({ state: 'hidden' });
    await shot('form.png', 3400);
  });

  it('previews the request for a real document and sends a test', async () => {
    const section = page.getByRole('region', { name: '8. Preview and test' });
    await section.getByRole('combobox', { name: 'Document' }).click();
    await page
      .getByRole('option', { name: /Globex|Training day/ })
      .first()
      .click();
    await section.getByRole('button', { name: 'Preview', exact: true }).click();

    const result = await visible(page.getByRole('region', { name: 'Preview result' }));
    await visible(result.getByText('Condition matches'));
    const body = await result.getByRole('region', { name: 'Request body' }).textContent();
    expect(JSON.parse(body ?? '')).toMatchObject({
      customer: 'Globex',
      title: 'Training day',
      total: 1500,
    });
    // Pretty-printed, and the secret header masked.
    expect(body).toContain('\n  "customer": "Globex"');
    const headers = await result.getByRole('region', { name: 'Request headers' }).textContent();
    expect(headers).toMatch(/Authorization: (?!Bearer e2e-token)/);
    expect(headers).not.toContain('e2e-token');
    await section.scrollIntoViewIfNeeded();
    await section.screenshot({ path: path.join(SHOTS, 'preview.png') });

    receiver.clear();
    receiver.respond(() => ({
      status: 200,
      body: '{"received":true}',
      headers: { 'content-type': 'application/json' },
    }));
    await section.getByRole('button', { name: 'Send test' }).click();
    const test = await visible(page.getByRole('region', { name: 'Test result' }));
    await visible(test.getByText('HTTP 200'));
    expect(await test.getByRole('region', { name: 'Response body' }).textContent()).toContain(
      '"received": true'
    );
    const sent = await receiver.waitFor((reqs) => reqs.find((r) => r.url === '/e2e'));
    expect(sent.headers.authorization).toBe('Bearer e2e-token');
    expect(JSON.parse(sent.body).customer).toBe('Globex');
    // The snippet shown with the secret verifies the real signed request (and rejects a forgery).
    const verifyWebhook = new Function('require', 'process', `${snippet}\nreturn verifyWebhook;`)(
      snippetRequire,
      { env: { WEBHOOK_SECRET: secret } }
    );
    expect(sent.headers['webhook-signature']).toMatch(/^v1,/);
    expect(verifyWebhook(sent.headers, sent.body)).toBe(true);
    expect(verifyWebhook(sent.headers, sent.body.replace('Globex', 'Globax'))).toBe(false);
  });

  it('asks before leaving the form with unsaved changes', async () => {
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(`${WEBHOOK_NAME} (edited)`);
    await page.getByRole('link', { name: 'Request log', exact: true }).click();
    const dialog = await visible(page.getByRole('alertdialog'));
    await visible(dialog.getByText('Leave without saving?'));
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(page.url()).toBe(webhookUrl);
    expect(await page.getByRole('textbox', { name: 'Name', exact: true }).inputValue()).toBe(
      `${WEBHOOK_NAME} (edited)`
    );
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(WEBHOOK_NAME);
  });

  it('logs the delivery of a Content Manager edit, and retries it after it failed', async () => {
    receiver.clear();
    receiver.respond((r) =>
      r.url === '/e2e' ? { status: 500, body: 'receiver is down' } : { status: 200 }
    );

    await page.goto(`${base}/admin/content-manager/collection-types/api::quotation.quotation`);
    await page.getByRole('gridcell', { name: 'Website redesign' }).first().click();
    const title = await visible(page.getByRole('textbox', { name: 'title' }));
    await title.fill('Website redesign v2');
    await page.getByRole('button', { name: 'Save' }).click();

    // First attempt and its one retry both fail (maxAttempts 2): the delivery gives up.
    await receiver.waitFor(
      (reqs) =>
        reqs.filter((r) => r.url === '/e2e' && r.body.includes('Website redesign v2')).length >= 2,
      60_000
    );

    await page.goto(`${base}/admin/settings/document-webhooks/logs`);
    await visible(page.getByRole('heading', { name: 'Request log', level: 1 }));
    const row = await visible(
      page.getByRole('row').filter({ hasText: WEBHOOK_NAME }).filter({ hasText: 'Gave up' }),
      30_000
    );
    expect(await row.textContent()).toContain('500');
    await shot('logs.png', 900);

    // On its time: the document's title in the row is a link to the entry.
    await row.getByRole('gridcell').first().click();
    const dialog = await visible(page.getByRole('dialog'));
    await visible(dialog.getByText('receiver is down'));
    expect(await dialog.getByRole('region', { name: 'Request body' }).textContent()).toContain(
      '"title": "Website redesign v2"'
    );
    expect(
      await dialog.getByRole('region', { name: 'Request headers' }).textContent()
    ).not.toContain('e2e-token');
    await shot('log-detail.png', 1400);

    receiver.respond(() => ({ status: 200, body: 'ok' }));
    await dialog.getByRole('button', { name: 'Retry', exact: true }).click();
    await visible(dialog.getByText('Delivered'), 30_000);
    const retried = await receiver.waitFor(
      (reqs) => reqs.filter((r) => r.url === '/e2e' && r.body.includes('Website redesign v2'))[2]
    );
    expect(retried.headers.authorization).toBe('Bearer e2e-token');
    // Delivered: the same button now resends.
    await visible(dialog.getByRole('button', { name: 'Resend', exact: true }));
    await dialog.getByRole('button', { name: 'Close' }).first().click();

    // The webhook's own "Deliveries" tab shows the same delivery, now delivered.
    await page.goto(webhookUrl);
    await page.getByRole('tab', { name: 'Deliveries' }).click();
    await visible(
      page.getByRole('row').filter({ hasText: 'Delivered' }).filter({ hasText: 'Update' })
    );

    // The list shows the last delivery and the 24 h success rate.
    await page.goto(`${base}/admin/settings/document-webhooks/webhooks`);
    const listRow = await visible(page.getByRole('row').filter({ hasText: WEBHOOK_NAME }));
    await visible(listRow.getByText('Delivered'));
    expect(await listRow.textContent()).toMatch(/%/);
    await shot('list.png', 900);
  });

  it('shows a failed delivery with its document title, linked to the entry, and charts the deliveries', async () => {
    receiver.clear();
    receiver.respond((r) =>
      r.url === '/e2e' ? { status: 500, body: 'receiver is down' } : { status: 200 }
    );
    await page.goto(`${base}/admin/content-manager/collection-types/api::quotation.quotation`);
    await page.getByRole('gridcell', { name: 'Website redesign v2' }).first().click();
    await (await visible(page.getByRole('textbox', { name: 'title' }))).fill('Website redesign v3');
    await page.getByRole('button', { name: 'Save' }).click();
    await receiver.waitFor(
      (reqs) =>
        reqs.filter((r) => r.url === '/e2e' && r.body.includes('Website redesign v3')).length >= 2,
      60_000
    );

    // The log, searched by document title: the row shows the quotation's main field
    // (the Content Manager's default for the type: its first text field, the customer).
    await page.goto(`${base}/admin/settings/document-webhooks/logs`);
    await (await visible(page.getByRole('searchbox', { name: 'Document' }))).fill('acme');
    const row = await visible(
      page.getByRole('row').filter({ hasText: WEBHOOK_NAME }).filter({ hasText: 'Gave up' }),
      30_000
    );
    const link = row.getByRole('link', { name: 'Open Acme Corp in the Content Manager' });
    expect(await link.textContent()).toBe('Acme Corp');
    expect(await link.getAttribute('href')).toMatch(
      /\/admin\/content-manager\/collection-types\/api::quotation\.quotation\/[a-z0-9]+$/
    );
    await shot('logs.png', 900);
    await link.click();
    await page.waitForURL(
      /\/content-manager\/collection-types\/api::quotation\.quotation\/[a-z0-9]+/
    );
    expect(await (await visible(page.getByRole('textbox', { name: 'title' }))).inputValue()).toBe(
      'Website redesign v3'
    );

    // The webhook's page: deliveries per hour, delivered (the retried one) and gave up (this one).
    receiver.respond(() => ({ status: 200, body: 'ok' }));
    await page.goto(webhookUrl);
    await page.getByRole('tab', { name: 'Deliveries' }).click();
    const chart = await visible(page.getByTestId('delivery-chart'));
    await visible(
      chart.getByRole('img', {
        name: /Last 24 h: \d+ delivered, \d+ failed \(retrying\), \d+ gave up/,
      })
    );
    expect(await chart.locator('rect[data-kind="delivered"]').count()).toBeGreaterThan(0);
    expect(await chart.locator('rect[data-kind="exhausted"]').count()).toBeGreaterThan(0);
    // The table alternative, and the range switch.
    await chart.getByRole('button', { name: 'Show as a table' }).click();
    await visible(chart.getByRole('gridcell', { name: 'Hour', exact: true }));
    await chart.getByRole('button', { name: '7 days' }).click();
    await visible(chart.getByRole('gridcell', { name: 'Day', exact: true }));
    expect(await chart.getByRole('row').count()).toBe(8);
    await chart.getByRole('button', { name: '24 h' }).click();
    await chart.getByRole('button', { name: 'Hide the table' }).click();
    await chart.screenshot({ path: path.join(SHOTS, 'chart.png') });

    // The list: a 24 h sparkline in the success column.
    await page.goto(`${base}/admin/settings/document-webhooks/webhooks`);
    const listRow = await visible(page.getByRole('row').filter({ hasText: WEBHOOK_NAME }));
    await visible(listRow.getByRole('img', { name: /Last 24 h: \d+ delivered/ }));
    await shot('list.png', 900);
  });

  it('sends the existing documents after confirming how many, and shows the progress', async () => {
    receiver.clear();
    receiver.respond(() => ({ status: 200, body: 'ok' }));
    await page.goto(webhookUrl);
    // The seeded quotations are drafts, all three over the condition's 1000.
    await page.getByRole('combobox', { name: 'Version' }).click();
    await page.getByRole('option', { name: 'Drafts' }).click();
    await page.getByRole('button', { name: 'Send existing documents' }).click();
    const dialog = await visible(page.getByRole('alertdialog'));
    await visible(dialog.getByText(/3 documents \(Drafts\) will be queued/));
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await visible(page.getByText('Done: 3 of 3 documents queued'), 30_000);
    const sent = await receiver.waitFor(
      (reqs) =>
        reqs.filter((r) => r.url === '/e2e').length === 3
          ? reqs.filter((r) => r.url === '/e2e')
          : null,
      30_000
    );
    for (const r of sent) expect(r.headers['x-strapi-event']).toBe('entry.backfill');
  });

  it('shows webhooks from the plugin config as managed and read-only', async () => {
    await page.goto(`${base}/admin/settings/document-webhooks/webhooks`);
    const row = await visible(page.getByRole('row').filter({ hasText: MANAGED_NAME }));
    await visible(row.getByText('Managed in code'));
    expect(await row.getByRole('switch').isDisabled()).toBe(true);
    expect(await row.getByRole('button', { name: `Delete ${MANAGED_NAME}` }).count()).toBe(0);
    await row.getByRole('link', { name: `Edit ${MANAGED_NAME}` }).click();
    await visible(page.getByRole('heading', { name: MANAGED_NAME }));
    await visible(page.getByText('This webhook is declared in the plugin config'));
    expect(await page.getByRole('textbox', { name: 'Name', exact: true }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Request URL').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
  });

  it('exports the webhooks to a file and imports one, with a preview before confirming', async () => {
    await page.goto(`${base}/admin/settings/document-webhooks/webhooks`);
    await visible(page.getByRole('row').filter({ hasText: WEBHOOK_NAME }));
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^document-webhooks-\d{4}-\d{2}-\d{2}\.json$/);
    const text = fs.readFileSync((await download.path())!, 'utf8');
    const exported = JSON.parse(text);
    expect(exported.version).toBe(1);
    expect(exported.webhooks.map((w: any) => w.name)).toEqual(
      expect.arrayContaining([DEMO_NAME, WEBHOOK_NAME, MANAGED_NAME])
    );
    const mine = exported.webhooks.find((w: any) => w.name === WEBHOOK_NAME);
    expect(mine).toMatchObject({
      needsSecret: true,
      headers: [{ name: 'Authorization', value: null, secret: true }],
    });
    expect(mine).not.toHaveProperty('id');
    // No secret leaves: neither the signing secret nor the secret header's value.
    expect(text).not.toContain('e2e-token');
    expect(text).not.toContain(secret.slice(6, 30));

    const fileInput = page.locator('input[type="file"]');
    // A bad file: the dialog lists the server's reasons and nothing is stored.
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({
        ...exported,
        webhooks: [{ ...mine, name: 'Never stored', url: 'ftp://nope' }],
      })
    );
    await fileInput.setInputFiles(bad);
    let dialog = await visible(page.getByRole('dialog'));
    await visible(dialog.getByText('Will be created (1)'));
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await visible(dialog.getByText('Nothing was imported'));
    await visible(dialog.getByText(/webhooks\[0\]\.url: url must be an absolute http/));
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('row').filter({ hasText: 'Never stored' }).count()).toBe(0);

    // One new name, the demo webhook (existing), the managed one (never touched).
    const file = path.join(tmp, 'staging.json');
    const demo = exported.webhooks.find((w: any) => w.name === DEMO_NAME);
    const managed = exported.webhooks.find((w: any) => w.name === MANAGED_NAME);
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...exported,
        webhooks: [
          { ...mine, name: 'E2E imported copy' },
          { ...demo, maxAttempts: 3 },
          { ...managed, url: receiver.url('/hijack') },
        ],
      })
    );
    await fileInput.setInputFiles(file);
    dialog = await visible(page.getByRole('dialog'));
    const created = await visible(dialog.getByRole('group', { name: 'Will be created (1)' }));
    expect(await created.textContent()).toContain('E2E imported copy');
    const skipped = dialog.getByRole('group', { name: /^Skipped/ });
    expect(await skipped.textContent()).toContain(DEMO_NAME);
    expect(await skipped.textContent()).toContain(MANAGED_NAME);
    await visible(dialog.getByText('Secrets are not exported'));
    // Overwrite: the demo webhook moves to "overwritten"; the managed one stays skipped.
    await dialog.getByRole('radio', { name: 'Overwrite them' }).click();
    const overwritten = await visible(
      dialog.getByRole('group', { name: 'Will be overwritten (1)' })
    );
    expect(await overwritten.textContent()).toContain(DEMO_NAME);
    expect(await dialog.getByRole('group', { name: /^Skipped/ }).textContent()).toContain(
      MANAGED_NAME
    );
    await dialog.screenshot({ path: path.join(SHOTS, 'import.png') });
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await visible(page.getByText('Import done: 1 created, 1 updated, 1 skipped'));

    // The copy waits for its secret; the managed webhook was not changed.
    const copy = await visible(page.getByRole('row').filter({ hasText: 'E2E imported copy' }));
    await visible(copy.getByText('secret required'));
    expect(await copy.getByRole('switch').isChecked()).toBe(false);
    const [again] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export' }).click(),
    ]);
    const hooks = JSON.parse(fs.readFileSync((await again.path())!, 'utf8')).webhooks;
    expect(hooks.find((w: any) => w.name === MANAGED_NAME).url).toBe(receiver.url('/managed'));
    expect(hooks.find((w: any) => w.name === DEMO_NAME).maxAttempts).toBe(3);
  });

  it('is translated when the admin is switched to French', async () => {
    await page.goto(`${base}/admin/me`);
    await page.getByRole('combobox', { name: 'Interface language' }).click();
    await page.getByRole('option', { name: 'Français' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await visible(page.getByRole('heading', { name: 'Profil', exact: true }));

    await page.goto(`${base}/admin/settings/document-webhooks/webhooks`);
    await visible(page.getByRole('heading', { name: 'Webhooks de documents', level: 1 }));
    await visible(page.getByRole('link', { name: 'Créer un webhook' }));
    await visible(page.getByRole('link', { name: 'Journal des requêtes' }));
    await visible(page.getByText('Dernière livraison'));
    await shot('list-fr.png', 900);
  });
});
