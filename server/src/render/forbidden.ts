/**
 * Names a template may never reference, as a variable, attribute, filter/test name or
 * key. They lead to constructors (→ `Function` → arbitrary code), prototypes, Node globals or
 * the module system. Shared by the static check (main thread) and, serialised, by the
 * render processes' runtime guards.
 */
/**
 * Names that lead to constructors, prototypes or prototype-mutation helpers on any object:
 * refused in templates (below) and in conditions (`condition/check.ts`).
 */
export const PROTOTYPE_NAMES: readonly string[] = Object.freeze([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

export const FORBIDDEN_TEMPLATE_NAMES: readonly string[] = Object.freeze([
  ...PROTOTYPE_NAMES,
  'process',
  'require',
  'global',
  'globalThis',
  'Function',
  'eval',
  'module',
  'this',
]);

export const FORBIDDEN_TEMPLATE_NAME_SET: ReadonlySet<string> = new Set(FORBIDDEN_TEMPLATE_NAMES);
