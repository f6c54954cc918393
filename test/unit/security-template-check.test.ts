/**
 * Issue 5 — the static template check must see every part of a template, whatever block it
 * is nested in. Regression: `{% set x %}…{% endset %}` keeps its body outside the node's
 * declared `fields`, and the check used to skip it entirely (forbidden names, loading tags and
 * unknown filters inside a block set all passed).
 */
import { describe, expect, it } from 'vitest';
import { checkTemplate } from '../../server/src/render/template-check';

/** Statically visible payloads (each refused on its own). */
const payloads = [
  '{{ this.constructor }}',
  '{{ range.constructor("return process")() }}',
  "{{ ''.constructor.constructor('return 1')() }}",
  "{{ doc['constr' + 'uctor'] }}",
  '{{ doc.__proto__ }}',
  '{{ doc.x.prototype }}',
  '{{ process.env }}',
  '{{ require("fs") }}',
  '{{ global.process }}',
  '{{ globalThis }}',
  '{{ Function("x")() }}',
  '{{ eval("1") }}',
  '{{ "x" | constructor }}',
  '{% if "x" is constructor %}{% endif %}',
  '{{ "x" | nosuchfilter }}',
  '{{ [doc] | join(",", "constructor") }}',
  '{% include "/etc/passwd" %}',
  '{% import "/etc/passwd" as p %}',
  '{% from "/etc/passwd" import x %}',
];

/** Every block construct a payload can hide in. */
const wrappers: [string, (p: string) => string][] = [
  ['block set', (p) => `{% set out %}${p}{% endset %}{{ out }}`],
  ['nested block set', (p) => `{% set a %}{% set b %}${p}{% endset %}{% endset %}`],
  ['if', (p) => `{% if true %}${p}{% endif %}`],
  ['elif/else', (p) => `{% if false %}{% elif false %}{% else %}${p}{% endif %}`],
  ['for / else', (p) => `{% for i in [] %}{% else %}${p}{% endfor %}`],
  ['for over dict', (p) => `{% for k, v in {} %}${p}{% endfor %}`],
  ['macro', (p) => `{% macro m() %}${p}{% endmacro %}`],
  [
    'call block',
    (p) => `{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}${p}{% endcall %}`,
  ],
  ['filter block', (p) => `{% filter upper %}${p}{% endfilter %}`],
  [
    'raw-free inline if',
    (p) => (p.startsWith('{{ ') ? `{{ (${p.slice(3, -3)}) if true else 1 }}` : p),
  ],
  ['switch', (p) => `{% switch 1 %}{% case 1 %}${p}{% default %}{% endswitch %}`],
  ['block', (p) => `{% block b %}${p}{% endblock %}`],
];

describe('static check sees through every block construct', () => {
  it.each(payloads)('%s is refused on its own', (p) => {
    expect(checkTemplate(p)).not.toBeNull();
  });

  for (const [name, wrap] of wrappers) {
    it.each(payloads)(`${name}: %s`, (p) => {
      const source = wrap(p);
      const problem = checkTemplate(source);
      expect(problem, source).not.toBeNull();
      expect(problem!, source).not.toMatch(/syntax error/);
    });
  }

  it('harmless block sets still pass', () => {
    expect(
      checkTemplate('{% set out %}{{ doc.title | upper }}{% endset %}{"t": {{ out | dump }}}')
    ).toBeNull();
  });
});
