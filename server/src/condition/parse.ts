/**
 * Condition source → Jexl AST. Jexl's grammar, lexer and parser do the work; this module adds
 * what Jexl leaves out: the position of a syntax error, and refusing what Jexl's parser lets
 * through unfinished. Evaluation is not Jexl's (see `evaluate.ts`).
 *
 * Jexl exposes parsing only as `compile()` and the private `_getAst()`, and its errors only as
 * text. To know which token was refused and where, the lexer and parser are driven here token by
 * token, as Jexl's own `Expression.compile` does. These are private parts of Jexl: package.json
 * pins the exact version and test/unit/condition-jexl.test.ts checks their shape.
 */
import { getGrammar } from 'jexl/dist/grammar.js';
import Lexer, { type JexlToken } from 'jexl/dist/Lexer.js';
import Parser from 'jexl/dist/parser/Parser.js';
import { ConditionError } from './errors';

/** The subset of the Jexl 2.3 AST produced by its parser. */
export type JexlNode =
  | { type: 'Literal'; value: string | number | boolean }
  | { type: 'Identifier'; value: string; from?: JexlNode; relative?: boolean }
  | { type: 'UnaryExpression'; operator: string; right: JexlNode }
  | { type: 'BinaryExpression'; operator: string; left: JexlNode; right: JexlNode }
  | { type: 'ConditionalExpression'; test: JexlNode; consequent?: JexlNode; alternate: JexlNode }
  | { type: 'FilterExpression'; relative: boolean; expr: JexlNode; subject: JexlNode }
  | { type: 'ArrayLiteral'; value: JexlNode[] }
  | { type: 'ObjectLiteral'; value: Record<string, JexlNode> }
  | { type: 'FunctionCall'; name: string; pool: 'functions' | 'transforms'; args?: JexlNode[] };

// Our own grammar (a fresh copy): nothing registered elsewhere can leak in.
const grammar = getGrammar();
// The lexer looks tokens up in this plain object, so `constructor`/`toString` would resolve to
// Object.prototype members and yield confusing "(undefined) unexpected" errors. With a null
// prototype they lex as identifiers and get a clear "Forbidden name" message (or work, for
// harmless names such as `doc.toString`).
Object.setPrototypeOf(grammar.elements, null);
const lexer = new Lexer(grammar);

/** The only error Jexl's lexer raises; it comes as text only (checked against the pinned Jexl). */
const INVALID_TOKEN = /^Invalid expression token: ([\s\S]*)$/;

const isWhitespace = (element: string): boolean => element.trim() === '';

interface Located {
  text: string;
  at: number;
}

/** The non-whitespace elements of the expression with their offsets. */
function locateElements(elements: string[]): Located[] {
  const located: Located[] = [];
  let at = 0;
  for (const text of elements) {
    if (!isWhitespace(text)) located.push({ text, at });
    at += text.length;
  }
  return located;
}

/**
 * Start offset of each token. The lexer makes one token per non-whitespace element, except that
 * negating `-` signs join the element after them (`- 5` → `-5`, and `- - 5` → `-5` too).
 */
function tokenPositions(tokens: JexlToken[], elements: Located[]): number[] {
  const positions: number[] = [];
  let i = 0;
  for (const token of tokens) {
    positions.push(elements[i].at);
    if (token.raw.trimEnd() !== '-') while (elements[i].text === '-') i++;
    i++;
  }
  return positions;
}

function tokenize(expr: string, elements: string[]): JexlToken[] {
  try {
    return lexer.getTokens([...elements]);
  } catch (err) {
    const invalid = INVALID_TOKEN.exec(err instanceof Error ? err.message : String(err));
    if (!invalid)
      throw new ConditionError(
        `Invalid condition: ${err instanceof Error ? err.message : String(err)}`
      );
    const bad = invalid[1];
    // The element it came from (or a negating `-` and the element it joined).
    const located = locateElements(elements);
    const index = located.findIndex(
      (e, k) => e.text === bad || (e.text === '-' && `-${located[k + 1]?.text}` === bad)
    );
    const position = index >= 0 ? located[index].at : expr.indexOf(bad);
    throw new ConditionError(
      `Invalid token "${bad}"${position >= 0 ? ` at position ${position}` : ''}`
    );
  }
}

/**
 * Jexl's parser accepts some unfinished expressions: an unclosed "(" parses to an empty tree
 * (a condition that would always hold), "(doc" parses as "doc", and a lone quote lexes as an
 * empty string. Refuse unbalanced brackets and unterminated strings before that happens.
 */
function structureProblem(expr: string): string | null {
  const closing: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: { char: string; at: number }[] = [];
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '"' || c === "'") {
      const start = i;
      for (i++; i < expr.length && expr[i] !== c; i++) if (expr[i] === '\\') i++;
      if (i >= expr.length) return `unterminated string starting at position ${start}`;
    } else if (c in closing) {
      stack.push({ char: c, at: i });
    } else if (c === ')' || c === ']' || c === '}') {
      const open = stack.pop();
      if (!open || closing[open.char] !== c) return `unexpected "${c}" at position ${i}`;
    }
  }
  const open = stack.pop();
  return open ? `"${open.char}" at position ${open.at} is never closed` : null;
}

/**
 * Parses a condition into Jexl's AST; null for a blank one. Throws {@link ConditionError} with
 * the refused token and its position: `Unexpected token ")" at position 6`.
 */
export function parseCondition(expr: string): JexlNode | null {
  const elements = lexer.getElements(expr);
  const tokens = tokenize(expr, elements);
  const positions = tokenPositions(tokens, locateElements(elements));
  const parser = new Parser(grammar);
  tokens.forEach((token, i) => {
    try {
      parser.addToken(token);
    } catch {
      // Whatever the parser says, it refused this token at this place.
      throw new ConditionError(
        `Unexpected token "${token.raw.trim()}" at position ${positions[i]}`
      );
    }
  });
  let ast: JexlNode | null;
  try {
    ast = parser.complete() as JexlNode | null;
  } catch {
    throw new ConditionError(`Unexpected end of expression at position ${expr.trimEnd().length}`);
  }
  // What the parser let through unfinished is refused, not read as "always true".
  if (expr.trim() !== '') {
    const structural = structureProblem(expr);
    if (structural) throw new ConditionError(structural);
    if (!ast) throw new ConditionError('Condition is incomplete');
    const missing = emptySlot(ast);
    if (missing) throw new ConditionError(missingMessage(missing, tokens, positions));
  }
  return ast;
}

type Slot = 'object value' | 'filter' | 'expression';
const OPERAND_END = new Set(['identifier', 'literal', 'closeBracket', 'closeParen', 'closeCurl']);

/**
 * Jexl's parser also leaves a slot empty (null) when a closing bracket comes where a value was
 * due: `{a:}`, `x[]`. The first such slot, depth first.
 */
function emptySlot(node: JexlNode | null | undefined, slot: Slot = 'expression'): Slot | null {
  if (node == null) return slot;
  switch (node.type) {
    case 'Identifier':
      return node.from ? emptySlot(node.from) : null;
    case 'UnaryExpression':
      return emptySlot(node.right);
    case 'BinaryExpression':
      return emptySlot(node.left) ?? emptySlot(node.right);
    case 'ConditionalExpression':
      return (
        emptySlot(node.test) ??
        (node.consequent ? emptySlot(node.consequent) : null) ??
        emptySlot(node.alternate)
      );
    case 'FilterExpression':
      return emptySlot(node.subject) ?? emptySlot(node.expr, 'filter');
    case 'ArrayLiteral':
      return node.value.reduce<Slot | null>((found, elem) => found ?? emptySlot(elem), null);
    case 'ObjectLiteral':
      return Object.values(node.value).reduce<Slot | null>(
        (found, value) => found ?? emptySlot(value, 'object value'),
        null
      );
    case 'FunctionCall':
      return (node.args ?? []).reduce<Slot | null>((found, arg) => found ?? emptySlot(arg), null);
    default:
      return null;
  }
}

/** The empty slot in words, with the key and position of the first place of that kind. */
function missingMessage(slot: Slot, tokens: JexlToken[], positions: number[]): string {
  if (slot === 'object value') {
    const i = tokens.findIndex(
      (t, k) =>
        t.type === 'colon' &&
        (tokens[k + 1]?.type === 'closeCurl' || tokens[k + 1]?.type === 'comma')
    );
    if (i > 0)
      return `Missing value for "${String(tokens[i - 1].value)}" at position ${positions[i + 1]}`;
  }
  if (slot === 'filter') {
    // A `[` right after an operand opens a filter; elsewhere `[]` is an empty array.
    const i = tokens.findIndex(
      (t, k) =>
        t.type === 'openBracket' &&
        tokens[k + 1]?.type === 'closeBracket' &&
        k > 0 &&
        OPERAND_END.has(tokens[k - 1].type)
    );
    if (i > 0)
      return `Empty "[]" at position ${positions[i]}: a filter or index needs an expression`;
  }
  return 'Condition is incomplete: an expression is missing';
}
