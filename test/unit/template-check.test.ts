import { describe, expect, it } from 'vitest';
import { MAX_TEMPLATE_LENGTH, checkTemplate } from '../../server/src/render/template-check';
import { FORBIDDEN_TEMPLATE_NAMES } from '../../server/src/render/forbidden';

describe('checkTemplate: accepted templates', () => {
  it.each([
    '{"id": {{ doc.documentId | dump }}, "total": {{ doc.total }}}',
    'plain text',
    '',
    '{% for item in doc.items %}{{ loop.index }}:{{ item.name | upper }}{% if not loop.last %},{% endif %}{% endfor %}',
    '{% set total = doc.qty * doc.price %}{{ total | round(2) }}',
    '{% macro row(x) %}[{{ x }}]{% endmacro %}{{ row(doc.name) }}',
    '{{ doc.tags | join(", ") }} {{ doc.items | join(",", "name") }} {{ doc.items | sum("qty") }}',
    '{{ doc.status == "process" }}', // a forbidden word as plain string data is fine
    '{{ doc["name"] }} {{ doc.items[0].name }} {{ doc | json }}',
    '{% raw %}{{ constructor }}{% endraw %}', // raw blocks are text
  ])('%s', (source) => {
    expect(checkTemplate(source)).toBeNull();
  });
});

describe('checkTemplate: syntax errors carry the line', () => {
  it.each([
    ['{{ doc.a }}\n{{ doc.b', 2],
    ['{% if doc.a %}\nx\n{% endfor %}', 3],
    ['a\nb\n{# unterminated comment', 3],
    ['{{ "unterminated }}', 1],
    ['line1\n{% nosuchtag %}', 2],
    ['one\ntwo\n{{ doc.a | }}', 3],
    ['{% for %}', 1],
  ])('%j → line %i', (source, line) => {
    const message = checkTemplate(source);
    expect(message).toMatch(/^Template syntax error at line \d+/);
    expect(message).toContain(`line ${line}`);
  });
});

describe('checkTemplate: forbidden constructs', () => {
  it.each([
    ['{{ doc.constructor }}', 'constructor', 1],
    ['\n\n{{ doc["constructor"] }}', 'constructor', 3],
    ['{{ doc["constr" + "uctor"] }}', 'constructor', 1],
    ['{{ doc["constr" ~ "uctor"] }}', 'constructor', 1],
    ['{{ doc.__proto__ }}', '__proto__', 1],
    ['{{ range.constructor("return process")() }}', 'constructor', 1],
    ['x\n{{ process.env }}', 'process', 2],
    ['{{ require("fs") }}', 'require', 1],
    ['{{ global }}', 'global', 1],
    ['{{ globalThis }}', 'globalThis', 1],
    ['{{ Function("x") }}', 'Function', 1],
    ['{{ eval("1") }}', 'eval', 1],
    ['{{ module }}', 'module', 1],
    ['{{ this }}', 'this', 1],
    ['{{ doc.prototype }}', 'prototype', 1],
    ['{{ doc.__defineGetter__ }}', '__defineGetter__', 1],
    ['{{ doc.__defineSetter__ }}', '__defineSetter__', 1],
    ['{{ doc.__lookupGetter__ }}', '__lookupGetter__', 1],
    ['{{ doc.__lookupSetter__ }}', '__lookupSetter__', 1],
    ['{% set constructor = 1 %}', 'constructor', 1],
    ['{{ doc | constructor }}', 'constructor', 1],
    ['{% if doc is constructor %}{% endif %}', 'constructor', 1],
    ['{% for constructor in doc.items %}{% endfor %}', 'constructor', 1],
    ['{% macro m(constructor) %}{% endmacro %}', 'constructor', 1],
    ['{{ doc.items | join(",", "constructor") }}', 'constructor', 1],
    ['{{ doc.items | selectattr("a.constructor") }}', 'constructor', 1],
    ['{{ doc.items | sum("__proto__") }}', '__proto__', 1],
    [
      '{% if x %}\n  {% for a in b %}\n    {{ a.constructor }}\n  {% endfor %}\n{% endif %}',
      'constructor',
      3,
    ],
  ])('%j', (source, name, line) => {
    expect(checkTemplate(source)).toBe(`Forbidden name "${name}" at line ${line}`);
  });

  it('covers every forbidden name as a variable', () => {
    for (const name of FORBIDDEN_TEMPLATE_NAMES) {
      expect(checkTemplate(`{{ ${name} }}`), name).toBe(`Forbidden name "${name}" at line 1`);
      expect(checkTemplate(`{{ doc["${name}"] }}`), name).toBe(
        `Forbidden name "${name}" at line 1`
      );
    }
  });

  it.each([
    ['{% include "other.njk" %}', 'include'],
    ['{% import "macros.njk" as m %}', 'import'],
    ['{% from "macros.njk" import m %}', 'from … import'],
    ['{% extends "base.njk" %}', 'extends'],
  ])('refuses template loading: %s', (source, tag) => {
    const message = checkTemplate(`x\n${source}`);
    expect(message).toContain(`{% ${tag} %}`);
    expect(message).toContain('line 2');
  });

  it('refuses templates longer than MAX_TEMPLATE_LENGTH', () => {
    expect(checkTemplate('x'.repeat(MAX_TEMPLATE_LENGTH))).toBeNull();
    expect(checkTemplate('x'.repeat(MAX_TEMPLATE_LENGTH + 1))).toMatch(/too long/);
  });

  it('cannot see dynamic keys (the worker guards those at runtime)', () => {
    expect(checkTemplate('{% set c = "constructor" %}{{ doc[c] }}')).toBeNull();
  });
});

describe('checkTemplate: unknown filters and tests', () => {
  it('refuses unknown filters and tests with the line, accepts known ones', () => {
    expect(checkTemplate('a\n{{ doc.name | nosuch }}')).toBe('Unknown filter "nosuch" at line 2');
    expect(checkTemplate('{% filter nosuch %}x{% endfilter %}')).toBe(
      'Unknown filter "nosuch" at line 1'
    );
    expect(checkTemplate('{% if doc is nosuch %}{% endif %}')).toBe(
      'Unknown test "nosuch" at line 1'
    );
    expect(
      checkTemplate('{% if doc is divisibleby(3) %}{% endif %}{% if doc is defined %}{% endif %}')
    ).toBeNull();
    expect(
      checkTemplate('{{ doc | json }}{{ doc | dump(2) }}{% filter upper %}x{% endfilter %}')
    ).toBeNull();
  });
});

describe('deep templates and the cache', () => {
  it.each([
    ['a ~ chain of 4000', `{{ "a"${' ~ "a"'.repeat(4000)} }}`],
    ['a |trim chain of 6000', `{{ "a"${'|trim'.repeat(6000)} }}`],
    ['5000 nested brackets', `{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`],
    ['3000 nested ifs', `${'{% if 1 %}'.repeat(3000)}${'{% endif %}'.repeat(3000)}`],
    ['a deep constant key', `{{ doc[${'"a" ~ '.repeat(3000)}"b"] }}`],
  ])('%s is refused with a reason, never a stack overflow', (_name, source) => {
    const problem = checkTemplate(source);
    expect(problem).toMatch(/nested too deeply .*line 1/);
  });

  it('accepts nesting up to the limit (long ~ chains and elif chains are fine)', () => {
    expect(checkTemplate(`{{ "a"${' ~ "a"'.repeat(500)} }}`)).toBeNull();
    expect(checkTemplate(`{% if x %}1${'{% elif x %}2'.repeat(300)}{% endif %}`)).toBeNull();
  });

  it('caches the result per source: a second check of a 60 KiB template does not parse it again', () => {
    const source = '{"a": {{ doc.x }}}'.repeat(3300);
    expect(source.length).toBeLessThan(65536);
    const t0 = performance.now();
    expect(checkTemplate(source)).toBeNull();
    const first = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 20; i++) expect(checkTemplate(source)).toBeNull();
    const twenty = performance.now() - t1;
    expect(twenty).toBeLessThan(first);
  });
});
