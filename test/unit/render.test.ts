import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as nunjucks from 'nunjucks';
import { RenderError, TemplateRenderer } from '../../server/src/render/renderer';
import { checkTemplate } from '../../server/src/render/template-check';
import { findJsonErrorOffset, renderJsonBody } from '../../server/src/render/json';

const renderer = new TemplateRenderer();
afterAll(() => renderer.close());

const context = {
  doc: {
    documentId: 'd1',
    name: 'Acme',
    total: 12.5,
    tags: ['a', 'b'],
    items: [
      { name: 'x', qty: 2 },
      { name: 'y', qty: 3 },
    ],
  },
  previous: null,
  event: 'entry.update',
  k: 'constructor',
  p: '__proto__',
};

describe('rendering', () => {
  it('renders the contract example and common filters', async () => {
    const out = await renderer.render(
      '{"id": {{ doc.documentId | dump }}, "total": {{ doc.total }}}',
      context
    );
    expect(JSON.parse(out)).toEqual({ id: 'd1', total: 12.5 });
    await expect(
      renderer.render(
        '{{ doc.name | upper }}|{{ doc.name | lower }}|{{ doc.tags | join("-") }}|{{ doc.tags | first }}{{ doc.tags | last }}|' +
          '{{ doc.tags | length }}|{{ doc.missing | default("none") }}|{{ doc.total | round }}|{{ "a b" | replace(" ", "_") }}|' +
          '{{ doc.items | join(",", "name") }}|{{ doc.items | sum("qty") }}|{{ doc.tags | json }}|{{ "a&b c" | urlencode }}|{{ "<b>" | safe }}',
        context
      )
    ).resolves.toBe('ACME|acme|a-b|ab|2|none|13|a_b|x,y|5|["a","b"]|a%26b%20c|<b>');
  });

  it('supports loops, conditionals, macros and call blocks', async () => {
    const source =
      '{% macro item(i) %}<{{ i.name }}:{{ i.qty }}>{% endmacro %}' +
      '{% macro wrap() %}[{{ caller() }}]{% endmacro %}' +
      '{% for i in doc.items %}{{ loop.index }}{{ item(i) }}{% endfor %}' +
      '{% if previous == null %}new{% else %}old{% endif %}' +
      '{% call wrap() %}{{ event }}{% endcall %}' +
      '{% for key, value in doc.items[0] %} {{ key }}={{ value }}{% endfor %}' +
      '{{ "name" in doc }}{{ "constructor" in doc }}';
    await expect(renderer.render(source, context)).resolves.toBe(
      '1<x:2>2<y:3>new[entry.update] name=x qty=2truefalse'
    );
  });

  it('gives templates plain JSON data (Dates as ISO strings, no functions)', async () => {
    const doc = { at: new Date('2024-01-02T03:04:05.000Z'), fn: () => 'called' };
    await expect(
      renderer.render('{{ doc.at }}|{{ doc.fn }}|{{ doc | json }}', { doc })
    ).resolves.toBe('2024-01-02T03:04:05.000Z||{"at":"2024-01-02T03:04:05.000Z"}');
  });

  it('reports syntax and runtime errors with the line', async () => {
    await expect(renderer.render('ok\n{{ doc.name ', context)).rejects.toThrow(/line 2/);
    await expect(renderer.render('ok\n{{ doc.name | nosuchfilter }}', context)).rejects.toThrow(
      'Unknown filter "nosuchfilter" at line 2'
    );
    const err = await renderer
      .render('a\nb\n{{ doc.name.toUpperCase() }}', context)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toMatch(/^Template render error at line 3.*only macros/);
  });

  it('refuses statically forbidden templates before reaching the worker', async () => {
    await expect(renderer.render('{{ doc.constructor }}', context)).rejects.toThrow(
      'Forbidden name "constructor" at line 1'
    );
    await expect(renderer.render('{% include "x" %}', context)).rejects.toBeInstanceOf(RenderError);
  });

  it('keeps several renders in flight and matches each answer to its request', async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => renderer.render('{{ n }}-{{ n * 2 }}', { n: i }))
    );
    expect(results).toEqual(Array.from({ length: 25 }, (_, i) => `${i}-${i * 2}`));
  });

  it('rejects bad options and unserialisable contexts', async () => {
    await expect(renderer.render('x', {}, { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    await expect(renderer.render('x', {}, { maxOutputBytes: -1 })).rejects.toThrow(
      /maxOutputBytes/
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(renderer.render('x', { cyclic })).rejects.toThrow(/cannot be serialised/);
  });
});

describe('limits', () => {
  const big = { doc: { items: Array.from({ length: 3000 }, (_, i) => i) } };
  const runaway =
    '{% for a in doc.items %}{% for b in doc.items %}{% for c in doc.items %}x{% endfor %}{% endfor %}{% endfor %}';

  it('stops a runaway template at the time limit without blocking the event loop', async () => {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 10);
    const started = Date.now();
    try {
      const err = await renderer.render(runaway, big, { timeoutMs: 1000 }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(RenderError);
      expect((err as Error).message).toBe('Template rendering exceeded 1000 ms');
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(3000);
      // ~100 ticks if the loop is free; a blocked main thread would show 0 or 1.
      expect(ticks).toBeGreaterThan(20);
    } finally {
      clearInterval(interval);
    }
  });

  it('works again after a timeout (fresh worker) and the queue behind a runaway still completes', async () => {
    const [slow, fast] = await Promise.allSettled([
      renderer.render(runaway, big, { timeoutMs: 300 }),
      renderer.render('{{ 1 + 1 }}', {}),
    ]);
    expect(slow.status).toBe('rejected');
    expect((slow as PromiseRejectedResult).reason.message).toBe(
      'Template rendering exceeded 300 ms'
    );
    expect(fast).toEqual({ status: 'fulfilled', value: '2' });
    await expect(renderer.render('{{ doc.name }}', context)).resolves.toBe('Acme');
  });

  it('caps the output size (default 1 MiB)', async () => {
    const chunk = 'y'.repeat(10_000);
    const items = Array.from({ length: 200 }, (_, i) => i);
    await expect(
      renderer.render('{% for i in items %}{{ chunk }}{% endfor %}', { chunk, items })
    ).rejects.toThrow('Template output exceeds 1048576 bytes');
    // Literal template text does not go through the runtime's output hook: caught by the final check.
    const literal = 'z'.repeat(10_000);
    await expect(
      renderer.render(`{% for i in items %}${literal}{% endfor %}`, { items })
    ).rejects.toThrow('Template output exceeds 1048576 bytes');
    await expect(
      renderer.render('{% for i in items %}{{ chunk }}{% endfor %}', {
        chunk,
        items: items.slice(0, 100),
      })
    ).resolves.toHaveLength(1_000_000);
  });

  it('counts the limit in UTF-8 bytes', async () => {
    await expect(
      renderer.render('{{ s }}', { s: 'a'.repeat(100) }, { maxOutputBytes: 100 })
    ).resolves.toHaveLength(100);
    await expect(
      renderer.render('{{ s }}', { s: 'a'.repeat(101) }, { maxOutputBytes: 100 })
    ).rejects.toThrow('Template output exceeds 100 bytes');
    await expect(
      renderer.render('{{ s }}', { s: 'é'.repeat(60) }, { maxOutputBytes: 100 })
    ).rejects.toThrow('Template output exceeds 100 bytes');
  });

  it('survives a memory bomb', async () => {
    const items = Array.from({ length: 3000 }, (_, i) => i);
    const bomb =
      '{% set x = [] %}{% for a in items %}{% for b in items %}{% set x = [a, b, x, "padding-padding-padding"] %}{% endfor %}{% endfor %}{{ x | length }}';
    // A generous time limit so that, even on a loaded machine, the heap limit is what stops it.
    const err = await renderer
      .render(bomb, { items }, { timeoutMs: 60_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toBe('Template rendering exceeded the memory limit (64 MB)');
    await expect(renderer.render('{{ "still alive" }}', {})).resolves.toBe('still alive');
  }, 90_000);

  it('catastrophic regex backtracking hits the time limit; deep macro recursion is an error', async () => {
    await expect(
      renderer.render(
        '{{ s | replace(r/(a+)+$/, "x") }}',
        { s: `${'a'.repeat(40)}b` },
        { timeoutMs: 300 }
      )
    ).rejects.toThrow('Template rendering exceeded 300 ms');
    await expect(
      renderer.render('{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}', {})
    ).rejects.toThrow(/Maximum call stack size exceeded/);
    await expect(renderer.render('fine', {})).resolves.toBe('fine');
  });

  it('an exponential string is refused instead of exhausting memory', async () => {
    const items = Array.from({ length: 64 }, (_, i) => i);
    const err = await renderer
      .render('{% set s = "ab" %}{% for i in items %}{% set s = s + s %}{% endfor %}{{ s }}', {
        items,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    await expect(renderer.render('ok', {})).resolves.toBe('ok');
  });
});

describe('containment (render processes)', () => {
  const doubling =
    '{% set s = "xx" %}{% for a in "01234567890123456789012345" %}{% set s = s ~ s %}{% endfor %}{"n": {{ s|upper|length }}}';

  it('the string-doubling template kills its render process only: a memory-limit RenderError, and the next render works', async () => {
    const err = await renderer.render(doubling, {}, { timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    // On a loaded machine the time limit may win the race; either way it is a limit, not a crash of this process.
    expect(['memory', 'time']).toContain((err as RenderError).limit);
    await expect(renderer.render('{{ "alive" }}', {})).resolves.toBe('alive');
  }, 60_000);

  it('one key busy with slow renders does not hold up another key (fair share of the processes)', async () => {
    const own = new TemplateRenderer({ processes: 2 });
    try {
      own.warmUp();
      await Promise.all([own.render('{{ 1 }}', {}), own.render('{{ 2 }}', {})]);
      const slow = '{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}';
      const items = Array.from({ length: 20_000 }, (_, i) => i);
      // Six slow jobs of key A queued first, each running into its 1.5 s limit.
      const a = Array.from({ length: 6 }, () =>
        own.render(slow, { items }, { key: 'A', timeoutMs: 1500 }).catch((e: unknown) => e)
      );
      const started = Date.now();
      for (let i = 0; i < 5; i++)
        await expect(own.render('{{ n }}', { n: i }, { key: 'B' })).resolves.toBe(String(i));
      // Without fair scheduling B would wait behind A's jobs (~4.5 s on two processes).
      expect(Date.now() - started).toBeLessThan(1400);
      const results = await Promise.all(a);
      for (const r of results) expect((r as RenderError).limit).toBe('time');
    } finally {
      await own.close();
    }
  }, 60_000);
});

describe('templates see only data (filter and loop audit)', () => {
  // Each probe would hand the template a function (SafeString.prototype.valueOf / toString via
  // an inherited enumerable property) if unpatched; `is callable` reveals a function reference.
  const probes: Array<[string, string]> = [
    [
      'dictsort over a SafeString',
      '{% for pair in ("x"|safe)|dictsort %}{% if pair[1] is callable %}F{% endif %}{% endfor %}',
    ],
    [
      'dictsort pair destructured',
      '{% for k, v in ("x"|safe)|dictsort %}{% if v is callable %}F{% endif %}{% endfor %}',
    ],
    [
      'for k, v over a SafeString',
      '{% for k, v in "x"|safe %}{% if v is callable %}F{% endif %}{% endfor %}',
    ],
    [
      'for k, v over escape()',
      '{% for k, v in "x"|escape %}{% if v is callable %}F{% endif %}{% endfor %}',
    ],
    [
      'list over a SafeString',
      '{% for e in ("x"|safe)|list %}{% if e is callable or e.value is callable %}F{% endif %}{% endfor %}',
    ],
    [
      'groupby on a dynamic attribute',
      '{% for k, v in doc.items|groupby(key) %}{% if v is callable or v[0] is callable %}F{% endif %}{% endfor %}',
    ],
    [
      'macro passed to filters',
      '{% macro m() %}x{% endmacro %}{% set r = [m]|first %}{% if r is callable %}F{% endif %}',
    ],
  ];

  it.each(probes)('%s yields no function', async (_name, template) => {
    // Refusing the input (an error) is fine too; handing out a function is not.
    const out = await renderer
      .render(template.replaceAll('%}F{%', '%}LEAK{%'), { ...context, key: 'valueOf' })
      .catch((e: unknown) => (e as Error).message);
    expect(out).not.toContain('LEAK');
  });

  it('dictsort and list still work on plain objects', async () => {
    await expect(
      renderer.render(
        '{% for k, v in doc.items[0]|dictsort %}{{ k }}={{ v }};{% endfor %}',
        context
      )
    ).resolves.toBe('name=x;qty=2;');
    await expect(
      renderer.render(
        '{% for e in doc.items[0]|list %}{{ e.key }}:{{ e.value }};{% endfor %}',
        context
      )
    ).resolves.toBe('name:x;qty:2;');
    await expect(
      renderer.render(
        '{% for k, v in doc.items|groupby("name") %}{{ k }}{{ v|length }}{% endfor %}',
        context
      )
    ).resolves.toBe('x1y1');
  });

  it('no built-in filter returns a function for any probe input', async () => {
    const names = Object.keys(
      (new nunjucks.Environment([]) as unknown as { filters: object }).filters
    );
    const inputs = [
      '"x"|safe',
      'doc',
      'doc.items',
      '[("x"|safe), ("y"|safe)]',
      '{"a": ("x"|safe)}',
    ];
    for (const name of names) {
      for (const input of inputs) {
        // Walk two levels of whatever came back; report any function found.
        const template =
          `{% set r = (${input})|${name} %}{% if r is callable %}LEAK{% endif %}` +
          `{% for k, v in r %}{% if v is callable %}LEAK{% endif %}{% for k2, v2 in v %}{% if v2 is callable %}LEAK{% endif %}{% endfor %}{% endfor %}`;
        const out = await renderer
          .render(template, context)
          .catch((e: unknown) => (e as Error).message);
        expect(out, `${name} on ${input}`).not.toContain('LEAK');
      }
    }
  }, 60_000);
});

describe('SSTI payload corpus', () => {
  let dir: string;
  let marker: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dw-ssti-'));
    marker = join(dir, 'MARKER');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // JS that creates the marker file when run through the Function constructor.
  const js = (path: string) =>
    `return process.getBuiltinModule('fs').writeFileSync('${path}', 'pwned')`;
  const jsMainModule = (path: string) =>
    `return global.process.mainModule.require('fs').writeFileSync('${path}', 'pwned')`;

  /** [description, payload(markerPath), statically visible?] */
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
    [
      'dict constructor',
      (m) => `{{ ({"a": 1})["constructor"]["constructor"]("${js(m)}")() }}`,
      true,
    ],
    ['regex literal constructor', (m) => `{{ r/x/.constructor.constructor("${js(m)}")() }}`, true],
    [
      'string concatenation key',
      (m) => `{{ doc.name['constr' + 'uctor']['constr' ~ 'uctor']("${js(m)}")() }}`,
      true,
    ],
    ['key from set', (m) => `{% set c = 'constructor' %}{{ doc.name[c][c]("${js(m)}")() }}`, false],
    [
      'key from set on object',
      (m) => `{% set c = 'constructor' %}{{ doc[c][c]("${js(m)}")() }}`,
      false,
    ],
    ['key from context', (m) => `{{ doc.name[k][k]("${js(m)}")() }}`, false],
    [
      'key built at runtime',
      (m) => `{% set a = 'constr' %}{% set c = a + 'uctor' %}{{ doc.tags[c][c]("${js(m)}")() }}`,
      false,
    ],
    ['__proto__ from context', (m) => `{{ doc[p][k][k]("${js(m)}")() }}`, false],
    ['doc.__proto__', (m) => `{{ doc.__proto__.constructor.constructor("${js(m)}")() }}`, true],
    ['method then constructor', (m) => `{{ doc.name.toString.constructor("${js(m)}")() }}`, true],
    [
      'method via dynamic key',
      (m) => `{% set c = 'constructor' %}{{ doc.name.toString[c]("${js(m)}")() }}`,
      false,
    ],
    [
      'array method',
      (m) => `{% set c = 'constructor' %}{{ doc.tags.map[c]("${js(m)}")() }}`,
      false,
    ],
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
        `{% set c = 'constructor' %}{% for i in doc.tags %}{{ loop[c][c]("${js(m)}")() }}{% endfor %}`,
      false,
    ],
    [
      'for k,v over object',
      (m) =>
        `{% set c = 'constructor' %}{% for key, v in doc %}{{ v[c][c]("${js(m)}")() }}{% endfor %}`,
      false,
    ],
    [
      'filter attribute',
      () =>
        `{% set c = 'constructor' %}{{ [doc.tags] | join(",", c) }}{{ ([doc.tags] | selectattr(c) | first)[c] }}`,
      false,
    ],
    [
      'filter attribute dotted',
      () => `{% set c = 'constructor.constructor' %}{{ [doc] | sum(c) }}`,
      false,
    ],
    [
      'sort by attribute',
      () => `{% set c = 'constructor' %}{{ ([doc.tags] | sort(false, false, c) | first)[c] }}`,
      false,
    ],
    [
      'groupby attribute',
      () => `{% set c = 'constructor' %}{{ [doc] | groupby(c) | dump }}`,
      false,
    ],
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
    ['require', (m) => `{{ require('fs').writeFileSync('${m}', 'x') }}`, true],
    ['Function', (m) => `{{ Function("${js(m)}")() }}`, true],
    ['this', () => `{{ this.constructor }}`, true],
    [
      'print functions',
      () =>
        `{% macro x() %}{% endmacro %}{{ x }}{{ [x] }}{{ x | string }}{{ doc.name.toString }}{{ toString }}{{ range }}{{ cycler }}`,
      false,
    ],
    ['include file', () => `{% include "/etc/passwd" %}`, true],
    ['import file', () => `{% import "/etc/passwd" as p %}`, true],
  ];

  const looksLikeFunctionSource = (out: string) =>
    /\[native code\]|function\s*[\w$]*\s*\(|=>/.test(out);

  it('the payloads are live: plain nunjucks executes them (positive control)', () => {
    const env = new nunjucks.Environment([]);
    const live = [
      'range.constructor',
      'cycler.constructor',
      "''.constructor.constructor",
      'string concatenation key',
      'key from set',
      'key from context',
    ];
    for (const name of live) {
      const [, payload] = corpus.find(([n]) => n === name)!;
      rmSync(marker, { force: true });
      env.renderString(payload(marker), context);
      expect(existsSync(marker), name).toBe(true);
    }
  });

  it.each(corpus)('%s', async (_name, payload, staticallyVisible) => {
    const source = payload(marker);
    if (staticallyVisible) expect(checkTemplate(source)).not.toBeNull();

    for (const render of [
      () => renderer.render(source, context),
      () => renderer.renderUnchecked(source, context), // runtime guards alone
    ]) {
      const result = await render().then(
        (out) => ({ out }),
        (err: unknown) => ({ err })
      );
      if ('err' in result) {
        expect(result.err).toBeInstanceOf(RenderError);
        expect(looksLikeFunctionSource((result.err as Error).message)).toBe(false);
      } else {
        expect(looksLikeFunctionSource(result.out)).toBe(false);
        expect(result.out).not.toContain('pwned');
      }
      expect(existsSync(marker)).toBe(false);
    }
  });

  it('random property paths never produce a function or its source', async () => {
    const names = [
      ...new Set([
        ...Object.getOwnPropertyNames(Object.prototype),
        ...Object.getOwnPropertyNames(String.prototype),
        ...Object.getOwnPropertyNames(Array.prototype),
        ...Object.getOwnPropertyNames(Function.prototype),
        'constructor',
        '__proto__',
        'prototype',
        'ctx',
        'env',
        'globals',
        'variables',
        'parent',
      ]),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'doc',
          'doc.name',
          'doc.tags',
          'doc.items[0]',
          'loop',
          'toString',
          'valueOf()',
          'x'
        ),
        fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }),
        async (base, path) => {
          const lookup = path.map((_, i) => `[ks[${i}]]`).join('');
          const source = `{% macro x() %}{% endmacro %}{% for i in [1] %}{{ ${base}${lookup} }}|{{ ${base}${lookup} | dump }}{% endfor %}`;
          const out = await renderer
            .renderUnchecked(source, { ...context, ks: path })
            .catch((e: Error) => e.message);
          expect(looksLikeFunctionSource(out)).toBe(false);
        }
      ),
      { numRuns: 150 }
    );
  });
});

describe('renderJsonBody', () => {
  it('renders and parses JSON', async () => {
    const { body, value } = await renderJsonBody(
      renderer,
      '{"id": {{ doc.documentId | dump }}, "name": {{ doc.name | json }}, "tags": {{ doc.tags | dump }}, "total": {{ doc.total }}}',
      context
    );
    expect(body).toBe('{"id": "d1", "name": "Acme", "tags": ["a","b"], "total": 12.5}');
    expect(value).toEqual({ id: 'd1', name: 'Acme', tags: ['a', 'b'], total: 12.5 });
  });

  it('explains invalid JSON with line, column and an excerpt', async () => {
    const err = await renderJsonBody(
      renderer,
      '{\n  "id": {{ doc.documentId | dump }},\n  "total": {{ doc.missing }}\n}',
      context
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    const message = (err as Error).message;
    expect(message).toMatch(/^Template output is not valid JSON: /);
    // The first offending character is the closing brace on line 4.
    expect(message).toContain('line 4, column 1');
    expect(message).toContain('\\"total\\": \\n⟨here⟩}');
  });

  it('passes render errors through', async () => {
    await expect(renderJsonBody(renderer, '{{ doc.constructor }}', context)).rejects.toThrow(
      /Forbidden name/
    );
  });

  it('findJsonErrorOffset agrees with JSON.parse', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(findJsonErrorOffset(text)).toBe(-1);
      })
    );
    fc.assert(
      fc.property(
        fc.json(),
        fc.nat(),
        fc.constantFrom('}', ']', ',', ':', '"', 'x', '\\', '\n', '01', 'tru'),
        (text, at, junk) => {
          const i = at % (text.length + 1);
          const broken = text.slice(0, i) + junk + text.slice(i);
          let valid = true;
          try {
            JSON.parse(broken);
          } catch {
            valid = false;
          }
          const offset = findJsonErrorOffset(broken);
          if (valid) expect(offset).toBe(-1);
          else {
            expect(offset).toBeGreaterThanOrEqual(0);
            expect(offset).toBeLessThanOrEqual(broken.length);
          }
        }
      ),
      { numRuns: 300 }
    );
    expect(findJsonErrorOffset('{"a": }')).toBe(6);
    expect(findJsonErrorOffset('[1, 2')).toBe(5);
    expect(findJsonErrorOffset('{"a": 1} x')).toBe(9);
  });
});

describe('lifecycle', () => {
  it('close() rejects pending renders and refuses new ones', async () => {
    const own = new TemplateRenderer();
    await expect(own.render('{{ 1 }}', {})).resolves.toBe('1');
    const pending = own.render('{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}', {
      items: Array.from({ length: 5000 }, (_, i) => i),
    });
    const settled = pending.catch((e: unknown) => e);
    await own.close();
    await expect(settled).resolves.toBeInstanceOf(RenderError);
    await expect(pending).rejects.toThrow('Template renderer is closed');
    await expect(own.render('x', {})).rejects.toThrow('Template renderer is closed');
  });

  it('a worker that cannot start fails the job instead of hanging', async () => {
    const broken = new TemplateRenderer({ nunjucksPath: '/nonexistent/nunjucks.js' });
    await expect(broken.render('x', {})).rejects.toThrow(/render process stopped/);
    await broken.close();
  });
});
