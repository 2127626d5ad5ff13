/**
 * dbt's `modules.re`: Python's re on JavaScript's RegExp, for the subset both share (classes, groups,
 * named groups, lookarounds, flags I/M/S). What has no JS equivalent is refused with the construct
 * named, never run with another meaning.
 */
import { isKeywords, type Keywords } from './python-filters.ts';

const FLAGS = { IGNORECASE: 2, I: 2, MULTILINE: 8, M: 8, DOTALL: 16, S: 16, VERBOSE: 64, X: 64, ASCII: 256, A: 256 };

/** The trailing keyword arguments of a call, taken off `args`. */
const keywords = (args: unknown[]): Keywords => (isKeywords(args.at(-1)) ? (args.pop() as Keywords) : {});

/** A Python pattern as a JS RegExp source and flags (`g` always: every use sets lastIndex). */
function translate(pattern: string, flags: number): RegExp {
  let source = String(pattern);
  let f = 'g';
  // Inline flags at the start: (?i), (?ims).
  source = source.replace(/^\(\?([aimsx]+)\)/, (_, inline: string) => {
    if (inline.includes('i')) flags |= FLAGS.I;
    if (inline.includes('m')) flags |= FLAGS.M;
    if (inline.includes('s')) flags |= FLAGS.S;
    if (inline.includes('x')) flags |= FLAGS.X;
    return '';
  });
  if (flags & FLAGS.X) throw new Error('modules.re: re.VERBOSE patterns are not supported (write the pattern without comments and spaces)');
  for (const [construct, why] of [
    [/\(\?[aiLmsux-]+:/, 'scoped inline flags (?i:…)'],
    [/\(\?\(/, 'conditional groups (?(…)…)'],
    [/\(\?>/, 'atomic groups (?>…)'],
    [/[*+?}]\+/, 'possessive quantifiers'],
  ] as const) {
    if (construct.test(source)) throw new Error(`modules.re: ${why} have no JavaScript equivalent`);
  }
  source = source
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  if (flags & FLAGS.I) f += 'i';
  if (flags & FLAGS.M) f += 'm';
  if (flags & FLAGS.S) f += 's';
  return new RegExp(source, f);
}

/** Python's match object: group(), groups(), groupdict(), start(), end(), span(). */
class PyMatch {
  constructor(private readonly m: RegExpExecArray) {}
  group(...which: unknown[]) {
    const one = (n: unknown) => (typeof n === 'number' ? this.m[n] : this.m.groups?.[String(n)]) ?? null;
    return which.length <= 1 ? one(which[0] ?? 0) : which.map(one);
  }
  groups(fallback: unknown = null) {
    return this.m.slice(1).map((g) => g ?? fallback);
  }
  groupdict(fallback: unknown = null) {
    return Object.fromEntries(Object.entries(this.m.groups ?? {}).map(([k, v]) => [k, v ?? fallback]));
  }
  start() {
    return this.m.index;
  }
  end() {
    return this.m.index + this.m[0].length;
  }
  span() {
    return [this.start(), this.end()];
  }
  get string() {
    return this.m.input;
  }
  toString() {
    return `<re.Match object; span=(${this.start()}, ${this.end()}), match='${this.m[0]}'>`;
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };

/** A replacement as Python expands it: `\1`, `\g<1>`, `\g<name>`, `\n`. */
function expand(repl: string, m: RegExpExecArray): string {
  return repl.replace(/\\(?:g<(\w+)>|(\d{1,2})|(.))/g, (_, name: string, digits: string, other: string) => {
    if (name !== undefined) return (/^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? '';
    if (digits !== undefined) return m[Number(digits)] ?? '';
    return ESCAPES[other] ?? `\\${other}`;
  });
}

/** A compiled pattern: the module's functions with the pattern bound. */
class PyPattern {
  readonly regex: RegExp;
  constructor(
    readonly pattern: string,
    readonly flags = 0,
  ) {
    this.regex = translate(pattern, flags);
  }
  private exec(text: unknown, at = 0, sticky = false): RegExpExecArray | null {
    const regex = sticky ? new RegExp(this.regex.source, this.regex.flags.replace('g', '') + 'y') : this.regex;
    regex.lastIndex = at;
    return regex.exec(String(text));
  }
  match(text: unknown) {
    const m = this.exec(text, 0, true);
    return m ? new PyMatch(m) : null;
  }
  fullmatch(text: unknown) {
    const m = this.exec(text, 0, true);
    return m && m[0].length === String(text).length ? new PyMatch(m) : null;
  }
  search(text: unknown) {
    const m = this.exec(text);
    return m ? new PyMatch(m) : null;
  }
  findall(text: unknown) {
    return [...String(text).matchAll(this.regex)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((g) => g ?? '')));
  }
  finditer(text: unknown) {
    return [...String(text).matchAll(this.regex)].map((m) => new PyMatch(m as RegExpExecArray));
  }
  sub(repl: unknown, text: unknown, ...rest: unknown[]) {
    const count = Number(keywords(rest).count ?? rest[0] ?? 0);
    let n = 0;
    return String(text).replace(this.regex, (...args: unknown[]) => {
      const m = matchOf(args);
      if (count > 0 && n++ >= count) return m[0];
      return typeof repl === 'function' ? String((repl as (m: PyMatch) => unknown)(new PyMatch(m))) : expand(String(repl), m);
    });
  }
  split(text: unknown, ...rest: unknown[]) {
    const max = Number(keywords(rest).maxsplit ?? rest[0] ?? 0);
    const s = String(text);
    const out: unknown[] = [];
    let at = 0;
    for (const m of s.matchAll(this.regex)) {
      if (max > 0 && out.length >= max * m.length) break;
      out.push(s.slice(at, m.index), ...m.slice(1).map((g) => g ?? null));
      at = m.index + m[0].length;
    }
    return [...out, s.slice(at)];
  }
  toString() {
    return `re.compile('${this.pattern}')`;
  }
}

/** A replace() callback's arguments as an exec() result (for a function given to sub). */
function matchOf(args: unknown[]): RegExpExecArray {
  const hasGroups = typeof args.at(-1) === 'object';
  const end = hasGroups ? -3 : -2;
  const m = args.slice(0, end) as string[] as RegExpExecArray;
  m.index = args.at(end) as number;
  m.input = args.at(end + 1) as string;
  if (hasGroups) m.groups = args.at(-1) as Record<string, string>;
  return m;
}

/** A pattern and its flags as the module's functions take them: `re.I` after it, or `flags=re.I`. */
const compiled = (pattern: unknown, rest: unknown[]) => {
  const flags = Number(keywords(rest).flags ?? 0) || Number(typeof rest[0] === 'number' ? rest[0] : 0);
  return new PyPattern(String(pattern), flags);
};

/** `modules.re`: re.match(p, s), re.sub(p, r, s, count), re.compile(p, re.I), … */
export const pythonRe = {
  ...FLAGS,
  compile: (p: unknown, ...rest: unknown[]) => compiled(p, rest),
  match: (p: unknown, s: unknown, ...rest: unknown[]) => compiled(p, rest).match(s),
  fullmatch: (p: unknown, s: unknown, ...rest: unknown[]) => compiled(p, rest).fullmatch(s),
  search: (p: unknown, s: unknown, ...rest: unknown[]) => compiled(p, rest).search(s),
  findall: (p: unknown, s: unknown, ...rest: unknown[]) => compiled(p, rest).findall(s),
  finditer: (p: unknown, s: unknown, ...rest: unknown[]) => compiled(p, rest).finditer(s),
  sub: (p: unknown, r: unknown, s: unknown, ...rest: unknown[]) => {
    const k = keywords(rest);
    return new PyPattern(String(p), Number(k.flags ?? rest[1] ?? 0)).sub(r, s, { count: k.count ?? rest[0] ?? 0, __keywords: true });
  },
  split: (p: unknown, s: unknown, ...rest: unknown[]) => {
    const k = keywords(rest);
    return new PyPattern(String(p), Number(k.flags ?? rest[1] ?? 0)).split(s, { maxsplit: k.maxsplit ?? rest[0] ?? 0, __keywords: true });
  },
  escape: (s: unknown) => String(s).replace(/[^A-Za-z0-9_]/g, '\\$&'),
};
