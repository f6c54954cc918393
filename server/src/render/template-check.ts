/**
 * Static check of an untrusted Nunjucks template: syntax (with the line number) and a walk
 * of the parsed AST refusing constructs that lead out of the data sandbox — forbidden names
 * such as `constructor` as a variable, attribute (`a.constructor`, `a["constr" ~ "uctor"]`),
 * filter or test name, and template loading tags (`import`, `include`, `extends`, `from`).
 *
 * This is defence in depth: dynamic keys (`doc[k]`) cannot be seen statically, so the render
 * processes enforce the same rules at runtime (see worker-source.ts).
 *
 * Nesting is bounded (MAX_TEMPLATE_DEPTH): nunjucks' parser, code generator and this walk all
 * recurse, and a `~` chain of 4000 or a `|trim` chain of 6000 would overflow the stack. Results
 * are cached per source: a render checks again, and a 64 KiB template takes a few hundred ms
 * of main thread to parse and compile.
 */
import * as nunjucks from 'nunjucks';
import { FORBIDDEN_TEMPLATE_NAME_SET } from './forbidden';

export const MAX_TEMPLATE_LENGTH = 65536;
/** Deepest nesting of expressions and tags accepted. */
export const MAX_TEMPLATE_DEPTH = 1000;
/** Checked sources remembered (least recently used evicted first). */
const CACHE_SIZE = 100;

/** Minimal typing of the nunjucks internals used here (not covered by @types/nunjucks). */
interface NjNode {
  typename: string;
  fields: string[];
  lineno?: number;
  colno?: number;
  value?: unknown;
  [field: string]: unknown;
}
interface NjInternals {
  lexer: { lex(src: string, opts?: object): { lineno: number; colno: number } };
  parser: {
    Parser: new (tokens: unknown) => {
      tokens: { lineno: number; colno: number };
      parseAsRoot(): NjNode;
    };
  };
  compiler: {
    compile(
      src: string,
      asyncFilters: string[],
      extensions: unknown[],
      name: string,
      opts: object
    ): string;
  };
  nodes: { Node: abstract new (...args: never[]) => NjNode };
}
const nj = nunjucks as unknown as NjInternals;

const LOADING_TAGS: Record<string, string> = {
  Import: 'import',
  FromImport: 'from … import',
  Include: 'include',
  Extends: 'extends',
};

/** Filters whose string arguments name attributes of the items they receive. */
const ATTRIBUTE_FILTERS = new Set(['join', 'selectattr', 'rejectattr', 'sum', 'sort', 'groupby']);

/** Filters added by the render processes on top of the nunjucks built-ins. */
const EXTRA_FILTERS = ['json'];

let known: { filters: Set<string>; tests: Set<string> } | undefined;
/** Built-in filter and test names, read once from a throw-away environment. */
function knownNames(): { filters: Set<string>; tests: Set<string> } {
  if (!known) {
    const env = new nunjucks.Environment([]) as unknown as { filters: object; tests: object };
    known = {
      filters: new Set([...Object.keys(env.filters), ...EXTRA_FILTERS]),
      tests: new Set(Object.keys(env.tests)),
    };
  }
  return known;
}

class TemplateCheckFailure extends Error {}

const lineOf = (node: NjNode, fallback: number): number =>
  typeof node.lineno === 'number' ? node.lineno + 1 : fallback;

/**
 * Folds constant string keys (`"constr" + "uctor"`, `"a" ~ "b"`) so the check sees through them.
 * Deeper than MAX_TEMPLATE_DEPTH it gives up: the walk refuses such a template anyway.
 */
function constantString(node: unknown, depth = 0): string | undefined {
  if (!(node instanceof nj.nodes.Node) || depth > MAX_TEMPLATE_DEPTH) return undefined;
  const n = node as NjNode;
  if (n.typename === 'Literal')
    return typeof n.value === 'string' || typeof n.value === 'number' ? String(n.value) : undefined;
  if (n.typename === 'Add' || n.typename === 'Concat') {
    const left = constantString(n.left, depth + 1);
    const right = left === undefined ? undefined : constantString(n.right, depth + 1);
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  return undefined;
}

function forbidden(name: string, line: number): never {
  throw new TemplateCheckFailure(`Forbidden name "${name}" at line ${line}`);
}

/** Checks every node, iteratively (an explicit stack: no recursion to overflow). */
function walk(root: NjNode): void {
  const stack: [NjNode, number, number][] = [[root, 1, 0]];
  while (stack.length) {
    const [node, parentLine, depth] = stack.pop() as [NjNode, number, number];
    const line = lineOf(node, parentLine);
    if (depth > MAX_TEMPLATE_DEPTH) {
      throw new TemplateCheckFailure(
        `Template is nested too deeply (more than ${MAX_TEMPLATE_DEPTH} levels) at line ${line}`
      );
    }
    checkNode(node, line);
    // Not only the declared `fields`: the parser also hangs children on other properties that
    // code generation reads (`{% set x %}…{% endset %}` keeps its body in `Set.body`, which is
    // not a declared field), and those must be checked too.
    const keys = new Set<string>([...node.fields, ...Object.keys(node)]);
    const children: NjNode[] = [];
    for (const field of keys) {
      const child = node[field];
      if (Array.isArray(child)) {
        for (const item of child) if (item instanceof nj.nodes.Node) children.push(item as NjNode);
      } else if (child instanceof nj.nodes.Node) {
        children.push(child as NjNode);
      }
    }
    // Reversed onto the stack: problems are found in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], line, depth + 1]);
  }
}

function checkNode(node: NjNode, line: number): void {
  const tag = LOADING_TAGS[node.typename];
  if (tag)
    throw new TemplateCheckFailure(
      `"{% ${tag} %}" is not allowed (templates cannot load other templates) at line ${line}`
    );

  if (
    node.typename === 'Symbol' &&
    typeof node.value === 'string' &&
    FORBIDDEN_TEMPLATE_NAME_SET.has(node.value)
  ) {
    forbidden(node.value, line);
  }
  if (node.typename === 'LookupVal') {
    const key = constantString(node.val);
    if (key !== undefined && FORBIDDEN_TEMPLATE_NAME_SET.has(key)) forbidden(key, line);
  }
  if (node.typename === 'Filter' || node.typename === 'FilterAsync') {
    const filterName = (node.name as NjNode | undefined)?.value;
    if (
      typeof filterName === 'string' &&
      !FORBIDDEN_TEMPLATE_NAME_SET.has(filterName) &&
      !knownNames().filters.has(filterName)
    ) {
      throw new TemplateCheckFailure(`Unknown filter "${filterName}" at line ${line}`);
    }
  }
  if (node.typename === 'Is') {
    const right = node.right as NjNode | undefined;
    const test =
      right?.typename === 'FunCall' ? (right.name as NjNode | undefined)?.value : right?.value;
    if (
      typeof test === 'string' &&
      !FORBIDDEN_TEMPLATE_NAME_SET.has(test) &&
      !knownNames().tests.has(test)
    ) {
      throw new TemplateCheckFailure(`Unknown test "${test}" at line ${line}`);
    }
  }
  if (node.typename === 'Filter') {
    const name = node.name as NjNode | undefined;
    if (name && typeof name.value === 'string' && ATTRIBUTE_FILTERS.has(name.value)) {
      const args = (node.args as NjNode | undefined)?.children;
      for (const arg of Array.isArray(args) ? args : []) {
        const attr = constantString(arg);
        const bad = attr?.split('.').find((part) => FORBIDDEN_TEMPLATE_NAME_SET.has(part));
        if (bad) forbidden(bad, line);
      }
    }
  }
}

function syntaxMessage(err: unknown, fallbackLine: number, fallbackCol: number): string {
  const e = err as { message?: unknown; lineno?: unknown; colno?: unknown };
  const line = typeof e.lineno === 'number' && e.lineno > 0 ? e.lineno : fallbackLine;
  const col = typeof e.colno === 'number' && e.colno > 0 ? e.colno : fallbackCol;
  let detail = typeof e.message === 'string' ? e.message : String(err);
  // A few nunjucks parser paths crash with a TypeError at end of input instead of reporting.
  if (err instanceof TypeError) detail = 'unexpected end of template';
  // The parser recursed too deep (e.g. thousands of nested brackets or tags).
  if (err instanceof RangeError)
    return `Template is nested too deeply at line ${line}, column ${col}`;
  return `Template syntax error at line ${line}, column ${col}: ${detail.trim()}`;
}

const cache = new Map<string, string | null>();

/**
 * Returns null when `source` is an acceptable template, otherwise a human readable reason
 * that contains "line N" (syntax errors also give the column). Cached per source.
 */
export function checkTemplate(source: string): string | null {
  if (typeof source !== 'string') return 'Template must be a string';
  if (cache.has(source)) {
    const hit = cache.get(source) as string | null;
    // Refresh recency: Map iteration order is insertion order.
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const result = uncachedCheck(source);
  cache.set(source, result);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return result;
}

function uncachedCheck(source: string): string | null {
  if (source.length > MAX_TEMPLATE_LENGTH) {
    return `Template is too long (${source.length} characters, maximum ${MAX_TEMPLATE_LENGTH}) at line 1`;
  }
  let root: NjNode;
  let parser: InstanceType<NjInternals['parser']['Parser']> | undefined;
  try {
    parser = new nj.parser.Parser(nj.lexer.lex(source));
    root = parser.parseAsRoot();
  } catch (err) {
    // Lexer errors carry no position; the tokenizer's cursor is where it stopped.
    const pos = parser?.tokens;
    return syntaxMessage(err, pos ? pos.lineno + 1 : 1, pos ? pos.colno + 1 : 1);
  }
  try {
    walk(root);
  } catch (err) {
    if (err instanceof TemplateCheckFailure) return err.message;
    throw err;
  }
  try {
    // Code generation has a few checks of its own (e.g. invalid assignment targets).
    nj.compiler.compile(source, [], [], 'template', {});
  } catch (err) {
    return syntaxMessage(err, 1, 1);
  }
  return null;
}
