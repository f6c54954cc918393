/**
 * Names a template may never reference, as a variable, attribute, filter/test name or
 * key. They lead to constructors (→ `Function` → arbitrary code), prototypes, Node globals or
 * the module system. Shared by the static check (main thread) and, serialised, by the
 * render processes' runtime guards.
 */
export const FORBIDDEN_TEMPLATE_NAMES: readonly string[] = Object.freeze([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
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
