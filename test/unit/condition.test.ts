import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import jexl from 'jexl';
import {
  CONDITION_TRANSFORMS,
  ConditionError,
  MAX_CONDITION_LENGTH,
  compileCondition,
  evaluateCondition,
  prepareConditionContext,
  validateCondition,
} from '../../server/src/condition';

const ctx = (over: Record<string, unknown> = {}) => ({
  doc: {
    documentId: 'abc',
    status: 'done',
    grandTotal: 1500,
    customer: 'ACME',
    tags: ['a', 'vip'],
    items: [{ qty: 1 }, { qty: 5 }],
  },
  previous: { documentId: 'abc', status: 'draft', grandTotal: 900 },
  event: 'entry.update',
  uid: 'api::order.order',
  model: 'order',
  documentId: 'abc',
  locale: null,
  user: { id: 1, email: 'a@example.com' },
  now: '2025-01-01T00:00:00.000Z',
  ...over,
});

/** What `fn` throws (undefined when it returns). */
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

/** Raw value of an expression (not just its truthiness), evaluated like evaluateCondition does. */
const valueOf = (expr: string, context: Record<string, unknown>) =>
  compileCondition(expr).evaluate(prepareConditionContext(context));

describe('evaluateCondition: examples from the contract', () => {
  it('status transition', () => {
    const expr = 'doc.status == "done" && previous.status != "done"';
    expect(evaluateCondition(expr, ctx())).toBe(true);
    expect(evaluateCondition(expr, ctx({ previous: { status: 'done' } }))).toBe(false);
  });

  it('numeric comparison', () => {
    expect(evaluateCondition('doc.grandTotal > 1000', ctx())).toBe(true);
    expect(evaluateCondition('doc.grandTotal > 1000', ctx({ doc: { grandTotal: 999 } }))).toBe(
      false
    );
  });

  it('event name', () => {
    expect(evaluateCondition('event == "entry.publish"', ctx())).toBe(false);
    expect(evaluateCondition('event == "entry.publish"', ctx({ event: 'entry.publish' }))).toBe(
      true
    );
  });

  it('transform in a comparison', () => {
    expect(evaluateCondition('doc.customer|lower == "acme"', ctx())).toBe(true);
  });

  it('previous == null', () => {
    expect(evaluateCondition('previous == null', ctx({ previous: null }))).toBe(true);
    expect(evaluateCondition('previous == null', ctx())).toBe(false);
  });

  it('member access on null/missing values is null-safe (dot and bracket forms)', async () => {
    const c = ctx({ previous: null });
    expect(evaluateCondition('previous.status != "done"', c)).toBe(true);
    expect(evaluateCondition('previous["status"] == null', c)).toBe(true);
    expect(evaluateCondition('doc.missing.deeper.still == null', c)).toBe(true);
    expect(evaluateCondition('previous.status', c)).toBe(false);
    // Plain Jexl throws on the bracket form — the reason this module has its own evaluator.
    await expect(jexl.eval('previous["status"]', { previous: null })).rejects.toThrow();
  });

  it('blank, null and undefined conditions always match', () => {
    for (const expr of ['', '   ', '\n', null, undefined]) {
      expect(evaluateCondition(expr, {})).toBe(true);
    }
  });

  it('other Jexl features keep their meaning', () => {
    const c = ctx();
    expect(evaluateCondition('"vip" in doc.tags', c)).toBe(true);
    expect(evaluateCondition('"CM" in doc.customer', c)).toBe(true);
    expect(evaluateCondition('doc.items[.qty > 2]|length == 1', c)).toBe(true);
    expect(evaluateCondition('doc.items[1].qty == 5', c)).toBe(true);
    expect(evaluateCondition('doc.items.qty == 1', c)).toBe(true); // Jexl: first element
    expect(evaluateCondition('doc.grandTotal > 100 ? doc.status == "done" : false', c)).toBe(true);
    expect(evaluateCondition('!(doc.grandTotal < 10) && (1 + 2) * 3 == 9 && 7 // 2 == 3', c)).toBe(
      true
    );
    expect(evaluateCondition('user.email|endsWith("@example.com")', c)).toBe(true);
    expect(evaluateCondition('[1, 2, 3]|includes(2) && {a: 1}.a == 1', c)).toBe(true);
    expect(valueOf('doc.status || "x"', c)).toBe('done');
    expect(valueOf('0 || ""', c)).toBe('');
  });

  it('dates in the context are compared as ISO strings / epoch ms', () => {
    const c = {
      doc: { at: new Date('2024-05-01T10:00:00.000Z'), due: '2024-12-31' },
      now: '2025-01-01T00:00:00.000Z',
    };
    expect(evaluateCondition('doc.at == "2024-05-01T10:00:00.000Z"', c)).toBe(true);
    expect(evaluateCondition('doc.due|date < now|date', c)).toBe(true);
    expect(evaluateCondition('doc.at|date == 1714557600000', c)).toBe(true);
    expect(valueOf('"not a date"|date', c)).toBeUndefined();
  });
});

describe('transforms', () => {
  const cases: Array<[string, unknown]> = [
    ['"  AbC "|trim', 'AbC'],
    ['"AbC"|lower', 'abc'],
    ['"AbC"|upper', 'ABC'],
    ['12|string', '12'],
    ['null|string', ''],
    ['doc|string', '{"a":[1,2],"s":"xy"}'],
    ['doc.a|length', 2],
    ['doc.s|length', 2],
    ['doc|length', 2],
    ['doc|keys', ['a', 's']],
    ['5|keys', []],
    ['" 42 "|number', 42],
    ['"x"|number', undefined],
    ['true|number', 1],
    ['doc.s|includes("y")', true],
    ['doc.a|includes(2)', true],
    ['doc.a|includes("2")', false],
    ['doc|includes("s")', true],
    ['doc|includes("constructor")', false],
    ['doc.s|startsWith("x")', true],
    ['doc.a|startsWith("x")', false],
    ['-3.5|abs', 3.5],
    ['2.345|round(2)', 2.35],
    ['2.5|round', 3],
    ['"2020-01-01T00:00:00Z"|date', Date.UTC(2020, 0, 1)],
    ['doc.missing|lower', undefined],
  ];
  it.each(cases)('%s', (expr, expected) => {
    expect(valueOf(expr, { doc: { a: [1, 2], s: 'xy' } })).toEqual(expected);
  });

  it('exactly the documented transforms exist', () => {
    expect([...CONDITION_TRANSFORMS].sort()).toEqual(
      [
        'abs',
        'date',
        'endsWith',
        'includes',
        'keys',
        'length',
        'lower',
        'number',
        'round',
        'startsWith',
        'string',
        'trim',
        'upper',
      ].sort()
    );
  });
});

describe('validateCondition', () => {
  it('accepts valid and blank conditions', () => {
    expect(validateCondition('doc.status == "done" && previous.status != "done"')).toBeNull();
    expect(validateCondition('')).toBeNull();
    expect(validateCondition(42 as unknown as string)).toBe('Condition must be a string');
    expect(validateCondition('doc.toString == null')).toBeNull(); // an ordinary (absent) field name
  });

  it('reports syntax errors with a position', () => {
    expect(validateCondition('doc.status == )')).toBe('Unexpected token ")" at position 14');
    expect(validateCondition('doc.status ==')).toBe('Unexpected end of expression at position 13');
    expect(validateCondition('doc.a @ 1')).toBe('Invalid token "@" at position 6');
  });

  it('refuses over-long expressions', () => {
    const long = 'a == 1 && '.repeat(Math.ceil(MAX_CONDITION_LENGTH / 10)) + 'true';
    expect(long.length).toBeGreaterThan(MAX_CONDITION_LENGTH);
    expect(validateCondition(long)).toMatch(/too long/);
    expect(validateCondition('a'.repeat(MAX_CONDITION_LENGTH))).toBeNull();
  });

  it.each([
    ['doc.constructor', 'constructor'],
    ['doc.__proto__', '__proto__'],
    ['doc["__proto__"]', '__proto__'],
    ['doc["constructor"]', 'constructor'],
    ["doc['constr' + 'uctor']", 'constructor'],
    ['"".constructor', 'constructor'],
    ['doc.name.constructor.constructor', 'constructor'],
    ['doc.prototype', 'prototype'],
    ['doc.__defineGetter__', '__defineGetter__'],
    ['doc.__lookupSetter__', '__lookupSetter__'],
    ['constructor', 'constructor'],
    ['doc.items[.constructor]', 'constructor'],
    ['{constructor: 1}', 'constructor'],
  ])('refuses %s', (expr, name) => {
    expect(validateCondition(expr)).toBe(`Forbidden name "${name}"`);
    expect(() => compileCondition(expr)).toThrow(ConditionError);
  });

  it('refuses functions and unregistered transforms', () => {
    expect(validateCondition('foo(1)')).toMatch(/^Functions are not supported/);
    expect(validateCondition('doc|constructor')).toMatch(/^Forbidden name|^Unknown transform/);
    expect(validateCondition('doc.a|toString')).toMatch(/^Unknown transform "toString"/);
    expect(validateCondition('doc.a|eval')).toMatch(/^Unknown transform "eval"/);
    expect(validateCondition('doc.a|valueOf')).toMatch(/^Unknown transform "valueOf"/);
  });

  it('never evaluates while validating', () => {
    // A step-budget bomb validates instantly (it would take long to evaluate).
    const started = Date.now();
    expect(validateCondition('doc.i[.a in doc.i[.b in doc.i[.c == 1]]]')).toBeNull();
    expect(Date.now() - started).toBeLessThan(200);
  });
});

describe('runtime safety', () => {
  it('dynamic keys never reach constructors or prototypes', () => {
    const context = {
      doc: { name: 'abc', items: [1, 2], nested: { a: 1 } },
      k: 'constructor',
      p: '__proto__',
      t: 'toString',
    };
    for (const expr of [
      'doc[k]',
      'doc.name[k]',
      'doc.items[k]',
      'doc.nested[p]',
      'doc[t]',
      'doc.name[t]',
      'doc[k][k]',
      'doc.items[0][k]',
    ]) {
      const value = valueOf(expr, context);
      expect(value, expr).toBeUndefined();
    }
    // The same expressions in plain Jexl hand out real functions: the guard is doing the work.
    expect(typeof jexl.evalSync('doc.name[k]', context)).toBe('function');
    expect(typeof jexl.evalSync('doc.name["constructor"]', context)).toBe('function');
  });

  it('no expression over arbitrary keys yields a function', () => {
    const protoNames = [
      ...Object.getOwnPropertyNames(Object.prototype),
      ...Object.getOwnPropertyNames(String.prototype),
      ...Object.getOwnPropertyNames(Array.prototype),
      ...Object.getOwnPropertyNames(Function.prototype),
    ];
    const context = { doc: { name: 'abc', items: [{ x: 1 }], n: 5, obj: { y: 2 } } };
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...protoNames), fc.string()),
        fc.constantFrom('doc', 'doc.name', 'doc.items', 'doc.n', 'doc.obj', 'doc.items[0]'),
        (key, base) => {
          const value = valueOf(`${base}[k]`, { ...context, k: key });
          expect(typeof value).not.toBe('function');
          const viaDot =
            /^[a-zA-Z_$][a-zA-Z0-9_$]*$/.test(key) &&
            !['constructor', '__proto__', 'prototype'].includes(key) &&
            !key.startsWith('__')
              ? valueOf(`${base}.${key}`, context)
              : undefined;
          expect(typeof viaDot).not.toBe('function');
        }
      ),
      { numRuns: 500 }
    );
  });

  it('functions in the context are dropped, getters read once, prototypes not inherited', () => {
    let calls = 0;
    const doc = {
      fn: () => 'called',
      get lazy() {
        calls++;
        return 'value';
      },
    };
    expect(valueOf('doc.fn', { doc })).toBeUndefined();
    calls = 0;
    expect(evaluateCondition('doc.lazy == "value" && doc.lazy == "value"', { doc })).toBe(true);
    expect(calls).toBe(1);
    class Entity {
      secret() {
        return 's';
      }
    }
    expect(valueOf('doc.secret', { doc: new Entity() })).toBeUndefined();
  });

  it('a nested filter bomb is stopped by the step budget', () => {
    const items = Array.from({ length: 3000 }, (_, i) => ({ a: i, b: i, c: i }));
    const started = Date.now();
    expect(() =>
      evaluateCondition('doc.i[.a in doc.i[.b in doc.i[.c == 1]]]', { doc: { i: items } })
    ).toThrow(/exceeded \d+ steps/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('work is bounded, not only steps: the issue #12 condition over a 1 MB field and 200 items ends fast', () => {
    const doc = {
      notes: 'n'.repeat(1024 * 1024),
      items: Array.from({ length: 200 }, (_, i) => ({ i })),
    };
    const expr =
      'doc.items[.i >= 0 && doc.items[.i >= 0 && doc.notes|upper == "q"]|length > 0]|length > 0';
    const started = Date.now();
    const err = thrown(() => evaluateCondition(expr, { doc }));
    expect(err).toBeInstanceOf(ConditionError);
    expect((err as ConditionError).limit).toBe('work');
    expect((err as Error).message).toMatch(/work limit/);
    // Unbounded it took 14.5 s; the work limit is ~20 M characters.
    expect(Date.now() - started).toBeLessThan(1500);
    // The same shape on small data still evaluates.
    expect(evaluateCondition(expr, { doc: { notes: 'q', items: [{ i: 1 }] } })).toBe(false);
  });

  it.each([
    [
      'doubling by concatenation',
      'doc.s + doc.s + doc.s + doc.s + doc.s + doc.s + doc.s + doc.s + doc.s == "x"',
    ],
    ['case mapping a huge string', '(doc.s + doc.s + doc.s)|upper == "x"'],
  ])('%s cannot build strings past the size limit', (_name, expr) => {
    const err = thrown(() => evaluateCondition(expr, { doc: { s: 'x'.repeat(1024 * 1024) } }));
    expect(err).toBeInstanceOf(ConditionError);
    expect((err as Error).message).toMatch(/string longer than|work limit/);
  });

  it('a time limit backs the work limit up', () => {
    const items = Array.from({ length: 400 }, (_, i) => ({ a: i }));
    const err = thrown(() =>
      evaluateCondition(
        'doc.i[.a >= 0 && doc.i[.a >= 0]|length > 0]|length',
        { doc: { i: items } },
        { timeoutMs: 1 }
      )
    );
    // 160 000 visits: either limit may end it first on a loaded machine, never the process.
    expect(err).toBeInstanceOf(ConditionError);
    expect(['time', 'work']).toContain((err as ConditionError).limit);
  });

  it('runtime errors become ConditionError', () => {
    expect(() => evaluateCondition('doc.a == )', {})).toThrow(ConditionError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => evaluateCondition('doc.x', { doc: cyclic })).toThrow(/cannot be serialised/);
    expect(() => evaluateCondition('doc.x', { doc: { x: 10n } })).toThrow(ConditionError);
  });

  it('compiled conditions are cached', () => {
    expect(compileCondition('doc.cached == 1')).toBe(compileCondition('doc.cached == 1'));
  });
});

describe('unfinished expressions are refused, not read as "always true"', () => {
  it.each([
    ['(', /never closed/],
    ['((', /never closed/],
    ['(doc.x > 5', /never closed/],
    ['doc.x > 5)', /Unexpected token "\)"/],
    ['"', /unterminated string/],
    ['doc.state == "Open', /Unexpected token "Open"/],
    // Jexl leaves these slots empty (null) rather than refusing them.
    ['{a:}', /^Missing value for "a" at position 3$/],
    ['doc.x in {a: 1, b: }', /^Missing value for "b" at position 19$/],
    ['doc.tags[]', /^Empty "\[\]" at position 8: a filter or index needs an expression$/],
  ])('%s', (expr, message) => {
    expect(validateCondition(expr)).toMatch(message);
    expect(() => evaluateCondition(expr, { doc: { x: 1 } })).toThrow(message);
  });

  it('still accepts empty arrays, calls without arguments and trailing commas', () => {
    expect(validateCondition('doc.tags == []')).toBeNull();
    expect(validateCondition('doc.x in [[], 1]')).toBeNull();
    expect(validateCondition('{a: 1,}.a == 1')).toBeNull();
  });

  it('still accepts quotes and brackets inside strings, and the elvis form', () => {
    expect(validateCondition('doc.name == "a(b" && doc.tag == \'[x\'')).toBeNull();
    expect(validateCondition('doc.a ?: "fallback"')).toBeNull();
    expect(validateCondition('doc.q == "say \\"hi\\""')).toBeNull();
  });
});
