/**
 * Python's Jinja semantics where dbt macros rely on them, on top of nunjucks: str methods (`strip`,
 * `split`, `replace`, `startswith`, `isalnum`, `format`, …) with Python's results (JS's own `replace`
 * and `split` differ silently), dict and list methods (`items`, `get` → None, `append`), negative
 * indexes (`parts[-1]`), tuples, `{% do %}`, `| tojson`, True/False/lists printed as Python prints
 * them, and macros that end by an exception (dbt's `return()`) giving their caller's scope back.
 * docs/ARCHITECTURE.md says why nunjucks and not another engine.
 *
 * nunjucks keeps its runtime and compiler in one module for the whole process (the report's HTML
 * environment shares them), so each patch below acts only while `active` — set around our own
 * compile and render calls, which are synchronous.
 */
import nunjucks from 'nunjucks';
import { addPythonFilters, isDict, isKeywords, type Keywords } from './python-filters.ts';
import { Namespace, patchSyntax } from './python-syntax.ts';

let active = 0;

/** Runs `fn` with Python's semantics on (compiling and rendering SQL templates). */
export function pythonJinja<T>(fn: () => T): T {
  active++;
  try {
    return fn();
  } finally {
    active--;
  }
}

const own = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** Python's set (dbt's `set()`): a list of unique values that prints as a set. */
export class PySet extends Array<unknown> {
  add(x: unknown) {
    if (!this.includes(x)) this.push(x);
    return '';
  }
  union(other: Iterable<unknown>) {
    return PySet.from(new Set([...this, ...other])) as PySet;
  }
  intersection(other: Iterable<unknown>) {
    const keep = new Set(other);
    return PySet.from(this.filter((x) => keep.has(x))) as PySet;
  }
  difference(other: Iterable<unknown>) {
    const drop = new Set(other);
    return PySet.from(this.filter((x) => !drop.has(x))) as PySet;
  }
}

/** Python's repr(), for what str() of a list or dict shows. */
function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (v instanceof PySet) return v.length ? `{${v.map(pyRepr).join(', ')}}` : 'set()';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isDict(v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  return String(v);
}

/** Python's str(): what `{{ x }}` prints. */
const pyStr = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'boolean' || Array.isArray(v) || isDict(v) ? pyRepr(v) : String(v));

/** Python's json.dumps (", " and ": " separators): sorted keys as Jinja's | tojson, in order as dbt's tojson(). */
export function toJson(v: unknown, sortKeys = false): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => toJson(x, sortKeys)).join(', ')}]`;
  const keys = Object.keys(v).filter((k) => k !== '__keywords');
  if (sortKeys) keys.sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${toJson((v as Record<string, unknown>)[k], sortKeys)}`).join(', ')}}`;
}

const WHITESPACE = ' \t\n\r\v\f';
function strip(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = typeof chars === 'string' ? chars : WHITESPACE;
  let [a, b] = [0, s.length];
  while (left && a < b && set.includes(s[a])) a++;
  while (right && b > a && set.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

function split(s: string, sep: unknown = null, max: unknown = -1): string[] {
  const limit = typeof max === 'number' ? max : -1;
  if (sep === null || sep === undefined) {
    // No separator: runs of whitespace, none at the ends.
    const words = s.trim() === '' ? [] : s.trim().split(/\s+/);
    if (limit < 0 || words.length <= limit + 1) return words;
    const head = words.slice(0, limit);
    let rest = s.trimStart();
    for (const w of head) rest = rest.slice(rest.indexOf(w) + w.length).trimStart();
    return [...head, rest.trimEnd()];
  }
  const parts = s.split(String(sep));
  return limit >= 0 && parts.length > limit + 1 ? [...parts.slice(0, limit), parts.slice(limit).join(String(sep))] : parts;
}

/** "{}_{}", "{0}.{1}", "{name}" (format specs such as {:>5} are refused, not ignored). */
function format(s: string, ...all: unknown[]): string {
  const keywords = isKeywords(all.at(-1)) ? (all.pop() as Keywords) : {};
  let next = 0;
  return s.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string) => {
    if (m === '{{' || m === '}}') return m[0];
    const [name, spec] = field.split(':');
    if (spec !== undefined) throw new Error(`str.format: the format spec ":${spec}" is not supported`);
    const value = name === '' ? all[next++] : /^\d+$/.test(name) ? all[Number(name)] : keywords[name];
    if (value === undefined) throw new Error(`str.format: no value for {${name}}`);
    return pyStr(value);
  });
}

const STR: Record<string, (s: string, ...a: unknown[]) => unknown> = {
  strip: (s, c) => strip(s, c, true, true),
  lstrip: (s, c) => strip(s, c, true, false),
  rstrip: (s, c) => strip(s, c, false, true),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  title: (s) => s.toLowerCase().replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_, a: string, b: string) => a + b.toUpperCase()),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  replace: (s, a, b, count = -1) => {
    const parts = s.split(String(a));
    const n = Number(count);
    return n < 0 || parts.length - 1 <= n ? parts.join(String(b)) : parts.slice(0, n + 1).join(String(b)) + String(a) + parts.slice(n + 1).join(String(a));
  },
  split: (s, sep, max) => split(s, sep, max),
  startswith: (s, p) => [p].flat().some((x) => s.startsWith(String(x))),
  endswith: (s, p) => [p].flat().some((x) => s.endsWith(String(x))),
  isalnum: (s) => /^[\p{L}\p{N}]+$/u.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isdigit: (s) => /^\p{Nd}+$/u.test(s),
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
  find: (s, x) => s.indexOf(String(x)),
  count: (s, x) => s.split(String(x)).length - 1,
  join: (s, xs) => Array.from(xs as Iterable<unknown>, pyStr).join(s),
  zfill: (s, n) => s.padStart(Number(n), '0'),
  format,
};

const DICT: Record<string, (d: Record<string, unknown>, ...a: unknown[]) => unknown> = {
  items: (d) => Object.entries(d),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  get: (d, k, fallback = null) => (own(d, String(k)) ? d[String(k)] : isKeywords(fallback) ? null : fallback),
  update: (d, other) => (Object.assign(d, other), ''),
  pop: (d, k, fallback = null) => {
    const value = own(d, String(k)) ? d[String(k)] : fallback;
    delete d[String(k)];
    return value;
  },
  setdefault: (d, k, value = null) => (own(d, String(k)) ? d[String(k)] : (d[String(k)] = value)),
};

const LIST: Record<string, (l: unknown[], ...a: unknown[]) => unknown> = {
  append: (l, x) => (l.push(x), ''),
  extend: (l, xs) => (l.push(...(xs as unknown[])), ''),
  insert: (l, i, x) => (l.splice(Number(i), 0, x), ''),
  pop: (l, i = -1) => l.splice(Number(i), 1)[0],
  remove: (l, x) => (l.splice(l.indexOf(x), 1), ''),
  index: (l, x) => l.indexOf(x),
  count: (l, x) => l.filter((y) => y === x).length,
};

/** The parts of nunjucks' parser, nodes, runtime and compiler used here (not in its type declarations). */
interface Parser {
  nextToken(): { value: string; lineno: number; colno: number };
  parseExpression(): unknown;
  advanceAfterBlockEnd(name: string): void;
}
interface Nodes {
  CallExtension: new (extension: object, method: string, args: unknown) => unknown;
  NodeList: new (lineno: number, colno: number, children: unknown[]) => unknown;
}
interface Runtime {
  memberLookup(obj: unknown, key: string | number, ...rest: unknown[]): unknown;
  makeMacro(argNames: string[], kwargNames: string[], func: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown;
  __extraKeywords?: (kwargs: Keywords, known: string[]) => Record<string, unknown>;
  suppressValue(value: unknown, autoescape: boolean): unknown;
  SafeString: new (...args: unknown[]) => object;
}
interface Compiler {
  codebuf: string[];
  compileGroup(node: { children: unknown[]; tuple?: boolean }, frame: unknown): void;
  _compileAggregate(node: unknown, frame: unknown, open: string, close: string): void;
  _compileMacro(node: { args: { children: Array<{ value?: string; children?: Array<{ key: { value: string } }> }> } }, frame: unknown): string;
}

/** `{% do expr %}`: the expression is evaluated (a list's append), its value dropped. */
class DoExtension {
  tags = ['do'];
  parse(parser: Parser, nodes: Nodes) {
    const token = parser.nextToken();
    const expression = parser.parseExpression();
    parser.advanceAfterBlockEnd(token.value);
    return new nodes.CallExtension(this, 'run', new nodes.NodeList(token.lineno, token.colno, [expression]));
  }
  run() {
    return '';
  }
}

let patched = false;

/** Adds the above to an environment (and, once, to nunjucks' runtime and compiler, acting only while active). */
export function addPythonJinja(env: nunjucks.Environment): void {
  env.addExtension('do', new DoExtension());
  env.addFilter('tojson', (v: unknown) => toJson(v, true));
  addPythonFilters(env, pyRepr, pyStr);
  env.addGlobal('namespace', (values?: Record<string, unknown>) => new Namespace(values));
  env.addGlobal('dict', (values?: Record<string, unknown>) => Object.fromEntries(Object.entries(values ?? {}).filter(([k]) => k !== '__keywords')));
  if (patched) return;
  patched = true;
  patchSyntax(() => active > 0);
  const { runtime } = nunjucks as unknown as { runtime: Runtime };
  const memberLookup = runtime.memberLookup;
  runtime.memberLookup = function (this: unknown, obj: unknown, key: string | number, ...rest: unknown[]) {
    if (active && !rest.length) {
      if (typeof key === 'number') {
        // `parts[-1]`: Python counts a negative index from the end.
        if (key < 0 && (typeof obj === 'string' || Array.isArray(obj))) return obj.at(key);
      } else {
        const table = typeof obj === 'string' ? STR : Array.isArray(obj) ? LIST : isDict(obj) && !own(obj, key) ? DICT : undefined;
        if (table && own(table, key)) return (...args: unknown[]) => (table[key] as (o: unknown, ...a: unknown[]) => unknown)(obj, ...args);
      }
    }
    return memberLookup.call(this, obj, key, ...rest);
  };
  const suppressValue = runtime.suppressValue;
  runtime.suppressValue = function (this: unknown, value: unknown, autoescape: boolean) {
    return suppressValue.call(this, active && !(value instanceof runtime.SafeString) && value != null ? pyStr(value) : value, autoescape);
  };
  // `("a", "b")` is a tuple in Python; nunjucks would compile a JS comma expression (its last value).
  const compiler = (nunjucks as unknown as { compiler: { Compiler: { prototype: Compiler } } }).compiler.Compiler.prototype;
  const compileGroup = compiler.compileGroup;
  compiler.compileGroup = function (this: Compiler, node: { children: unknown[]; tuple?: boolean }, frame: unknown) {
    if (active && (node.children.length > 1 || node.tuple)) return this._compileAggregate(node, frame, '[', ']');
    return compileGroup.call(this, node, frame);
  };
  // A macro sets the template's one `frame` variable to its own scope and gives the caller's back as
  // it ends — not when an exception leaves it. dbt's return(x) is such an exception (caught where the
  // macro was called): the calling macro then read its keyword arguments and {% set %} names in the
  // callee's scope (undefined, or the callee's values). Each macro body is put in a try whose finally
  // gives the caller's scope back.
  const compileMacro = compiler._compileMacro;
  compiler._compileMacro = function (this: Compiler, node: Parameters<Compiler['_compileMacro']>[0], frame: unknown) {
    if (!active) return compileMacro.call(this, node, frame);
    const from = this.codebuf.length;
    const id = compileMacro.call(this, node, frame);
    // Its first line saves the caller's scope; nested macros (call blocks) end before it does.
    const start = this.codebuf.indexOf('var callerFrame = frame;\n', from);
    const end = this.codebuf.findLastIndex((line, i) => i > from && line.startsWith('return new runtime.SafeString('));
    const keywords = this.codebuf.indexOf('kwargs = kwargs || {};\n', from);
    if (start < 0 || end < 0 || keywords < 0 || this.codebuf[end + 1] !== '});\n')
      throw new Error('nunjucks compiled a macro in a way this version does not know');
    this.codebuf[start] += 'try {\n';
    this.codebuf[end + 1] = '} finally { frame = callerFrame; }\n});\n';
    // Jinja2's varargs and kwargs: the arguments the signature does not name.
    const known = node.args.children.flatMap((a) => (a.value !== undefined ? [a.value] : (a.children ?? []).map((p) => p.key.value)));
    this.codebuf[keywords] +=
      `frame.set("varargs", kwargs.__varargs || []);\nframe.set("kwargs", runtime.__extraKeywords(kwargs, ${JSON.stringify(known)}));\n`;
    return id;
  };
  // Positional arguments beyond the signature travel to the macro as varargs (nunjucks drops them).
  const makeMacro = runtime.makeMacro;
  runtime.makeMacro = function (argNames: string[], kwargNames: string[], func: (...args: unknown[]) => unknown) {
    const macro = makeMacro.call(this, argNames, kwargNames, func);
    if (!active) return macro;
    return function (this: unknown, ...args: unknown[]) {
      const keywords = isKeywords(args.at(-1)) ? (args.pop() as Keywords) : undefined;
      const limit = argNames.length + kwargNames.length;
      if (args.length > limit) args = [...args.slice(0, limit), { ...keywords, __keywords: true, __varargs: args.slice(limit) }];
      else if (keywords) args.push(keywords);
      return macro.apply(this, args);
    };
  };
  runtime.__extraKeywords = (kwargs: Keywords, known: string[]) =>
    Object.fromEntries(Object.entries(kwargs).filter(([k]) => !known.includes(k) && !['__keywords', '__varargs', 'caller'].includes(k)));
}
