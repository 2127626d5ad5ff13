/**
 * Jinja2's filters and tests where nunjucks lacks them or differs (python-jinja.ts adds them to our SQL
 * environment only): map, select/reject and selectattr/rejectattr with a test and its argument,
 * join/sum/unique/min/max with `attribute=`, `format`, Python's `%` and slices, and iteration over a
 * dict's keys.
 */
import type nunjucks from 'nunjucks';

/** nunjucks passes keyword arguments as a trailing object marked `__keywords`. */
export type Keywords = Record<string, unknown> & { __keywords?: boolean };
export const isKeywords = (v: unknown): v is Keywords => !!v && typeof v === 'object' && (v as Keywords).__keywords === true;
export const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/** Positional arguments and keywords of a filter call. */
function split(args: unknown[]): [unknown[], Keywords] {
  return isKeywords(args.at(-1)) ? [args.slice(0, -1), args.at(-1) as Keywords] : [args, {}];
}

/** `attribute='a.b'` or `attribute=0`: Jinja's make_attrgetter (a missing attribute is undefined). */
function attribute(item: unknown, path: unknown): unknown {
  return String(path)
    .split('.')
    .reduce<unknown>((v, key) => {
      if (v === null || v === undefined) return undefined;
      const k = /^\d+$/.test(key) && Array.isArray(v) ? Number(key) : key;
      return (v as Record<string | number, unknown>)[k];
    }, item);
}

/** What a filter iterates: a dict's keys, a string's characters; None cannot be (a TypeError, as in Python). */
function items(seq: unknown): unknown[] {
  if (seq === null || seq === undefined) throw new TypeError(`'NoneType' object is not iterable`);
  if (isDict(seq)) return Object.keys(seq);
  return Array.from(seq as Iterable<unknown>);
}

/** Jinja2's tests, by every name it gives them. */
const TESTS: Record<string, (v: unknown, arg?: unknown) => boolean> = {
  defined: (v) => v !== undefined,
  undefined: (v) => v === undefined,
  none: (v) => v === null,
  true: (v) => v === true,
  false: (v) => v === false,
  boolean: (v) => typeof v === 'boolean',
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => Number.isInteger(v),
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  mapping: (v) => isDict(v),
  sequence: (v) => typeof v === 'string' || Array.isArray(v) || isDict(v),
  iterable: (v) => typeof v === 'string' || Array.isArray(v) || isDict(v),
  callable: (v) => typeof v === 'function',
  odd: (v) => Number(v) % 2 === 1,
  even: (v) => Number(v) % 2 === 0,
  divisibleby: (v, n) => Number(v) % Number(n) === 0,
  lower: (v) => String(v) === String(v).toLowerCase(),
  upper: (v) => String(v) === String(v).toUpperCase(),
  in: (v, seq) => items(seq).includes(v) || (typeof seq === 'string' && seq.includes(String(v))),
  sameas: (v, o) => v === o,
  eq: (v, o) => v === o,
  ne: (v, o) => v !== o,
  lt: (v, o) => (v as number) < (o as number),
  le: (v, o) => (v as number) <= (o as number),
  gt: (v, o) => (v as number) > (o as number),
  ge: (v, o) => (v as number) >= (o as number),
};
for (const [alias, name] of [
  ['equalto', 'eq'],
  ['==', 'eq'],
  ['!=', 'ne'],
  ['lessthan', 'lt'],
  ['<', 'lt'],
  ['<=', 'le'],
  ['greaterthan', 'gt'],
  ['>', 'gt'],
  ['>=', 'ge'],
  ['truthy', 'true'],
] as const)
  TESTS[alias] = TESTS[name];
/** nunjucks' truthy test (select() without a name), kept apart from Jinja's `true` (is True). */
const truthy = (v: unknown) => !!v && !(Array.isArray(v) && v.length === 0);

function test(name: unknown): (v: unknown, arg?: unknown) => boolean {
  if (name === undefined) return truthy;
  const found = TESTS[String(name)];
  if (!found) throw new Error(`no test named "${String(name)}" (Jinja's tests: ${Object.keys(TESTS).join(', ')})`);
  return found;
}

/** Python's ordering for min, max, unique: strings compared case-insensitively unless asked. */
const key = (caseSensitive: unknown, attr: unknown) => (v: unknown) => {
  const x = attr === undefined || attr === null ? v : attribute(v, attr);
  return !caseSensitive && typeof x === 'string' ? x.toLowerCase() : x;
};

/** Python's `%` formatting: %s %r %d %i %f %.2f %5s %-5s %05d %x %o %e %%, a tuple or a mapping (%(name)s). */
function percentFormat(format: string, values: unknown, repr: (v: unknown) => string, str: (v: unknown) => string): string {
  const list = Array.isArray(values) ? values : [values];
  let next = 0;
  const out = format.replace(
    /%(?:\(([^)]*)\))?([-+ 0#]*)(\d+)?(?:\.(\d+))?([sridfFeExXoc%])/g,
    (_, name: string, flags: string, width: string, precision: string, type: string) => {
      if (type === '%') return '%';
      const v = name !== undefined ? (values as Record<string, unknown>)[name] : list[next++];
      if (v === undefined) throw new Error('not enough arguments for format string');
      let text: string;
      const n = Number(v);
      if (type === 's') text = str(v);
      else if (type === 'r') text = repr(v);
      else if (type === 'c') text = typeof v === 'number' ? String.fromCharCode(v) : String(v);
      else if (Number.isNaN(n)) throw new Error(`%${type} format: a number is required, not ${typeof v}`);
      else if (type === 'd' || type === 'i') text = String(Math.trunc(n));
      else if (type === 'f' || type === 'F') text = n.toFixed(precision === undefined ? 6 : Number(precision));
      else if (type === 'e' || type === 'E') {
        text = n.toExponential(precision === undefined ? 6 : Number(precision)).replace(/e([+-])(\d)$/, (_, sign: string, d: string) => `e${sign}0${d}`);
        if (type === 'E') text = text.toUpperCase();
      } else {
        const digits = Math.trunc(n).toString(type === 'o' ? 8 : 16);
        text = type === 'X' ? digits.toUpperCase() : digits;
      }
      if (precision !== undefined && (type === 's' || type === 'r')) text = text.slice(0, Number(precision));
      if (flags.includes('+') && n >= 0 && type !== 's' && type !== 'r') text = `+${text}`;
      const w = Number(width ?? 0);
      if (text.length < w)
        text = flags.includes('-')
          ? text.padEnd(w)
          : flags.includes('0') && type !== 's'
            ? text.replace(/^([+-]?)/, (s) => s + '0'.repeat(w - text.length))
            : text.padStart(w);
      return text;
    },
  );
  if (Array.isArray(values) && next < values.length) throw new Error('not all arguments converted during string formatting');
  return out;
}

/** Python's slice of a string or list: `x[1:]`, `x[:-1]`, `x[::2]`, `x[::-1]`. */
function pySlice(value: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  const seq = typeof value === 'string' ? Array.from(value) : Array.isArray(value) ? value : undefined;
  if (!seq) throw new Error(`cannot slice ${value === null || value === undefined ? 'None' : typeof value}`);
  const n = seq.length;
  const by = step === null || step === undefined ? 1 : Number(step);
  if (by === 0) throw new Error('slice step cannot be zero');
  const clamp = (v: unknown, fallback: number) => {
    if (v === null || v === undefined) return fallback;
    let i = Number(v);
    if (i < 0) i += n;
    return by > 0 ? Math.min(Math.max(i, 0), n) : Math.min(Math.max(i, -1), n - 1);
  };
  const [from, to] = by > 0 ? [clamp(start, 0), clamp(stop, n)] : [clamp(start, n - 1), clamp(stop, -1)];
  const out: unknown[] = [];
  for (let i = from; by > 0 ? i < to : i > to; i += by) out.push(seq[i]);
  return typeof value === 'string' ? out.join('') : out;
}

/** Python's modulo: a string formats, numbers take the divisor's sign. */
function pyMod(a: unknown, b: unknown, repr: (v: unknown) => string, str: (v: unknown) => string): unknown {
  if (typeof a === 'string') return percentFormat(a, b, repr, str);
  const [x, y] = [Number(a), Number(b)];
  return ((x % y) + y) % y;
}

/** Adds the filters above to our SQL environment. */
export function addPythonFilters(env: nunjucks.Environment, repr: (v: unknown) => string, str: (v: unknown) => string): void {
  const filter = (name: string, fn: (this: { env: nunjucks.Environment }, ...args: never[]) => unknown) =>
    env.addFilter(name, fn as (...args: unknown[]) => unknown);
  filter('map', function (this: { env: nunjucks.Environment }, seq: unknown, ...rest: unknown[]) {
    const [args, kw] = split(rest);
    if (kw.attribute !== undefined) return items(seq).map((x) => attribute(x, kw.attribute) ?? kw.default);
    if (!args.length) throw new Error('map: give a filter name or attribute=');
    const [name, ...extra] = args;
    const fn = this.env.getFilter(String(name));
    return items(seq).map((x) => (fn as (...a: unknown[]) => unknown).call(this, x, ...extra, ...(Object.keys(kw).length ? [kw] : [])));
  });
  const choose = (keep: boolean, byAttribute: boolean) =>
    function (seq: unknown, ...args: unknown[]) {
      const [attr, ...rest] = byAttribute ? args : [undefined, ...args];
      const check = test(rest[0]);
      return items(seq).filter((x) => check(byAttribute ? attribute(x, attr) : x, rest[1]) === keep);
    };
  filter('select', choose(true, false));
  filter('reject', choose(false, false));
  filter('selectattr', choose(true, true));
  filter('rejectattr', choose(false, true));
  filter('join', (seq: unknown, ...rest: unknown[]) => {
    const [args, kw] = split(rest);
    const attr = kw.attribute ?? args[1];
    return items(seq)
      .map((x) => str(attr === undefined ? x : attribute(x, attr)))
      .join(args[0] === undefined ? String(kw.d ?? '') : String(args[0]));
  });
  filter('sum', (seq: unknown, ...rest: unknown[]) => {
    const [args, kw] = split(rest);
    const attr = kw.attribute ?? args[0];
    return items(seq).reduce<number>((total, x) => total + Number(attr === undefined ? x : attribute(x, attr)), Number(kw.start ?? args[1] ?? 0));
  });
  filter('unique', (seq: unknown, ...rest: unknown[]) => {
    const [args, kw] = split(rest);
    const by = key(kw.case_sensitive ?? args[0], kw.attribute ?? args[1]);
    const seen = new Set<unknown>();
    return items(seq).filter((x) => !seen.has(by(x)) && !!seen.add(by(x)));
  });
  for (const [name, better] of [
    ['min', -1],
    ['max', 1],
  ] as const) {
    filter(name, (seq: unknown, ...rest: unknown[]) => {
      const [args, kw] = split(rest);
      const by = key(kw.case_sensitive ?? args[0], kw.attribute ?? args[1]);
      const list = items(seq);
      if (!list.length) return undefined;
      return list.reduce((best, x) => ((by(x) as number) > (by(best) as number) === (better === 1) && by(x) !== by(best) ? x : best));
    });
  }
  filter('format', (text: unknown, ...rest: unknown[]) => {
    const [args, kw] = split(rest);
    return percentFormat(String(text), Object.keys(kw).length ? kw : args, repr, str);
  });
  // Python's round(): the exact binary value rounded, a tie (2.5, 0.125) to the even digit.
  filter('round', (value: unknown, precision: unknown = 0, method: unknown = 'common') => {
    const [x, p] = [Number(value), Number(precision)];
    if (method === 'ceil' || method === 'floor') return Math[method](x * 10 ** p) / 10 ** p;
    const digits = Math.abs(x).toFixed(Math.min(100, p + 60));
    const rest = digits.slice(digits.indexOf('.') + 1 + p);
    if (!/^50*$/.test(rest)) return Number(x.toFixed(p));
    const down = Number((Math.sign(x) * Number(digits.slice(0, digits.length - rest.length))).toFixed(p));
    const last = Number(digits.replace('.', '').at(-rest.length - 1));
    return last % 2 === 0 ? down : Number((down + Math.sign(x) * 10 ** -p).toFixed(p));
  });
  filter('list', (v: unknown) => items(v));
  // Jinja's string filters take str() of what they get: a relation (ref(), this) is its quoted name.
  const textual = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !isDict(v) && (v as object).toString !== Object.prototype.toString ? String(v) : v;
  for (const name of ['replace', 'lower', 'upper', 'trim', 'title', 'capitalize', 'truncate', 'indent', 'wordcount', 'center', 'striptags']) {
    const own = env.getFilter(name) as (...a: unknown[]) => unknown;
    filter(name, function (this: unknown, v: unknown, ...rest: unknown[]) {
      return own.call(this, textual(v), ...rest);
    });
  }
  // Internal: the targets of the syntax python-jinja.ts compiles.
  filter('__keys', (v: unknown) => (isDict(v) ? Object.keys(v) : v));
  filter('__slice', pySlice as (...a: never[]) => unknown);
  filter('__mod', (a: unknown, b: unknown) => pyMod(a, b, repr, str));
}
