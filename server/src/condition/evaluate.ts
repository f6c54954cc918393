/**
 * The condition evaluator: walks the AST from `parse.ts` with Jexl's semantics but its own,
 * safe member access, synchronously and within a budget (docs/security.md, sections 2a and 3).
 *
 * Jexl's own evaluator reads `subject[key]` straight off JavaScript objects, so
 * `doc["constructor"]` or `doc.name[k]` (k = "constructor" taken from the data) reach
 * `Object`/`String`, i.e. real functions. Conditions are written by admins but are still
 * untrusted input for the server process. The differences from Jexl:
 *
 *  - Member access (`a.b`, `a["b"]`, `a[expr]`, relative `.b` inside filters) only returns
 *    OWN data properties of plain objects/arrays, indices and `length` of strings/arrays.
 *    Inherited properties, forbidden names (`constructor`, `__proto__`, `prototype`, …) and
 *    function values all read as `undefined`. Nothing callable is ever produced.
 *  - Member access on `null`/`undefined` yields `undefined` instead of throwing, also for the
 *    bracket form (`previous["status"]` when `previous` is null). Jexl itself is null-safe
 *    for the dot form only.
 *  - The context is deep-copied into plain JSON data first ({@link prepareConditionContext}:
 *    `Date` → ISO string, getters evaluated once, functions dropped), so what a condition sees is
 *    exactly what a template or the webhook body sees.
 *  - Jexl "functions" (`foo(1)`) are not available; only the transforms of `transforms.ts`.
 *  - Evaluation is bounded by its work, not only by {@link MAX_EVALUATION_STEPS} AST node visits:
 *    every string and list an operation reads or builds is charged by its length against
 *    {@link MAX_EVALUATION_WORK} (a filter nested in a filter over 200 items applying `upper` to a
 *    1 MB field would otherwise run for seconds on Strapi's event loop), no string longer than
 *    {@link MAX_CONDITION_STRING_LENGTH} is built (memory), and a time limit backs both up.
 *
 * Like Jexl, a property access on an array through the dot form applies to its first element
 * (`doc.items.price` is `doc.items[0].price`); use the `length` transform to count items.
 */
import { ConditionError } from './errors';
import { FORBIDDEN_CONDITION_NAMES } from './check';
import { BINARY_OPS } from './operators';
import type { JexlNode } from './parse';
import { STRING_BUILDING_TRANSFORMS, TRANSFORMS, hasOwn, isRecord } from './transforms';

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

const sizeOf = (value: unknown): number =>
  typeof value === 'string' || Array.isArray(value) ? value.length : 0;

class Evaluation {
  private steps = 0;
  private work = 0;
  private readonly deadline: number;

  constructor(
    private readonly context: Record<string, unknown>,
    private readonly timeoutMs: number
  ) {
    this.deadline = Date.now() + timeoutMs;
  }

  /** Charges `units` of work (characters or items); throws past the limits. */
  private charge(units: number): void {
    this.work += units;
    if (this.work > MAX_EVALUATION_WORK) {
      throw new ConditionError(
        `Condition evaluation exceeded its work limit (${MAX_EVALUATION_WORK} characters and items processed)`,
        'work'
      );
    }
  }

  /** A string the evaluation built: charged, and refused past MAX_CONDITION_STRING_LENGTH. */
  private built(value: unknown): unknown {
    if (typeof value === 'string') {
      if (value.length > MAX_CONDITION_STRING_LENGTH) {
        throw new ConditionError(
          `Condition evaluation built a string longer than ${MAX_CONDITION_STRING_LENGTH} characters`,
          'memory'
        );
      }
      this.charge(value.length);
    }
    return value;
  }

  run(node: JexlNode, rel: unknown): unknown {
    if (++this.steps > MAX_EVALUATION_STEPS) {
      throw new ConditionError(
        `Condition evaluation exceeded ${MAX_EVALUATION_STEPS} steps`,
        'work'
      );
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
        if (node.operator !== '!')
          throw new ConditionError(`Unsupported operator "${node.operator}"`);
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
        if (typeof left === 'string' && typeof right === 'string' && node.operator !== '+')
          this.charge(left.length + right.length);
        else if (node.operator === 'in') this.charge(sizeOf(right));
        if (node.operator === '+' && (typeof left === 'string' || typeof right === 'string')) {
          // Check the size before building (String(object) is a short "[object Object]").
          const size = sizeOf(left) + sizeOf(right);
          if (size > MAX_CONDITION_STRING_LENGTH) {
            throw new ConditionError(
              `Condition evaluation built a string longer than ${MAX_CONDITION_STRING_LENGTH} characters`,
              'memory'
            );
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
        return Object.fromEntries(
          Object.entries(node.value).map(([key, value]) => [key, this.run(value, rel)])
        );
      case 'FunctionCall': {
        const transform =
          node.pool === 'transforms' && hasOwn(TRANSFORMS, node.name)
            ? TRANSFORMS[node.name]
            : undefined;
        if (!transform) throw new ConditionError(`Unknown transform "${node.name}"`);
        const args = (node.args ?? []).map((arg) => this.run(arg, rel));
        // Transforms read their subject (and search in it): charged by its length first.
        this.charge(
          sizeOf(args[0]) + sizeOf(args[1]) + (isRecord(args[0]) ? Object.keys(args[0]).length : 0)
        );
        if (
          (node.name === 'upper' || node.name === 'lower') &&
          sizeOf(args[0]) * 3 > MAX_CONDITION_STRING_LENGTH
        ) {
          // Case mapping can triple a string's length ("ß" → "SS", ligatures).
          throw new ConditionError(
            `Condition evaluation built a string longer than ${MAX_CONDITION_STRING_LENGTH} characters`,
            'memory'
          );
        }
        const result = transform(args[0], ...args.slice(1));
        if (typeof result === 'function') return undefined;
        return STRING_BUILDING_TRANSFORMS.has(node.name) ? this.built(result) : result;
      }
      default:
        throw new ConditionError(
          `Unsupported expression node "${(node as { type?: unknown }).type}"`
        );
    }
  }
}

/**
 * Value of a checked AST (see `check.ts`) against a context prepared by
 * {@link prepareConditionContext}. Synchronous: throws {@link ConditionError} past a limit.
 */
export function evaluateAst(
  ast: JexlNode,
  context: Record<string, unknown>,
  timeoutMs = DEFAULT_CONDITION_TIMEOUT_MS
): unknown {
  return new Evaluation(context, timeoutMs).run(ast, context);
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
    throw new ConditionError(
      `Condition context cannot be serialised: ${err instanceof Error ? err.message : String(err)}`
    );
  }
  return isRecord(plain) ? plain : {};
}
