/**
 * Issue 5 — template and condition sandboxes, end to end through a real Strapi.
 *
 * Templates: the published Nunjucks SSTI payloads (the corpus of test/unit/render.test.ts,
 * adapted to the quotation content type), each trying to write a marker file, go through
 *  - the API save as `jsonTemplate` and as a dynamic `url` (statically visible ones → 400
 *    naming the field), and
 *  - wrapped so they pass the save-time render (`{% set x %}…{% endset %}`), a real delivery
 *    against a document whose values are the dangerous keys (`constructor`, `__proto__`).
 * The marker file never appears, and no delivered body contains function source.
 * Runaway loops and huge outputs become `exhausted` deliveries with a clear error while Strapi
 * keeps answering HTTP (GET /_health and an admin GET are timed during the runaway render).
 *
 * Conditions: forbidden names / functions / over-long expressions → 400 on `condition`;
 * dynamic keys that name `constructor`/`__proto__` at run time never reach anything.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type TestApp } from '../helpers/strapi';
import { disableWebhooks } from '../helpers/cleanup';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver';
import { logsOf as logsOfWebhook } from '../helpers/api';

const Q = 'api::quotation.quotation';
const BASE = '/document-webhooks/webhooks';

let app: TestApp;
let rx: Receiver;
let dir: string;
let marker: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-sec-ssti-'));
  marker = join(dir, 'MARKER');
  rx = await startReceiver();
  app = await bootStrapi({
    config: { allowPrivateAddresses: false, allowedHosts: [`127.0.0.1:${rx.port}`] },
  });
});

// Also when a test fails half-way: its webhooks must not fire into the next test.
afterEach(() => disableWebhooks(app));

afterAll(async () => {
  await app?.stop();
  await rx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const createWebhook = (body: Record<string, unknown>) =>
  app.api('POST', BASE, {
    contentType: Q,
    events: ['entry.create'],
    url: rx.url('/default'),
    maxAttempts: 1,
    ...body,
  });

const logsOf = (webhookId: number) => logsOfWebhook(app, webhookId);

const finalLog = (webhookId: number, documentId: string) =>
  eventually(async () => {
    const rows = (await logsOf(webhookId)).filter((l) => l.documentId === documentId);
    return rows.length === 1 && rows[0].status !== 'pending' ? rows[0] : undefined;
  }, 20_000);

const looksLikeFunctionSource = (out: string) =>
  /\[native code\]|function\s*[\w$]*\s*\(|=>/.test(out);

// --- the corpus (test/unit/render.test.ts), on a quotation: customer = "constructor", title = "__proto__" ---
const js = (path: string) =>
  `return process.getBuiltinModule('fs').writeFileSync('${path}', 'pwned')`;
const jsMainModule = (path: string) =>
  `return global.process.mainModule.require('fs').writeFileSync('${path}', 'pwned')`;
const corpus: Array<[string, (m: string) => string, boolean]> = [
  ['range.constructor', (m) => `{{ range.constructor("${js(m)}")() }}`, true],
  [
    'range.constructor via mainModule',
    (m) => `{{range.constructor("${jsMainModule(m)}")()}}`,
    true,
  ],
  ['cycler.constructor', (m) => `{{ cycler.constructor("${js(m)}")() }}`, true],
  ['joiner.constructor', (m) => `{{ joiner.constructor("${js(m)}")() }}`, true],
  ["''.constructor.constructor", (m) => `{{ ''.constructor.constructor("${js(m)}")() }}`, true],
  ['[].constructor.constructor', (m) => `{{ [].constructor.constructor("${js(m)}")() }}`, true],
  ['dict constructor', (m) => `{{ ({"a": 1})["constructor"]["constructor"]("${js(m)}")() }}`, true],
  ['regex literal constructor', (m) => `{{ r/x/.constructor.constructor("${js(m)}")() }}`, true],
  [
    'string concatenation key',
    (m) => `{{ doc.customer['constr' + 'uctor']['constr' ~ 'uctor']("${js(m)}")() }}`,
    true,
  ],
  [
    'key from set',
    (m) => `{% set c = 'constructor' %}{{ doc.customer[c][c]("${js(m)}")() }}`,
    false,
  ],
  [
    'key from set on object',
    (m) => `{% set c = 'constructor' %}{{ doc[c][c]("${js(m)}")() }}`,
    false,
  ],
  [
    'key from the document',
    (m) => `{{ doc.title[doc.customer][doc.customer]("${js(m)}")() }}`,
    false,
  ],
  [
    'key built at runtime',
    (m) => `{% set a = 'constr' %}{% set c = a + 'uctor' %}{{ doc.items[c][c]("${js(m)}")() }}`,
    false,
  ],
  [
    '__proto__ from the document',
    (m) => `{{ doc[doc.title][doc.customer][doc.customer]("${js(m)}")() }}`,
    false,
  ],
  ['doc.__proto__', (m) => `{{ doc.__proto__.constructor.constructor("${js(m)}")() }}`, true],
  ['method then constructor', (m) => `{{ doc.customer.toString.constructor("${js(m)}")() }}`, true],
  [
    'method via dynamic key',
    (m) => `{{ doc.customer.toString[doc.customer]("${js(m)}")() }}`,
    false,
  ],
  ['array method', (m) => `{% set c = 'constructor' %}{{ doc.items.map[c]("${js(m)}")() }}`, false],
  [
    'inherited context name',
    (m) => `{% set c = 'constructor' %}{{ toString[c]("${js(m)}")() }}`,
    false,
  ],
  [
    'valueOf on the context',
    (m) => `{% set c = 'constructor' %}{{ valueOf()[c][c]("${js(m)}")() }}`,
    false,
  ],
  [
    'macro constructor',
    (m) => `{% macro x() %}{% endmacro %}{% set c = 'constructor' %}{{ x[c]("${js(m)}")() }}`,
    false,
  ],
  [
    'caller constructor',
    (m) =>
      `{% macro w() %}{% set c = 'constructor' %}{{ caller[c]("${js(m)}")() }}{% endmacro %}{% call w() %}{% endcall %}`,
    false,
  ],
  [
    'safe filter wrapper',
    (m) =>
      `{% macro x() %}{% endmacro %}{% set c = 'constructor' %}{{ (x | safe)[c]("${js(m)}")() }}`,
    false,
  ],
  [
    'loop object',
    (m) =>
      `{% set c = 'constructor' %}{% for i in doc.items %}{{ loop[c][c]("${js(m)}")() }}{% endfor %}`,
    false,
  ],
  [
    'for k,v over object',
    (m) => `{% for key, v in doc %}{{ v[doc.customer][doc.customer]("${js(m)}")() }}{% endfor %}`,
    false,
  ],
  [
    'filter attribute',
    () =>
      `{{ [doc.items] | join(",", doc.customer) }}{{ ([doc.items] | selectattr(doc.customer) | first)[doc.customer] }}`,
    false,
  ],
  [
    'filter attribute dotted',
    () => `{% set c = 'constructor.constructor' %}{{ [doc] | sum(c) }}`,
    false,
  ],
  [
    'sort by attribute',
    () => `{{ ([doc.items] | sort(false, false, doc.customer) | first)[doc.customer] }}`,
    false,
  ],
  ['groupby attribute', () => `{{ [doc] | groupby(doc.customer) | dump }}`, false],
  ['dump/attr filter abuse', () => `{{ 'x' | dump | attr('constructor') }}`, false],
  ['filter named constructor', (m) => `{{ "${js(m)}" | constructor }}`, true],
  ['test named constructor', (m) => `{% if "${js(m)}" is constructor %}{% endif %}`, true],
  [
    'lipsum-style globals',
    () =>
      `{{ lipsum.__globals__.os.popen('id').read() }}{{ self.__init__.__globals__ }}{{ cycler.__init__.__globals__ }}`,
    false,
  ],
  [
    'process global',
    (m) => `{{ process.getBuiltinModule('fs').writeFileSync('${m}', 'x') }}`,
    true,
  ],
  [
    'global object',
    (m) => `{{ global.process.mainModule.require('fs').writeFileSync('${m}', 'x') }}`,
    true,
  ],
  [
    'globalThis',
    (m) => `{{ globalThis.process.getBuiltinModule('fs').writeFileSync('${m}', 'x') }}`,
    true,
  ],
  ['require', (m) => `{{ require('fs').writeFileSync('${m}', 'x') }}`, true],
  ['Function', (m) => `{{ Function("${js(m)}")() }}`, true],
  ['eval', (m) => `{{ eval("${js(m)}") }}`, true],
  ['this', () => `{{ this.constructor }}`, true],
  ['prototype', () => `{{ doc.customer.prototype }}`, true],
  ['computed prototype via doc value', () => `{% set p = 'proto' + 'type' %}{{ doc[p] }}`, false],
  [
    'print functions',
    () =>
      `{% macro x() %}{% endmacro %}{{ x }}{{ [x] }}{{ x | string }}{{ doc.customer.toString }}{{ toString }}{{ range }}{{ cycler }}`,
    false,
  ],
  ['include file', () => `{% include "/etc/passwd" %}`, true],
  ['import file', () => `{% import "/etc/passwd" as p %}`, true],
  ['extends file', () => `{% extends "/etc/passwd" %}`, true],
];

const fieldsOf = (res: { body: any }) =>
  (res.body?.error?.details?.errors ?? []).map((e: any) => String(e.path?.[0]));

describe('Nunjucks SSTI corpus through the API and the delivery engine', () => {
  it('statically visible payloads are refused on save (400 on jsonTemplate / url); the rest cannot do harm when delivered', async () => {
    const saved: { id: number; name: string; how: string }[] = [];
    for (const [name, payload, staticallyVisible] of corpus) {
      const source = payload(marker);
      const variants: [string, Record<string, unknown>, string][] = [
        ['jsonTemplate', { bodyType: 'json', jsonTemplate: source }, 'jsonTemplate'],
        [
          'wrapped jsonTemplate',
          {
            bodyType: 'json',
            jsonTemplate: `{% set out %}${source}{% endset %}{"v": {{ out | dump }}}`,
          },
          'jsonTemplate',
        ],
        [
          'dynamic url',
          { dynamicUrl: true, url: `${rx.url('/dyn')}?p={{ "" }}${source.replace(/\n/g, '')}` },
          'url',
        ],
      ];
      for (const [how, body, field] of variants) {
        const res = await createWebhook({ name: `ssti ${name} (${how})`, ...body });
        expect([201, 400], `${name} (${how}): ${JSON.stringify(res.body)}`).toContain(res.status);
        if (staticallyVisible) {
          expect(res.status, `${name} (${how}) must be refused on save`).toBe(400);
          expect(fieldsOf(res), `${name} (${how})`).toContain(field);
        }
        if (res.status === 400) expect(fieldsOf(res), `${name} (${how})`).toContain(field);
        else saved.push({ id: res.body.data.id, name, how });
      }
      expect(existsSync(marker), `${name}: marker after save`).toBe(false);
    }
    // Some payloads must get through the static check, or the delivery half proves nothing.
    expect(saved.length).toBeGreaterThan(10);

    const doc = await app.strapi.documents(Q).create({
      data: {
        customer: 'constructor',
        title: '__proto__',
        items: [{ item: 'constructor', qty: 1, rate: 1 }],
      },
    });
    for (const w of saved) {
      const log = await finalLog(w.id, doc.documentId);
      expect(['delivered', 'exhausted'], `${w.name} (${w.how})`).toContain(log.status);
      if (log.status === 'delivered') {
        expect(looksLikeFunctionSource(log.requestBody ?? ''), `${w.name} (${w.how}) body`).toBe(
          false
        );
        expect(looksLikeFunctionSource(log.requestUrl ?? ''), `${w.name} (${w.how}) url`).toBe(
          false
        );
        expect(log.requestBody ?? '').not.toContain('pwned');
      } else {
        expect(log.error, `${w.name} (${w.how})`).toMatch(/template|URL|SSRF|JSON/i);
      }
    }
    expect(existsSync(marker)).toBe(false);
    for (const r of rx.requests) {
      expect(looksLikeFunctionSource(r.body + r.url), r.url).toBe(false);
      expect(r.body).not.toContain('pwned');
    }
  });
});

describe('render limits: time and output, without blocking the event loop', () => {
  const L = `[${Array.from({ length: 30 }, (_, i) => i).join(',')}]`;
  const spin = `{% if doc.title == "spin" %}{% set l = ${L} %}{% for a in l %}{% for b in l %}{% for c in l %}{% for d in l %}{% for e in l %}{% for f in l %}{% set z = f %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endif %}{"ok": true}`;
  const big = `{% if doc.title == "big" %}{% set l = ${L} %}{% for a in l %}{% for b in l %}{% for c in l %}{{ "${'x'.repeat(200)}" }}{% endfor %}{% endfor %}{% endfor %}{% endif %}{"ok": true}`;

  it('a runaway loop is an exhausted delivery naming the time limit; /_health and an admin GET answer meanwhile', async () => {
    const res = await createWebhook({ name: 'runaway', bodyType: 'json', jsonTemplate: spin });
    expect(res.status, JSON.stringify(res.body)).toBe(201); // the sample document does not spin
    const id = res.body.data.id;

    const t0 = Date.now();
    const doc = await app.strapi.documents(Q).create({ data: { customer: 'x', title: 'spin' } });
    // Probes run back to back until the delivery is final; the log is watched separately.
    const probes: { ms: number; status: number }[] = [];
    let done = false;
    const prober = (async () => {
      for (let i = 0; !done; i++) {
        const s = performance.now();
        const r =
          i % 2
            ? await app.api('GET', BASE)
            : await fetch(`${app.baseUrl}/_health`).then((x) => ({ status: x.status }));
        probes.push({ ms: performance.now() - s, status: r.status });
      }
    })();
    const log = await finalLog(id, doc.documentId).finally(() => {
      done = true;
    });
    await prober;
    const elapsed = Date.now() - t0;
    expect(log.status).toBe('exhausted');
    expect(log.error).toMatch(/Template rendering exceeded 1000 ms/);
    // The render really ran for its whole budget, and HTTP kept being served during it.
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    // Probes ran back to back over the whole window (so a stall anywhere in it would land in one).
    expect(probes.length).toBeGreaterThanOrEqual(3);
    expect(probes.reduce((sum, p) => sum + p.ms, 0)).toBeGreaterThanOrEqual(1000);
    for (const p of probes) expect(p.status).toBeLessThan(300);
    const slowest = Math.max(...probes.map((p) => p.ms));
    // A blocked event loop would hold a probe for most of the 1 s render; allow for a loaded CI machine.
    expect(slowest, `slowest probe ${slowest} ms over ${probes.length} probes`).toBeLessThan(600);
  });

  it('a huge output is an exhausted delivery naming the output limit (1 MiB)', async () => {
    const res = await createWebhook({ name: 'huge output', bodyType: 'json', jsonTemplate: big });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const doc = await app.strapi.documents(Q).create({ data: { customer: 'x', title: 'big' } });
    const log = await finalLog(res.body.data.id, doc.documentId);
    expect(log.status).toBe('exhausted');
    expect(log.error).toMatch(/Template output exceeds 1048576 bytes/);
  });

  it('on save, a template that runs away on the sample document is a 400 on jsonTemplate', async () => {
    const res = await createWebhook({
      name: 'runaway on save',
      bodyType: 'json',
      jsonTemplate: spin.replace('doc.title == "spin"', 'true'),
    });
    expect(res.status).toBe(400);
    expect(fieldsOf(res)).toContain('jsonTemplate');
    expect(JSON.stringify(res.body)).toMatch(/exceeded 1000 ms/);
  });
});

describe('condition sandbox', () => {
  it('forbidden names, functions and over-long expressions are refused on save (400 on condition)', async () => {
    const before = (await app.api('GET', BASE)).body.data.length;
    const bad = [
      'doc.constructor',
      'doc["constructor"]',
      'doc["constr" + "uctor"]',
      'doc.__proto__',
      "doc['__proto__'].x",
      'doc.customer.prototype',
      'doc.__defineGetter__',
      'doc.__lookupGetter__',
      '{constructor: 1}',
      'require("fs")',
      'process.exit()',
      'Function("return 1")()',
      'doc.customer|constructor',
      'doc.customer|toString',
      'doc.customer|eval("1")',
      `doc.customer == "${'a'.repeat(2000)}"`,
      'doc.x == 1 && (' + 'doc.y == 1 || '.repeat(200) + 'true)',
    ];
    for (const condition of bad) {
      const res = await createWebhook({ name: 'bad condition', condition });
      expect(
        res.status,
        `${condition.slice(0, 60)}: ${JSON.stringify(res.body).slice(0, 300)}`
      ).toBe(400);
      expect(fieldsOf(res), condition.slice(0, 60)).toContain('condition');
    }
    const long = await createWebhook({ name: 'long', condition: 'a'.repeat(2001) });
    expect(JSON.stringify(long.body)).toMatch(/too long.*2000/);
    expect((await app.api('GET', BASE)).body.data.length).toBe(before);
  });

  it('dynamic keys naming constructor/__proto__ and host names read nothing at run time', async () => {
    const conditions = [
      'doc[doc.customer]',
      'doc[doc.title]',
      'doc.customer[doc.customer]',
      'doc[doc.title][doc.customer]',
      'doc.items[doc.customer]',
      'doc.items[.item == "constructor"][doc.customer]',
      '(doc[doc.customer]|string) != ""',
      'doc[doc.customer]|length > 0',
      'process || global || globalThis || this || module',
      'doc.customer.length[doc.customer]',
      'doc.customer|keys|length > 100',
    ];
    const ids: number[] = [];
    for (const condition of conditions) {
      const res = await createWebhook({
        name: `runtime condition ${condition}`,
        condition,
        url: rx.url('/cond-bad'),
      });
      expect(res.status, `${condition}: ${JSON.stringify(res.body)}`).toBe(201);
      ids.push(res.body.data.id);
    }
    // Positive control on the same event: the document reached fan-out and its values are the dangerous keys.
    const control = await createWebhook({
      name: 'control',
      condition: 'doc.customer == "constructor" && doc.title == "__proto__"',
      url: rx.url('/cond-ok'),
    });
    const doc = await app.strapi.documents(Q).create({
      data: {
        customer: 'constructor',
        title: '__proto__',
        items: [{ item: 'constructor', qty: 1, rate: 1 }],
      },
    });
    const controlLog = await finalLog(control.body.data.id, doc.documentId);
    expect(controlLog.status, controlLog.error).toBe('delivered');
    // Fan-out writes every log row of an event in one transaction with the outbox row's removal:
    // once the control's row exists, the other conditions have been evaluated (false = no row).
    for (const [i, id] of ids.entries()) {
      const rows = (await logsOf(id)).filter((l) => l.documentId === doc.documentId);
      expect(rows, conditions[i]).toHaveLength(0);
    }
    expect(rx.requests.filter((r) => r.url === '/cond-bad')).toHaveLength(0);
  });
});
