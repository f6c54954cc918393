/**
 * Webhook trigger conditions: Jexl expressions evaluated against the document context
 * (`doc`, `previous`, `event`, `uid`, `model`, `documentId`, `locale`, `user`, `now`);
 * docs/security.md, section 3.
 *
 *  - `parse.ts`: source → Jexl AST (Jexl's grammar and parser), syntax errors with positions.
 *  - `check.ts`: static checks (forbidden names, unknown operators, functions, transforms).
 *  - `evaluate.ts`: the plugin's own synchronous, work-bounded evaluator.
 *  - `operators.ts`, `transforms.ts`: the operator and transform tables.
 *
 * Everything is synchronous: parsing and evaluation never wait for anything.
 */
import { ConditionError } from './errors';
import { checkAst } from './check';
import { DEFAULT_CONDITION_TIMEOUT_MS, evaluateAst, prepareConditionContext } from './evaluate';
import { parseCondition } from './parse';

export { ConditionError } from './errors';
export { FORBIDDEN_CONDITION_NAMES } from './check';
export {
  DEFAULT_CONDITION_TIMEOUT_MS,
  MAX_CONDITION_STRING_LENGTH,
  MAX_EVALUATION_STEPS,
  MAX_EVALUATION_WORK,
  prepareConditionContext,
} from './evaluate';
export { CONDITION_TRANSFORMS } from './transforms';

export const MAX_CONDITION_LENGTH = 2000;
const CACHE_SIZE = 500;

export interface CompiledCondition {
  readonly source: string;
  /** Evaluates the condition against an already prepared context (see {@link prepareConditionContext}). */
  evaluate(context: Record<string, unknown>, timeoutMs?: number): unknown;
}

const isBlank = (expr: unknown): boolean =>
  expr === null || expr === undefined || (typeof expr === 'string' && expr.trim() === '');

function buildCondition(expr: string): CompiledCondition {
  if (typeof expr !== 'string') throw new ConditionError('Condition must be a string');
  if (expr.length > MAX_CONDITION_LENGTH) {
    throw new ConditionError(
      `Condition is too long (${expr.length} characters, maximum ${MAX_CONDITION_LENGTH})`
    );
  }
  const ast = parseCondition(expr);
  if (ast) {
    const problem = checkAst(ast);
    if (problem) throw new ConditionError(problem);
  }
  return Object.freeze({
    source: expr,
    evaluate(context: Record<string, unknown>, timeoutMs = DEFAULT_CONDITION_TIMEOUT_MS): unknown {
      return ast ? evaluateAst(ast, context, timeoutMs) : true;
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
 * Evaluates a condition: blank/null/undefined means "always" (true); otherwise the
 * truthiness of the expression's value. Synchronous; syntax and runtime problems throw
 * {@link ConditionError}.
 */
export function evaluateCondition(
  expr: string | null | undefined,
  context: Record<string, unknown>,
  opts: { timeoutMs?: number } = {}
): boolean {
  if (isBlank(expr)) return true;
  const compiled = compileCondition(expr as string);
  try {
    return Boolean(compiled.evaluate(prepareConditionContext(context), opts.timeoutMs));
  } catch (err) {
    if (err instanceof ConditionError) throw err;
    throw new ConditionError(
      `Condition evaluation failed: ${err instanceof Error ? err.message : String(err)}`
    );
  }
}
