/**
 * The private parts of Jexl that server/src/condition/parse.ts drives (its grammar module,
 * lexer and parser, their token and AST shapes, the lexer's error text). They are not Jexl's
 * public API: package.json pins the exact version, and these tests fail when an upgrade
 * changes any of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import jexl from 'jexl';
import { getGrammar } from 'jexl/dist/grammar.js';
import Lexer from 'jexl/dist/Lexer.js';
import Parser from 'jexl/dist/parser/Parser.js';
import { parseCondition } from '../../server/src/condition/parse';
import { validateCondition } from '../../server/src/condition';

const root = join(__dirname, '..', '..');
const json = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'));

describe('Jexl is pinned', () => {
  it('package.json, the lock file and the installed copy agree on one exact version', () => {
    const wanted = json('package.json').dependencies.jexl;
    expect(wanted).toMatch(/^\d+\.\d+\.\d+$/);
    const lock = json('package-lock.json');
    expect(lock.packages[''].dependencies.jexl).toBe(wanted);
    expect(lock.packages['node_modules/jexl'].version).toBe(wanted);
    expect(json('node_modules/jexl/package.json').version).toBe(wanted);
  });
});

describe("Jexl's grammar module", () => {
  it('has the elements, types and precedences the evaluator mirrors', () => {
    const grammar = getGrammar();
    expect(Object.keys(grammar)).toEqual(['elements', 'functions', 'transforms']);
    const shape = Object.fromEntries(
      Object.entries(grammar.elements).map(([name, e]) => [
        name,
        e.precedence === undefined ? e.type : `${e.type} ${e.precedence}`,
      ])
    );
    expect(shape).toEqual({
      '.': 'dot',
      '[': 'openBracket',
      ']': 'closeBracket',
      '|': 'pipe',
      '{': 'openCurl',
      '}': 'closeCurl',
      ':': 'colon',
      ',': 'comma',
      '(': 'openParen',
      ')': 'closeParen',
      '?': 'question',
      '+': 'binaryOp 30',
      '-': 'binaryOp 30',
      '*': 'binaryOp 40',
      '/': 'binaryOp 40',
      '//': 'binaryOp 40',
      '%': 'binaryOp 50',
      '^': 'binaryOp 50',
      '==': 'binaryOp 20',
      '!=': 'binaryOp 20',
      '>': 'binaryOp 20',
      '>=': 'binaryOp 20',
      '<': 'binaryOp 20',
      '<=': 'binaryOp 20',
      '&&': 'binaryOp 10',
      '||': 'binaryOp 10',
      in: 'binaryOp 20',
      '!': 'unaryOp Infinity',
    });
    // A fresh copy per call: parse.ts changes its own copy only.
    expect(getGrammar()).not.toBe(grammar);
    expect(getGrammar().elements).not.toBe(grammar.elements);
  });
});

describe("Jexl's lexer", () => {
  const lexer = new Lexer(getGrammar());

  it.each([
    [
      'doc.a == - 5',
      ['doc', '.', 'a', ' ', '==', ' ', '-', ' ', '5'],
      [
        { type: 'identifier', value: 'doc', raw: 'doc' },
        { type: 'dot', value: '.', raw: '.' },
        { type: 'identifier', value: 'a', raw: 'a ' },
        // The whitespace after a negating "-" goes to the token before it.
        { type: 'binaryOp', value: '==', raw: '==  ' },
        { type: 'literal', value: -5, raw: '-5' },
      ],
    ],
    [
      ' x|lower("A b") ',
      [' ', 'x', '|', 'lower', '(', '"A b"', ')', ' '],
      [
        { type: 'identifier', value: 'x', raw: 'x' },
        { type: 'pipe', value: '|', raw: '|' },
        { type: 'identifier', value: 'lower', raw: 'lower' },
        { type: 'openParen', value: '(', raw: '(' },
        { type: 'literal', value: 'A b', raw: '"A b"' },
        { type: 'closeParen', value: ')', raw: ') ' },
      ],
    ],
  ])('%j: elements that join back to the source, and tokens', (expr, elements, tokens) => {
    expect(lexer.getElements(expr)).toEqual(elements);
    expect(lexer.getElements(expr).join('')).toBe(expr);
    expect(lexer.getTokens(lexer.getElements(expr))).toEqual(tokens);
  });

  it('reports an invalid token as text only, in the form parse.ts reads', () => {
    expect(() => lexer.getTokens(['@'])).toThrow(/^Invalid expression token: @$/);
    expect(() => lexer.getTokens(lexer.getElements('a == -foo'))).toThrow(
      /^Invalid expression token: -foo$/
    );
  });
});

describe("Jexl's parser", () => {
  const lexer = new Lexer(getGrammar());
  const tokens = (expr: string) => lexer.getTokens(lexer.getElements(expr));

  it.each([
    [
      '!a.b[0] && c',
      {
        type: 'BinaryExpression',
        operator: '&&',
        left: {
          type: 'UnaryExpression',
          operator: '!',
          right: {
            type: 'FilterExpression',
            expr: { type: 'Literal', value: 0 },
            relative: false,
            subject: { type: 'Identifier', value: 'b', from: { type: 'Identifier', value: 'a' } },
          },
        },
        right: { type: 'Identifier', value: 'c' },
      },
    ],
    [
      'x ? {k: [1, .y]} : d[.z > 1]|t(2)',
      {
        type: 'ConditionalExpression',
        test: { type: 'Identifier', value: 'x' },
        consequent: {
          type: 'ObjectLiteral',
          value: {
            k: {
              type: 'ArrayLiteral',
              value: [
                { type: 'Literal', value: 1 },
                { type: 'Identifier', value: 'y', relative: true },
              ],
            },
          },
        },
        alternate: {
          type: 'FunctionCall',
          name: 't',
          args: [
            {
              type: 'FilterExpression',
              expr: {
                type: 'BinaryExpression',
                operator: '>',
                left: { type: 'Identifier', value: 'z', relative: true },
                right: { type: 'Literal', value: 1 },
              },
              relative: true,
              subject: { type: 'Identifier', value: 'd' },
            },
            { type: 'Literal', value: 2 },
          ],
          pool: 'transforms',
        },
      },
    ],
    [
      'f(1) in "s"',
      {
        type: 'BinaryExpression',
        operator: 'in',
        left: {
          type: 'FunctionCall',
          name: 'f',
          args: [{ type: 'Literal', value: 1 }],
          pool: 'functions',
        },
        right: { type: 'Literal', value: 's' },
      },
    ],
    [
      'a ?: b',
      {
        type: 'ConditionalExpression',
        test: { type: 'Identifier', value: 'a' },
        consequent: null,
        alternate: { type: 'Identifier', value: 'b' },
      },
    ],
  ])('%s: the AST the evaluator walks, the same as Jexl.compile()', (expr, ast) => {
    expect(parseCondition(expr)).toEqual(ast);
    // Driving the lexer and parser token by token gives what Jexl's own compile() gives.
    const compiled = new jexl.Jexl().compile(expr) as unknown as { _getAst(): unknown };
    expect(compiled._getAst()).toEqual(ast);
  });

  it('refuses a token in addToken and an unfinished expression in complete()', () => {
    const refusing = new Parser(getGrammar());
    const [doc, eq, close] = tokens('doc == )');
    refusing.addToken(doc);
    refusing.addToken(eq);
    expect(() => refusing.addToken(close)).toThrow(/unexpected/);
    const unfinished = new Parser(getGrammar());
    for (const token of tokens('doc ==')) unfinished.addToken(token);
    expect(() => unfinished.complete()).toThrow(/Unexpected end of expression/);
    expect(new Parser(getGrammar()).complete()).toBeNull();
  });
});

describe('syntax errors name the token and where it starts', () => {
  it.each([
    ['doc.status == )', 'Unexpected token ")" at position 14'],
    ['  doc.status == )', 'Unexpected token ")" at position 16'],
    ['doc.a == - 5 doc', 'Unexpected token "doc" at position 13'],
    ['a == - - 5 )', 'Unexpected token ")" at position 11'],
    ['a - -5 )', 'Unexpected token ")" at position 7'],
    ['"a)b" == "a)b" doc', 'Unexpected token "doc" at position 15'],
    ['doc.status ==', 'Unexpected end of expression at position 13'],
    ['doc.status ==   ', 'Unexpected end of expression at position 13'],
    ['doc.a @ 1', 'Invalid token "@" at position 6'],
    // Located by the lexer's elements, not by searching the text ("@" first occurs in the string).
    ['"@" == doc.a @ 1', 'Invalid token "@" at position 13'],
    ['a == - @', 'Invalid token "-@" at position 5'],
    ['a == -foo', 'Invalid token "-foo" at position 5'],
  ])('%j', (expr, message) => {
    expect(validateCondition(expr)).toBe(message);
  });

  it('the position points at the refused token, whatever the spacing and signs', () => {
    const piece = fc.constantFrom(
      'doc',
      '.',
      'a',
      '==',
      '-',
      '5',
      '"s p"',
      ')',
      '(',
      '[',
      ']',
      '|',
      'lower',
      '?',
      ':',
      '!',
      ',',
      'in',
      '&&'
    );
    const space = fc.constantFrom('', ' ', '  ');
    fc.assert(
      fc.property(fc.array(fc.tuple(space, piece), { minLength: 1, maxLength: 12 }), (parts) => {
        const expr = parts.map(([ws, p]) => ws + p).join('');
        const problem = validateCondition(expr);
        const refused = /^(?:Unexpected|Invalid) token "(.*)" at position (\d+)$/.exec(
          problem ?? ''
        );
        if (!refused) return;
        const [, token, at] = refused;
        // A negated number is reported at its first sign: "- 5" → "-5".
        const shown = expr.slice(Number(at));
        if (token.startsWith('-') && token !== '-')
          expect(shown.replace(/^[-\s]+/, '-').startsWith(token), `${expr} → ${problem}`).toBe(
            true
          );
        else expect(shown.startsWith(token), `${expr} → ${problem}`).toBe(true);
      }),
      { numRuns: 2000 }
    );
  });
});
