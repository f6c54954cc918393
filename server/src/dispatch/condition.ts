/**
 * Webhook trigger conditions: Jexl expressions evaluated against the document context
 * (`doc`, `previous`, `event`, `uid`, `model`, `documentId`, `locale`, `user`, `now`).
 *
 * Jexl is used for what it is good at — the grammar and the parser — but NOT for evaluation.
 * Jexl's own evaluator reads `subject[key]` straight off JavaScript objects, so
 * `doc["constructor"]` or `doc.name[k]` (k = "constructor" taken from the data) reach
 * `Object`/`String`, i.e. real functions. Conditions are written by admins but are still
 * untrusted input for the server process, so this module walks the parsed AST with its own
 * small evaluator that mirrors Jexl's semantics with these differences:
 *
 *  - Member access (`a.b`, `a["b"]`, `a[expr]`, relative `.b` inside filters) only returns
 *    OWN data properties of plain objects/arrays, indices and `length` of strings/arrays.
 *    Inherited properties, forbidden names (`constructor`, `__proto__`, `prototype`, …) and
 *    function values all read as `undefined`. Nothing callable is ever produced.
 *  - Member access on `null`/`undefined` yields `undefined` instead of throwing, also for the
 *    bracket form (`previous["status"]` when `previous` is null). Jexl itself is null-safe
 *    for the dot form only.
 *  - The context is deep-copied into plain JSON data first (`Date` → ISO string, getters
 *    evaluated once, functions dropped), so what a condition sees is exactly what a template
 *    or the webhook body sees.
 *  - Jexl "functions" (`foo(1)`) are not available; only the transforms listed below.
 *  - Evaluation is bounded by its work, not only by {@link MAX_EVALUATION_STEPS} AST node visits:
 *    every string and list an operation reads or builds is charged by its length against
 *    {@link MAX_EVALUATION_WORK} (a filter nested in a filter over 200 items applying `upper` to a
 *    1 MB field would otherwise run for seconds on Strapi's event loop), no string longer than
 *    {@link MAX_CONDITION_STRING_LENGTH} is built (memory), and a time limit backs both up.
 *    docs/security.md describes the limits.
 *
 * Like Jexl, a property access on an array through the dot form applies to its first element
 * (`doc.items.price` is `doc.items[0].price`); use the `length` transform to count items.
 *
 * Transforms (`value|name` or `value|name(arg)`):
 *  - `lower`, `upper`, `trim` — string case/whitespace (numbers/booleans are stringified first;
 *    anything else gives `undefined`).
 *  - `length` — length of a string or array, number of keys of an object.
 *  - `number` — numeric value of a number, numeric string or boolean; otherwise `undefined`.
 *  - `string` — string form; `null`/`undefined` → `""`, objects/arrays → JSON.
 *  - `keys` — own keys of an object (indices of an array), `[]` otherwise.
 *  - `includes(x)` — substring test on strings, strict membership on arrays, own key on objects.
 *  - `startsWith(x)`, `endsWith(x)` — string prefix/suffix tests (false on non-strings).
 *  - `abs`, `round(digits = 0)` — numeric helpers (`undefined` for non-numbers).
 *  - `date` — ISO-8601 string (or epoch ms number) → epoch milliseconds, `undefined` if invalid.
 *    Example: `doc.dueDate|date < now|date`.
 */
import jexl from 'jexl';

export const MAX_CONDITION_LENGTH = 2000;
/** Upper bound of AST node visits for one evaluation. */
export const MAX_EVALUATION_STEPS = 250_000;
/**
 * Upper bound of the characters and items one evaluation reads or builds (strings compared,
 * changed, concatenated or searched; lists filtered or searched): ~tens of ms of CPU, and so
 * also a bound of what it can allocate.
 */
export const MAX_EVALUATION_WORK = 20_000_000;
/** Longest string an evaluation may build (`+`, transforms). */
export const MAX_CONDITION_STRING_LENGTH = 4 * 1024 * 1024;
/** Default wall-clock limit of one evaluation (the work limit normally ends it much sooner). */
export const DEFAULT_CONDITION_TIMEOUT_MS = 1000;
const CACHE_SIZE = 500;

/**
 * Names that can never be read, whatever the object: they lead to constructors, prototypes
 * or prototype-mutation helpers.
 */
export const FORBIDDEN_CONDITION_NAMES: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

export class ConditionError extends Error {
  /** Set when a limit stopped the evaluation (rather than an error in the expression). */
  readonly limit?: 'work' | 'time' | 'memory';
  constructor(message: string, limit?: 'work' | 'time' | 'memory') {
    super(message);
    this.name = 'ConditionError';
    if (limit) this.limit = limit;
  }
}

/** The subset of the Jexl 2.3 AST produced by its parser. */
type JexlNode =
  | { type: 'Literal'; value: string | number | boolean }
  | { type: 'Identifier'; value: string; from?: JexlNode; relative?: boolean }
  | { type: 'UnaryExpression'; operator: string; right: JexlNode }
  | { type: 'BinaryExpression'; operator: string; left: JexlNode; right: JexlNode }
  | { type: 'ConditionalExpression'; test: JexlNode; consequent?: JexlNode; alternate: JexlNode }
  | { type: 'FilterExpression'; relative: boolean; expr: JexlNode; subject: JexlNode }
  | { type: 'ArrayLiteral'; value: JexlNode[] }
  | { type: 'ObjectLiteral'; value: Record<string, JexlNode> }
  | { type: 'FunctionCall'; name: string; pool: 'functions' | 'transforms'; args?: JexlNode[] };

export interface CompiledCondition {
  readonly source: string;
  /** Evaluates the condition against an already prepared context (see {@link prepareConditionContext}). */
  evaluate(context: Record<string, unknown>, timeoutMs?: number): unknown;
}

const hasOwn = (obj: object, key: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(obj, key);

// --- transforms --------------------------------------------------------------------------

type Transform = (value: unknown, ...args: unknown[]) => unknown;

const caseTransform =
  (fn: (s: string) => string): Transform =>
  (value) => {
    if (typeof value === 'string') return fn(value);
    if (typeof value === 'number' || typeof value === 'boolean') return fn(String(value));
    return undefined;
  };

const toNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Null-prototype table: a transform name can never resolve to an Object.prototype member. */
const TRANSFORMS: Record<string, Transform> = Object.assign(Object.create(null) as Record<string, Transform>, {
  lower: caseTransform((s) => s.toLowerCase()),
  upper: caseTransform((s) => s.toUpperCase()),
  trim: caseTransform((s) => s.trim()),
  length: (value: unknown) => {
    if (typeof value === 'string' || Array.isArray(value)) return value.length;
    if (isRecord(value)) return Object.keys(value).length;
    return undefined;
  },
  number: (value: unknown) => toNumber(value),
  string: (value: unknown) => {
    if (value === null || value === undefined) return '';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  },
  keys: (value: unknown) => (typeof value === 'object' && value !== null ? Object.keys(value) : []),
  includes: (value: unknown, needle: unknown) => {
    if (typeof value === 'string') return needle !== undefined && needle !== null && value.includes(String(needle));
    if (Array.isArray(value)) return value.some((elem) => elem === needle);
    if (isRecord(value) && (typeof needle === 'string' || typeof needle === 'number')) return hasOwn(value, needle);
    return false;
  },
  startsWith: (value: unknown, prefix: unknown) =>
    typeof value === 'string' && prefix !== undefined && prefix !== null && value.startsWith(String(prefix)),
  endsWith: (value: unknown, suffix: unknown) =>
    typeof value === 'string' && suffix !== undefined && suffix !== null && value.endsWith(String(suffix)),
  abs: (value: unknown) => {
    const n = toNumber(value);
    return n === undefined ? undefined : Math.abs(n);
  },
  round: (value: unknown, digits: unknown = 0) => {
    const n = toNumber(value);
    const d = toNumber(digits) ?? 0;
    if (n === undefined) return undefined;
    const factor = 10 ** Math.max(0, Math.min(15, Math.trunc(d)));
    return Math.round(n * factor) / factor;
  },
  date: (value: unknown) => {
    if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  },
});

/** Names of the transforms available in conditions. */
export const CONDITION_TRANSFORMS: readonly string[] = Object.freeze(Object.keys(TRANSFORMS));

// --- binary operators (same semantics as Jexl 2.3's default grammar) ----------------------

/* eslint-disable eqeqeq */
const BINARY_OPS: Record<string, (l: any, r: any) => unknown> = Object.assign(Object.create(null), {
  '+': (l: any, r: any) => l + r,
  '-': (l: any, r: any) => l - r,
  '*': (l: any, r: any) => l * r,
  '/': (l: any, r: any) => l / r,
  '//': (l: any, r: any) => Math.floor(l / r),
  '%': (l: any, r: any) => l % r,
  '^': (l: any, r: any) => Math.pow(l, r),
  '==': (l: any, r: any) => l == r,
  '!=': (l: any, r: any) => l != r,
  '>': (l: any, r: any) => l > r,
  '>=': (l: any, r: any) => l >= r,
  '<': (l: any, r: any) => l < r,
  '<=': (l: any, r: any) => l <= r,
  in: (l: unknown, r: unknown) => {
    if (typeof r === 'string') return r.indexOf(l as string) !== -1;
    if (Array.isArray(r)) return r.some((elem) => elem === l);
    return false;
  },
});
/* eslint-enable eqeqeq */

// --- parsing ------------------------------------------------------------------------------

// A dedicated instance: nothing registered on the shared default instance can leak in.
const parserInstance = new jexl.Jexl();
// The Jexl lexer looks tokens up in a plain object, so `constructor`/`toString` would resolve
// to Object.prototype members and yield confusing "(undefined) unexpected" errors. With a
// null prototype they lex as identifiers and get a clear "Forbidden name" message (or work,
// for harmless names such as `doc.toString`).
{
  const grammar = (parserInstance as unknown as { _grammar?: { elements?: object } })._grammar;
  if (grammar && grammar.elements) Object.setPrototypeOf(grammar.elements, null);
}

/** Turns Jexl's parser messages into "Unexpected token ")" at position 6" style messages. */
function describeSyntaxError(expr: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lead = expr.length - expr.trimStart().length;
  const unexpected = /^Token ([\s\S]*) \((\w+)\) unexpected in expression: ([\s\S]*)$/.exec(message);
  if (unexpected) {
    const [, raw, , consumed] = unexpected;
    const position = consumed.endsWith(raw) ? lead + consumed.length - raw.length : undefined;
    const where = position === undefined ? '' : ` at position ${position}`;
    return `Unexpected token "${raw.trim()}"${where}`;
  }
  if (message.startsWith('Unexpected end of expression')) {
    return `Unexpected end of expression at position ${expr.trimEnd().length}`;
  }
  const invalid = /^Invalid expression token: ([\s\S]*)$/.exec(message);
  if (invalid) {
    const position = expr.indexOf(invalid[1]);
    return `Invalid token "${invalid[1]}"${position >= 0 ? ` at position ${position}` : ''}`;
  }
  return `Invalid condition: ${message}`;
}

function parse(expr: string): JexlNode | null {
  try {
    return parserInstance.compile(expr)._getAst() as unknown as JexlNode | null;
  } catch (err) {
    throw new ConditionError(describeSyntaxError(expr, err));
  }
}

/** Folds `"constr" + "uctor"` style constant keys so the static check sees through them. */
function constantKey(node: JexlNode): string | undefined {
  if (node.type === 'Literal') return typeof node.value === 'boolean' ? undefined : String(node.value);
  if (node.type === 'BinaryExpression' && node.operator === '+') {
    const left = constantKey(node.left);
    const right = constantKey(node.right);
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  return undefined;
}

/** Static checks on the AST; returns the first problem found. */
function checkAst(node: JexlNode): string | null {
  switch (node.type) {
    case 'Literal':
      return null;
    case 'Identifier':
      if (FORBIDDEN_CONDITION_NAMES.has(node.value)) return `Forbidden name "${node.value}"`;
      return node.from ? checkAst(node.from) : null;
    case 'UnaryExpression':
      return checkAst(node.right);
    case 'BinaryExpression':
      if (!(node.operator in BINARY_OPS) && node.operator !== '&&' && node.operator !== '||') {
        return `Unsupported operator "${node.operator}"`;
      }
      return checkAst(node.left) ?? checkAst(node.right);
    case 'ConditionalExpression':
      return checkAst(node.test) ?? (node.consequent ? checkAst(node.consequent) : null) ?? checkAst(node.alternate);
    case 'FilterExpression': {
      if (!node.relative) {
        const key = constantKey(node.expr);
        if (key !== undefined && FORBIDDEN_CONDITION_NAMES.has(key)) return `Forbidden name "${key}"`;
      }
      return checkAst(node.subject) ?? checkAst(node.expr);
    }
    case 'ArrayLiteral':
      for (const elem of node.value) {
        const problem = checkAst(elem);
        if (problem) return problem;
      }
      return null;
    case 'ObjectLiteral':
      for (const [key, value] of Object.entries(node.value)) {
        if (FORBIDDEN_CONDITION_NAMES.has(key)) return `Forbidden name "${key}"`;
        const problem = checkAst(value);
        if (problem) return problem;
      }
      return null;
    case 'FunctionCall': {
      if (node.pool !== 'transforms') return `Functions are not supported: "${node.name}(…)"`;
      if (!hasOwn(TRANSFORMS, node.name)) {
        return `Unknown transform "${node.name}" (available: ${CONDITION_TRANSFORMS.join(', ')})`;
      }
      for (const arg of node.args ?? []) {
        const problem = checkAst(arg);
        if (problem) return problem;
      }
      return null;
    }
    default:
      return `Unsupported expression node "${(node as { type?: unknown }).type}"`;
  }
}

// --- evaluation ---------------------------------------------------------------------------

const INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * The only way a condition reads data: own data properties of objects/arrays, indices and
 * `length` of strings; never a forbidden name, never a function.
 */
function readMember(subject: unknown, key: unknown): unknown {
  if (subject === null || subject === undefined) return undefined;
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  const name = String(key);
  if (FORBIDDEN_CONDITION_NAMES.has(name)) return undefined;
  if (typeof subject === 'string') {
    if (name === 'length') return subject.length;
    return INDEX.test(name) ? subject[Number(name)] : undefined;
  }
  if (typeof subject !== 'object') return undefined;
  if (!hasOwn(subject, name)) return undefined;
  const value = (subject as Record<string, unknown>)[name];
  return typeof value === 'function' ? undefined : value;
}

const sizeOf = (value: unknown): number => (typeof value === 'string' || Array.isArray(value) ? value.length : 0);

class Evaluation {
  private steps = 0;
  private work = 0;
  private readonly deadline: number;

  constructor(
    private readonly context: Record<string, unknown>,
    private readonly timeoutMs: number,
  ) {
    this.deadline = Date.now() + timeoutMs;
  }

  /** Charges `units` of work (characters or items); throws past the limits. */
  private charge(units: number): void {
    this.work += units;
    if (this.work > MAX_EVALUATION_WORK) {
      throw new ConditionError(`Condition evaluation exceeded its work limit (${MAX_EVALUATION_WORK} characters and items processed)`, 'work');
    }
  }

  /** A string the evaluation built: charged, and refused past MAX_CONDITION_STRING_LENGTH. */
  private built(value: unknown): unknown {
    if (typeof value === 'string') {
      if (value.length > MAX_CONDITION_STRING_LENGTH) {
        throw new ConditionError(`Condition evaluation built a string longer than ${MAX_CONDITION_STRING_LENGTH} characters`, 'memory');
      }
      this.charge(value.length);
    }
    return value;
  }

  run(node: JexlNode, rel: unknown): unknown {
    if (++this.steps > MAX_EVALUATION_STEPS) {
      throw new ConditionError(`Condition evaluation exceeded ${MAX_EVALUATION_STEPS} steps`, 'work');
    }
    if ((this.steps & 1023) === 0 && Date.now() > this.deadline) {
      throw new ConditionError(`Condition evaluation exceeded ${this.timeoutMs} ms`, 'time');
    }
    switch (node.type) {
      case 'Literal':
        return node.value;
      case 'Identifier': {
        if (!node.from) return readMember(node.relative ? rel : this.context, node.value);
        let subject = this.run(node.from, rel);
        // Jexl semantics: `list.prop` reads the property of the first element.
        if (Array.isArray(subject)) subject = subject[0];
        return readMember(subject, node.value);
      }
      case 'UnaryExpression':
        if (node.operator !== '!') throw new ConditionError(`Unsupported operator "${node.operator}"`);
        return !this.run(node.right, rel);
      case 'BinaryExpression': {
        if (node.operator === '&&') {
          const left = this.run(node.left, rel);
          return left ? this.run(node.right, rel) : left;
        }
        if (node.operator === '||') {
          const left = this.run(node.left, rel);
          return left ? left : this.run(node.right, rel);
        }
        const op = BINARY_OPS[node.operator];
        if (!op) throw new ConditionError(`Unsupported operator "${node.operator}"`);
        const left = this.run(node.left, rel);
        const right = this.run(node.right, rel);
        // Comparing, searching or concatenating costs the length of what is read.
        if (typeof left === 'string' && typeof right === 'string' && node.operator !== '+') this.charge(left.length + right.length);
        else if (node.operator === 'in') this.charge(sizeOf(right));
        if (node.operator === '+' && (typeof left === 'string' || typeof right === 'string')) {
          // Check the size before building (String(object) is a short "[object Object]").
          const size = sizeOf(left) + sizeOf(right);
          if (size > MAX_CONDITION_STRING_LENGTH) {
            throw new ConditionError(`Condition evaluation built a string longer than ${MAX_CONDITION_STRING_LENGTH} characters`, 'memory');
          }
        }
        const result = op(left, right);
        return node.operator === '+' ? this.built(result) : result;
      }
      case 'ConditionalExpression': {
        const test = this.run(node.test, rel);
        if (test) return node.consequent ? this.run(node.consequent, rel) : test;
        return this.run(node.alternate, rel);
      }
      case 'FilterExpression': {
        const subject = this.run(node.subject, rel);
        if (node.relative) {
          const list = Array.isArray(subject) ? subject : subject === undefined ? [] : [subject];
          this.charge(list.length);
          return list.filter((elem) => Boolean(this.run(node.expr, elem)));
        }
        const key = this.run(node.expr, rel);
        if (typeof key === 'boolean') return key ? subject : undefined;
        return readMember(subject, key);
      }
      case 'ArrayLiteral':
        return node.value.map((elem) => this.run(elem, rel));
      case 'ObjectLiteral':
        return Object.fromEntries(Object.entries(node.value).map(([key, value]) => [key, this.run(value, rel)]));
      case 'FunctionCall': {
        const transform = node.pool === 'transforms' && hasOwn(TRANSFORMS, node.name) ? TRANSFORMS[node.name] : undefined;
        if (!transform) throw new ConditionError(`Unknown transform "${node.name}"`);
        const args = (node.args ?? []).map((arg) => this.run(arg, rel));
        // Transforms read their subject (and search in it): charged by its length first.
        this.charge(sizeOf(args[0]) + sizeOf(args[1]) + (isRecord(args[0]) ? Object.keys(args[0]).length : 0));
        if ((node.name === 'upper' || node.name === 'lower') && sizeOf(args[0]) * 3 > MAX_CONDITION_STRING_LENGTH) {
          // Case mapping can triple a string's length ("ß" → "SS", ligatures).
          throw new ConditionError(`Condition evaluation built a string longer than ${MAX_CONDITION_STRING_LENGTH} characters`, 'memory');
        }
        const result = transform(args[0], ...args.slice(1));
        if (typeof result === 'function') return undefined;
        return node.name === 'string' || node.name === 'upper' || node.name === 'lower' || node.name === 'trim' ? this.built(result) : result;
      }
      default:
        throw new ConditionError(`Unsupported expression node "${(node as { type?: unknown }).type}"`);
    }
  }
}

// --- public API ---------------------------------------------------------------------------

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

const isBlank = (expr: unknown): boolean => expr === null || expr === undefined || (typeof expr === 'string' && expr.trim() === '');

function buildCondition(expr: string): CompiledCondition {
  if (typeof expr !== 'string') throw new ConditionError('Condition must be a string');
  if (expr.length > MAX_CONDITION_LENGTH) {
    throw new ConditionError(`Condition is too long (${expr.length} characters, maximum ${MAX_CONDITION_LENGTH})`);
  }
  const ast = parse(expr);
  // What Jexl's parser let through unfinished (see structureProblem) is refused, not read as
  // "always true".
  const structural = isBlank(expr) ? null : structureProblem(expr);
  if (structural) throw new ConditionError(structural);
  if (!ast && !isBlank(expr)) throw new ConditionError('Condition is incomplete');
  if (ast) {
    const problem = checkAst(ast);
    if (problem) throw new ConditionError(problem);
  }
  return Object.freeze({
    source: expr,
    evaluate(context: Record<string, unknown>, timeoutMs = DEFAULT_CONDITION_TIMEOUT_MS): unknown {
      return ast ? new Evaluation(context, timeoutMs).run(ast, context) : true;
    },
  });
}

const cache = new Map<string, CompiledCondition>();

/**
 * Parses and statically checks `expr` (syntax, length, forbidden names, unknown transforms,
 * functions). Throws {@link ConditionError}. Results are cached (bounded, least recently used
 * entries evicted first).
 */
export function compileCondition(expr: string): CompiledCondition {
  const hit = cache.get(expr);
  if (hit) {
    // Refresh recency: Map iteration order is insertion order.
    cache.delete(expr);
    cache.set(expr, hit);
    return hit;
  }
  const compiled = buildCondition(expr);
  cache.set(expr, compiled);
  if (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return compiled;
}

/** Returns a human readable error message, or null when `expr` is a valid (or blank) condition. Never evaluates. */
export function validateCondition(expr: string): string | null {
  if (isBlank(expr)) return null;
  try {
    compileCondition(expr);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Deep-copies a context into plain JSON data (Dates become ISO strings, functions and
 * `undefined` values disappear, getters are read once). Throws ConditionError when the
 * context cannot be represented as JSON (cycles, BigInt).
 */
export function prepareConditionContext(context: Record<string, unknown>): Record<string, unknown> {
  let plain: unknown;
  try {
    plain = JSON.parse(JSON.stringify(context ?? {}));
  } catch (err) {
    throw new ConditionError(`Condition context cannot be serialised: ${err instanceof Error ? err.message : String(err)}`);
  }
  return isRecord(plain) ? plain : {};
}

/**
 * Evaluates a condition: blank/null/undefined means "always" (true); otherwise the
 * truthiness of the expression's value. Syntax and runtime problems reject with
 * {@link ConditionError}.
 */
export async function evaluateCondition(
  expr: string | null | undefined,
  context: Record<string, unknown>,
  opts: { timeoutMs?: number } = {},
): Promise<boolean> {
  if (isBlank(expr)) return true;
  const compiled = compileCondition(expr as string);
  try {
    return Boolean(compiled.evaluate(prepareConditionContext(context), opts.timeoutMs));
  } catch (err) {
    if (err instanceof ConditionError) throw err;
    throw new ConditionError(`Condition evaluation failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
