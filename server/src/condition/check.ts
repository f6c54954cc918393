/**
 * What the condition evaluator (`evaluate.ts`) refuses to run, found without evaluating:
 * forbidden names, also as constant computed keys; operators, functions and transforms it does
 * not have (docs/security.md, section 3).
 */
import { PROTOTYPE_NAMES } from '../render/forbidden';
import type { JexlNode } from './parse';
import { BINARY_OPS } from './operators';
import { CONDITION_TRANSFORMS, TRANSFORMS, hasOwn } from './transforms';

/**
 * Names that can never be read, whatever the object: they lead to constructors, prototypes
 * or prototype-mutation helpers (the templates' list starts with the same names).
 */
export const FORBIDDEN_CONDITION_NAMES: ReadonlySet<string> = new Set(PROTOTYPE_NAMES);

/** Folds `"constr" + "uctor"` style constant keys so the static check sees through them. */
function constantKey(node: JexlNode): string | undefined {
  if (node.type === 'Literal')
    return typeof node.value === 'boolean' ? undefined : String(node.value);
  if (node.type === 'BinaryExpression' && node.operator === '+') {
    const left = constantKey(node.left);
    const right = constantKey(node.right);
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  return undefined;
}

/**
 * What this evaluator refuses to run, found without evaluating (forbidden names, including
 * constant computed keys; operators, functions and transforms it does not have). Returns the
 * first problem, or null.
 */
export function checkAst(node: JexlNode): string | null {
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
      return (
        checkAst(node.test) ??
        (node.consequent ? checkAst(node.consequent) : null) ??
        checkAst(node.alternate)
      );
    case 'FilterExpression': {
      if (!node.relative) {
        const key = constantKey(node.expr);
        if (key !== undefined && FORBIDDEN_CONDITION_NAMES.has(key))
          return `Forbidden name "${key}"`;
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
