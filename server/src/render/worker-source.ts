/**
 * Source of a render process, run with `node --max-old-space-size=… -e RENDER_WORKER_SOURCE
 * <settings JSON>` and an IPC channel (renderer.ts). A child process rather than a worker
 * thread: V8 aborts the WHOLE process when any isolate of it runs out of memory, and one
 * oversized string (a template doubling a string 26 times) does that before a worker's
 * `resourceLimits` can stop it. A child process dies alone (docs/security.md).
 *
 * It is a self-contained plain-JavaScript string on purpose: no separate file the plugin
 * bundler would have to emit, and no transpiler helpers (`__name`, import shims…) sneaking
 * into a `fn.toString()`. It only uses `require(settings.nunjucksPath)`.
 *
 * Nunjucks has no sandbox (mozilla/nunjucks#271): compiled templates read members with
 * `obj[key]` and call whatever they find, so `range.constructor("…")()` runs arbitrary code.
 * Each render process has its own copy of the nunjucks modules and patches that copy's runtime:
 *
 *  - `memberLookup` (every `a.b` / `a[b]`): own data properties of objects/arrays and
 *    indices/length of strings only; forbidden names and function values read as undefined.
 *    Upstream returns bound methods, which is how `"".constructor.constructor` etc. work.
 *  - `contextOrFrameLookup` (every bare variable): own properties of the frames, of the
 *    render context and of the (emptied) globals only — no `toString`/`constructor` from
 *    Object.prototype.
 *  - `callWrap` (every call expression): only functions created by `makeMacro` (template
 *    macros and `{% call %}` callers) may be called.
 *  - `suppressValue` (every `{{ }}` output): functions print as "" (no source text) and the
 *    produced text is counted so runaway output stops early.
 *  - `inOperator`: own keys only.
 *  - `fromIterator` (the subject of every `{% for %}`): an object is iterated as a copy of
 *    its own data properties, and a SafeString as its text — `{% for k, v in x %}` compiles
 *    to a `for…in`, which also yields inherited enumerable properties (defence in depth).
 *  - every filter: function arguments are dropped, and its result is data only (functions
 *    removed from it and from the arrays/objects it built, up to the nesting the built-in
 *    filters create); `dictsort` and `list` read own properties only; the attribute-taking
 *    filters (`join`, `selectattr`, `rejectattr`, `sum`, `groupby`) read attributes through
 *    the same safe lookup.
 *  - globals `range`, `cycler`, `joiner` are removed; globals/filters/tests tables have a null
 *    prototype; no loaders, so nothing can be imported or included.
 *
 * Protocol: the process sends `{ type: 'ready' }` once, then answers each
 * `{ id, source, contextJson, maxOutputBytes }` with `{ id, ok: true, output }` or
 * `{ id, ok: false, kind: 'output' | 'render', message }`. It exits when the IPC channel
 * closes (parent gone), so it never outlives Strapi.
 */
export const RENDER_WORKER_SOURCE = String.raw`
'use strict';
const workerData = JSON.parse(process.argv[process.argv.length - 1]);
const parentPort = {
  postMessage: (msg) => process.send(msg),
  on: (event, fn) => process.on(event, fn),
};
process.on('disconnect', () => process.exit(0));
const nunjucks = require(workerData.nunjucksPath);
const runtime = nunjucks.runtime;
const SafeString = runtime.SafeString;
const FORBIDDEN = new Set(workerData.forbiddenNames);
const CACHE_SIZE = workerData.cacheSize;
const INDEX = /^(?:0|[1-9][0-9]*)$/;
const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

// Per-render bookkeeping, reset before each render (renders are sequential in this thread).
const state = { produced: 0, limit: Infinity, exceeded: false };
class OutputLimitError extends Error {}

function readMember(obj, key) {
  if (obj === undefined || obj === null) return undefined;
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  const name = String(key);
  if (FORBIDDEN.has(name)) return undefined;
  if (typeof obj === 'string') {
    if (name === 'length') return obj.length;
    return INDEX.test(name) ? obj[Number(name)] : undefined;
  }
  if (typeof obj !== 'object') return undefined;
  if (!hasOwn(obj, name)) return undefined;
  const value = obj[name];
  return typeof value === 'function' ? undefined : value;
}

function readPath(obj, attr) {
  const parts = typeof attr === 'string' ? attr.split('.') : [attr];
  let value = obj;
  for (const part of parts) value = readMember(value, part);
  return value;
}

runtime.memberLookup = function memberLookup(obj, key) {
  return readMember(obj, key);
};

runtime.contextOrFrameLookup = function contextOrFrameLookup(context, frame, name) {
  if (typeof name !== 'string' || FORBIDDEN.has(name)) return undefined;
  for (let f = frame; f; f = f.parent) {
    const vars = f.variables;
    if (vars && hasOwn(vars, name) && vars[name] !== undefined) return vars[name];
  }
  if (context.ctx && hasOwn(context.ctx, name)) return context.ctx[name];
  if (context.env && hasOwn(context.env.globals, name)) return context.env.globals[name];
  return undefined;
};

const MACROS = new WeakSet();
const originalMakeMacro = runtime.makeMacro;
runtime.makeMacro = function makeMacro(argNames, kwargNames, func) {
  const macro = originalMakeMacro(argNames, kwargNames, func);
  MACROS.add(macro);
  return macro;
};

runtime.callWrap = function callWrap(obj, name, context, args) {
  if (typeof obj === 'function' && MACROS.has(obj)) return obj.apply(context, args);
  throw new Error('Unable to call ' + name + ': only macros defined in the template can be called');
};

function printable(value) {
  if (typeof value === 'function') return '';
  if (Array.isArray(value)) {
    return value.map((item) => (item === null || item === undefined ? '' : printable(item))).join(',');
  }
  return value;
}

const originalSuppressValue = runtime.suppressValue;
runtime.suppressValue = function suppressValue(value, autoescape) {
  const out = originalSuppressValue(printable(value), autoescape);
  // Macro results are SafeStrings whose text was already counted when the macro printed it.
  if (!(out instanceof SafeString)) {
    state.produced += typeof out === 'string' ? out.length : String(out).length;
    if (state.produced > state.limit) {
      state.exceeded = true;
      throw new OutputLimitError('output limit');
    }
  }
  return out;
};

const originalInOperator = runtime.inOperator;
runtime.inOperator = function inOperator(key, value) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof SafeString)) {
    return (typeof key === 'string' || typeof key === 'number') && !FORBIDDEN.has(String(key)) && hasOwn(value, key);
  }
  return originalInOperator(key, value);
};

const isPlainObject = (value) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** Own data properties of an object, no functions: what a template may iterate. */
function ownData(obj) {
  const out = Object.create(null);
  for (const key of Object.keys(obj)) {
    if (FORBIDDEN.has(key)) continue;
    const value = obj[key];
    if (typeof value !== 'function') out[key] = value;
  }
  return out;
}

const originalFromIterator = runtime.fromIterator;
runtime.fromIterator = function fromIterator(value) {
  if (value instanceof SafeString) return String(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return ownData(value);
  return originalFromIterator(value);
};

/**
 * A filter's result as plain data: functions become undefined, also inside the arrays and
 * objects it built. Built-in filters nest at most 2 levels (batch, slice, groupby, dictsort,
 * list); below that sits the template's own data, which holds no functions. Copies only
 * when something had to go.
 */
function dataOnly(value, depth) {
  if (typeof value === 'function') return undefined;
  if (value === null || typeof value !== 'object' || value instanceof SafeString) return value;
  if (Array.isArray(value)) {
    if (depth <= 0) return value;
    let out = value;
    for (let i = 0; i < value.length; i++) {
      const clean = dataOnly(value[i], depth - 1);
      if (clean !== value[i]) {
        if (out === value) out = value.slice();
        out[i] = clean;
      }
    }
    return out;
  }
  // Anything but a plain object (a built-in's helper object) carries methods: not data.
  if (!isPlainObject(value)) return undefined;
  if (depth <= 0) return value;
  let out = value;
  for (const key of Object.keys(value)) {
    const clean = dataOnly(value[key], depth - 1);
    if (clean !== value[key]) {
      if (out === value) out = Object.assign(Object.create(null), value);
      if (clean === undefined) delete out[key];
      else out[key] = clean;
    }
  }
  return out;
}

// No loaders at all: passing [] stops nunjucks from defaulting to a FileSystemLoader('views').
const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });
for (const name of ['range', 'cycler', 'joiner']) delete env.globals[name];
Object.setPrototypeOf(env.globals, null);
Object.setPrototypeOf(env.tests, null);

const dropFunction = (value) => (typeof value === 'function' ? undefined : value);
env.addFilter('json', (value, indent) => {
  const out = JSON.stringify(value, null, typeof indent === 'number' ? indent : undefined);
  return out === undefined ? '' : out;
});
const filters = env.filters;
const safeAttributeFilters = {
  // Upstream walks for…in (inherited enumerable methods included, on purpose): own data only.
  dictsort(original, val, caseSensitive, by) {
    if (!isPlainObject(val)) throw new Error('dictsort filter: val must be an object');
    return original(ownData(val), caseSensitive, by);
  },
  list(original, val) {
    return original(isPlainObject(val) ? ownData(val) : val instanceof SafeString ? String(val) : val);
  },
  groupby(original, arr, attr) {
    if (!Array.isArray(arr)) return Object.create(null);
    const groups = Object.create(null);
    for (const item of arr) {
      const key = readPath(item, attr);
      const name = key === undefined ? 'undefined' : String(key);
      if (FORBIDDEN.has(name)) continue;
      (groups[name] = groups[name] || []).push(item);
    }
    return groups;
  },
  join(original, arr, del, attr) {
    if (attr !== undefined && Array.isArray(arr)) return original(arr.map((item) => readPath(item, attr)), del);
    return original(arr, del);
  },
  selectattr(original, arr, attr) {
    return Array.isArray(arr) ? arr.filter((item) => !!readPath(item, attr)) : [];
  },
  rejectattr(original, arr, attr) {
    return Array.isArray(arr) ? arr.filter((item) => !readPath(item, attr)) : [];
  },
  sum(original, arr, attr, start) {
    if (attr !== undefined && Array.isArray(arr)) return original(arr.map((item) => readPath(item, attr)), undefined, start);
    return original(arr, attr, start);
  },
};
for (const name of Object.keys(filters)) {
  const original = filters[name];
  const special = safeAttributeFilters[name];
  const bound = function (...args) {
    return original.apply(this, args);
  };
  filters[name] = function safeFilter(...args) {
    const clean = args.map(dropFunction);
    const result = special ? special.call(this, bound.bind(this), ...clean) : original.apply(this, clean);
    return dataOnly(result, 3);
  };
}
Object.setPrototypeOf(filters, null);

const cache = new Map();
function compile(source) {
  let template = cache.get(source);
  if (template) {
    cache.delete(source);
  } else {
    template = new nunjucks.Template(source, env, 'template', true);
  }
  cache.set(source, template);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
  return template;
}

// Compile-stage positions are 1-based; render-stage ones come from runtime.handleError,
// which nunjucks feeds 0-based AST positions (and omits entirely on the first line).
function describe(err, stage) {
  const raw = err && typeof err.message === 'string' ? err.message : String(err);
  const match = /^\([^)]*\)(?: \[Line (\d+)(?:, Column (\d+))?\])?\s*/.exec(raw);
  const detail = (match ? raw.slice(match[0].length) : raw).trim();
  const shift = stage === 'render' ? 1 : 0;
  let line = match && match[1] ? Number(match[1]) + shift : undefined;
  const col = match && match[2] ? Number(match[2]) + shift : undefined;
  if (line === undefined && stage === 'render') line = 1;
  const where = line ? ' at line ' + line + (col ? ', column ' + col : '') : '';
  return 'Template ' + (stage === 'render' ? 'render' : 'syntax') + ' error' + where + ': ' + detail;
}

parentPort.on('message', (msg) => {
  state.produced = 0;
  state.limit = msg.maxOutputBytes;
  state.exceeded = false;
  try {
    let context = JSON.parse(msg.contextJson);
    if (context === null || typeof context !== 'object' || Array.isArray(context)) context = {};
    let template;
    try {
      template = compile(msg.source);
    } catch (err) {
      parentPort.postMessage({ id: msg.id, ok: false, kind: 'render', message: describe(err, 'compile') });
      return;
    }
    const output = template.render(context);
    if (Buffer.byteLength(output, 'utf8') > msg.maxOutputBytes) {
      parentPort.postMessage({ id: msg.id, ok: false, kind: 'output', message: 'output limit' });
      return;
    }
    parentPort.postMessage({ id: msg.id, ok: true, output });
  } catch (err) {
    if (state.exceeded) {
      parentPort.postMessage({ id: msg.id, ok: false, kind: 'output', message: 'output limit' });
    } else {
      parentPort.postMessage({ id: msg.id, ok: false, kind: 'render', message: describe(err, 'render') });
    }
  }
});

parentPort.postMessage({ type: 'ready' });
`;
