import nunjucks from 'nunjucks';
import pg from 'pg';
import { log, TaskError } from '@mt/cli';
import type { Tenant } from '@mt/tenant-config';
import type { NodeConfig } from './types.ts';
import { lineInMacro, type MacroLibrary } from './macros.ts';

/** What a template may call; the engine fills it per node and per tenant. */
export interface RenderContext {
  file: string;
  tenant: Tenant;
  vars: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Resolves ref('x') to a quoted relation; records the dependency. */
  ref(name: string): string;
  source(sourceName: string, table: string): string;
  thisRelation: string;
  incremental: boolean;
  /** Collects config(...) calls. */
  config: NodeConfig;
  /** The schema models build into (target.schema). */
  schema: string;
  invocation: Invocation;
  macros?: MacroLibrary;
}

export const quoteIdent = (name: string) => pg.escapeIdentifier(name);
export const quoteLiteral = (value: string) => pg.escapeLiteral(value);
export const relationName = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;

const defined = (v: unknown, filter: string) => {
  if (v === undefined) throw new Error(`undefined value given to | ${filter}`);
  return v;
};

let sharedEnv: nunjucks.Environment | undefined;
function environment(): nunjucks.Environment {
  if (!sharedEnv) {
    // dev: nunjucks then throws its own error (with lineno, colno and the wrapped cause) instead of a
    // copy holding only the message text, which lacks the position of errors on line 1.
    // throwOnUndefined: `{{ tenant.nme }}` is an error naming what exists, never an empty string in the SQL.
    sharedEnv = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, dev: true });
    // `{{ value | literal }}`: a safely quoted SQL string literal (tenant names, S3 paths, vars).
    // null is SQL's null; undefined is a name that does not exist (templateError finds which).
    sharedEnv.addFilter('literal', (v: unknown) => (v === null ? 'null' : quoteLiteral(String(defined(v, 'literal')))));
    sharedEnv.addFilter('ident', (v: unknown) => quoteIdent(String(defined(v, 'ident'))));
    // Python's spellings, as dbt's Jinja has them: `x is none`, True, False, None.
    (sharedEnv as nunjucks.Environment & { addTest(name: string, test: (v: unknown) => boolean): void }).addTest(
      'none',
      (v: unknown) => v === null || v === undefined,
    );
    for (const [name, value] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const)
      sharedEnv.addGlobal(name, value);
  }
  return sharedEnv;
}

/**
 * Compiled templates by file and text: a batch of tenant tasks in one process renders the same files for
 * every tenant, and compiling was a large part of a warm run. Bounded, in case a process lives long.
 */
const compiled = new Map<string, nunjucks.Template>();
function compiledTemplate(template: string, file: string): nunjucks.Template {
  const key = `${file}\0${template}`;
  let found = compiled.get(key);
  if (!found) {
    found = new nunjucks.Template(template, environment(), file, true);
    if (compiled.size >= 5000) compiled.clear();
    compiled.set(key, found);
  }
  return found;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** 1-based line and column of an offset in a text. */
function position(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, col: offset - before.lastIndexOf('\n') };
}

/**
 * The line of the first `fn('name'` call written in a template (`fn('package', 'name'` too with
 * `packaged`; only calls without further arguments with `bare`), for errors raised by the call itself:
 * nunjucks does not tell a global where it was called from. Jinja comments are skipped; undefined
 * when the name is computed (`ref(var('x'))`) and so not in the text.
 */
export function callLine(template: string, fn: string, name: string, options: { packaged?: boolean; bare?: boolean } = {}): number | undefined {
  const quoted = `(['"])${escapeRegExp(name)}\\2`;
  const pattern = new RegExp(`\\b${fn}\\s*\\(\\s*${options.packaged ? `(?:(['"])[^'"]*\\1\\s*,\\s*)?` : '()'}${quoted}${options.bare ? '\\s*\\)' : ''}`);
  const text = template.replace(/\{#[\s\S]*?#\}/g, (comment) => comment.replace(/[^\n]/g, ' '));
  const m = pattern.exec(text);
  return m ? position(text, m.index).line : undefined;
}

/** nunjucks passes keyword arguments as a trailing object marked `__keywords`. */
function splitKeywords(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args.at(-1) as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && last.__keywords) {
    const { __keywords, ...keywords } = last;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}

/** What the whole run shares: dbt's invocation_id and run_started_at. */
export interface Invocation {
  id: string;
  startedAt: Date;
}

/** nunjucks runs a template's top level and hands back its macros (how `{% import %}` works); not in its types. */
type ExportingTemplate = nunjucks.Template & {
  getExported(ctx: object, cb: (err: unknown, exported: Record<string, unknown>) => void): void;
};

/** A macro's `{{ return(x) }}`: unwinds to the macro's call, which gives x instead of its text. */
class MacroReturn extends Error {
  constructor(readonly value: unknown) {
    super('return() is only for macros: a model, test or snapshot returns its SQL text.');
    this.name = 'MacroReturn';
  }
}

const two = (n: number, width = 2) => String(n).padStart(width, '0');

/** run_started_at: prints as ISO 8601 (UTC), with Python's isoformat() and strftime() for dbt's macros. */
export function pythonDatetime(date: Date) {
  const codes: Record<string, () => string> = {
    Y: () => String(date.getUTCFullYear()),
    m: () => two(date.getUTCMonth() + 1),
    d: () => two(date.getUTCDate()),
    H: () => two(date.getUTCHours()),
    M: () => two(date.getUTCMinutes()),
    S: () => two(date.getUTCSeconds()),
    f: () => two(date.getUTCMilliseconds() * 1000, 6),
    z: () => '+0000',
    Z: () => 'UTC',
    '%': () => '%',
  };
  return {
    isoformat: () => date.toISOString().replace('Z', '+00:00'),
    strftime: (format: string) =>
      String(format).replace(/%(.)/g, (all, code: string) => {
        if (!codes[code]) throw new Error(`strftime: %${code} is not supported (use %Y %m %d %H %M %S %f %z %Z %%)`);
        return codes[code]();
      }),
    timestamp: () => date.getTime() / 1000,
    toString: () => date.toISOString(),
  };
}

/** Runs a template with the node's globals and the project's macros bound to them; errors name the file, line and column. */
function withNodeGlobals<T>(ctx: RenderContext, template: string, body: (globals: Record<string, unknown>) => T, macros: 'named' | 'all' = 'named'): T {
  // nunjucks wraps whatever a global throws into its own error: keep ours to rethrow it intact.
  let raised: TaskError | undefined;
  const guard =
    <A extends unknown[], R>(fn: (...a: A) => R) =>
    (...a: A): R => {
      try {
        return fn(...a);
      } catch (e) {
        if (e instanceof TaskError) raised = e;
        throw e;
      }
    };
  const missing = (what: string, fn: string, name: string, hint: string) => {
    // The failing call is one without a default: `var('x')`, not `var('x', 0)` elsewhere in the file.
    const line = callLine(template, fn, name, { bare: true });
    return new TaskError('TEMPLATE_ERROR', `${ctx.file}${line ? `:${line}` : ''}: ${what} "${name}" is not defined.`, { hint });
  };
  /** Macros running now, innermost last: an error raised inside one names the macro's file. */
  const calls: string[] = [];
  const where = (call: string) => {
    const macro = calls.length ? ctx.macros?.macros.get(calls.at(-1)!) : undefined;
    if (!macro) return `${ctx.file}${lineOf(template, call) ? `:${lineOf(template, call)}` : ''}`;
    const from = lineOf(template, `${calls[0]}(`);
    return `${macro.file}:${lineInMacro(macro, call)} (macro ${calls.at(-1)}, called from ${ctx.file}${from ? `:${from}` : ''})`;
  };
  const t = ctx.tenant;
  const globals: Record<string, unknown> = {
    ref: guard((...args: unknown[]) => ctx.ref(String(splitKeywords(args).positional.at(-1)))),
    source: guard((...args: unknown[]) => {
      const [s, table] = splitKeywords(args).positional.map(String);
      return ctx.source(s, table);
    }),
    var: guard((...args: unknown[]) => {
      const { positional } = splitKeywords(args);
      const name = String(positional[0]);
      if (name in ctx.vars) return ctx.vars[name];
      if (positional.length > 1) return positional[1];
      throw missing(
        'var',
        'var',
        name,
        'Define it under "vars" in sql/project.yml or in the tenant.json "vars", pass it with --vars \'{"name": value}\', or give a default: var(\'name\', default).',
      );
    }),
    env_var: guard((...args: unknown[]) => {
      const { positional } = splitKeywords(args);
      const name = String(positional[0]);
      const value = ctx.env[name];
      if (value !== undefined) return value;
      if (positional.length > 1) return positional[1];
      throw missing('environment variable', 'env_var', name, `Set ${name} in the environment or .env, or pass a default: env_var('${name}', 'default').`);
    }),
    config: (...args: unknown[]) => {
      Object.assign(ctx.config, splitKeywords(args).keywords);
      return '';
    },
    is_incremental: () => ctx.incremental,
    this: ctx.thisRelation,
    tenant: {
      name: t.name,
      display_name: t.displayName,
      database: t.database,
      aurora_schema: t.aurora.schema,
      s3_bucket: t.dataLake.bucket,
      s3_prefix: t.dataLake.prefix,
      s3_location: (table?: string) => t.s3Location(table),
    },
    // Each tenant is a target of the profile, as the original's TENANT_NAME chose one.
    target: { name: t.name, schema: ctx.schema, database: t.database, type: 'postgres' },
    run_started_at: pythonDatetime(ctx.invocation.startedAt),
    invocation_id: ctx.invocation.id,
    log: (...args: unknown[]) => {
      const { positional, keywords } = splitKeywords(args);
      // dbt writes the others to its debug log only.
      if (keywords.info ?? positional[1]) log(`${ctx.file}: ${String(positional[0])}`);
      return '';
    },
    return: (value: unknown) => {
      throw new MacroReturn(value);
    },
    exceptions: {
      raise_compiler_error: guard((message: unknown) => {
        throw new TaskError('TEMPLATE_ERROR', `${where('raise_compiler_error')}: Compilation error: ${String(message)}`, {
          hint: 'A macro or template raised this on purpose (exceptions.raise_compiler_error): read its message, and fix the value it checks.',
        });
      }),
    },
    adapter: { quote: (name: unknown) => quoteIdent(String(name)) },
  };
  const all = ctx.macros && (macros === 'all' || ctx.macros.usedBy(template)) ? { ...globals, ...bindMacros(ctx.macros, globals, calls) } : globals;
  try {
    return body(all);
  } catch (e) {
    throw raised ?? e;
  }
}

/** Line of the first occurrence of a text in a template (undefined when not written there). */
function lineOf(template: string, text: string): number | undefined {
  const at = template.indexOf(text);
  return at < 0 ? undefined : template.slice(0, at).split('\n').length;
}

/**
 * The project's macros, bound to one node's globals: the library runs once in a context made from
 * them (it only defines macros), then each macro is wrapped so that `return(x)` gives x and an error
 * knows which macro raised it. The wrapping happens inside the library's own context (by a last call
 * the library makes), so macros calling macros go through it too.
 */
function bindMacros(lib: MacroLibrary, globals: Record<string, unknown>, calls: string[]): Record<string, unknown> {
  const template = compiledTemplate(`${lib.text}\n{{ __bind_macros() }}`, '(macros)');
  function wrapAll(this: { ctx: Record<string, unknown> }) {
    for (const name of lib.macros.keys()) {
      const macro = this.ctx[name] as (...args: unknown[]) => unknown;
      this.ctx[name] = function (this: unknown, ...args: unknown[]) {
        calls.push(name);
        try {
          return macro.apply(this, args);
        } catch (e) {
          if (e instanceof MacroReturn) return e.value;
          throw e;
        } finally {
          calls.pop();
        }
      };
    }
    return '';
  }
  let failure: unknown;
  let exported: Record<string, unknown> = {};
  (template as ExportingTemplate).getExported({ ...globals, __bind_macros: wrapAll }, (err: unknown, result: Record<string, unknown>) => {
    failure = err;
    exported = result;
  });
  if (failure) throw failure;
  // Private macros (_name) are not exported, but a template of the project may still call them.
  return exported;
}

/** Renders one node's Jinja for one tenant; errors name the file, line and column. */
export function render(template: string, ctx: RenderContext): string {
  return withNodeGlobals(ctx, template, (globals) => renderTemplate(template, ctx.file, globals));
}

/**
 * Calls a macro of the library with a node's globals (a generic test: `test_<name>(model, column_name,
 * …keywords)`), as its text or what it returned.
 */
export function callMacro(ctx: RenderContext, macro: string, positional: unknown[], keywords: Record<string, unknown>): string {
  const call = (globals: Record<string, unknown>) => {
    try {
      return String((globals[macro] as (...a: unknown[]) => unknown)(...positional, { ...keywords, __keywords: true }));
    } catch (e) {
      if (e instanceof TaskError) throw e;
      throw templateError(ctx.file, '', e as NunjucksError, 'render', globals);
    }
  };
  return withNodeGlobals(ctx, '', call, 'all');
}

/** A template compiled (once per process), or its syntax error with file, line and column. */
export function checkTemplate(template: string, file: string, globals: object = {}): nunjucks.Template {
  try {
    return compiledTemplate(template, file);
  } catch (e) {
    throw templateError(file, template, e as NunjucksError, 'parse', globals);
  }
}

/**
 * Renders any SQL template with our Jinja environment (`| literal`, `| ident` filters); errors name
 * the file, line and column when they can be known.
 */
export function renderTemplate(template: string, file: string, globals: object): string {
  // Compiled first, on its own: parse errors and render errors count their positions differently.
  const compiled = checkTemplate(template, file, globals);
  try {
    return compiled.render(globals);
  } catch (e) {
    throw templateError(file, template, e as NunjucksError, 'render', globals);
  }
}

/** What nunjucks throws in dev mode: its TemplateError, with the error it wrapped as `cause`. */
type NunjucksError = Error & { lineno?: number; colno?: number; cause?: unknown };

/** Errors of JavaScript itself (a parser crash at the end of the text, a method called on null): their text means nothing to a model author. */
const INTERNAL = new Set(['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError']);

/** `a.b.c` looked up in the globals as a template would (undefined when any step is missing). */
function lookup(globals: object, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), globals);
}

/** The expression of the `{{ … }}` at a 1-based position, as written (spaces trimmed). */
function outputAt(template: string, where: { line: number; col?: number }): string | undefined {
  const lines = template.split('\n');
  const offset = lines.slice(0, where.line - 1).reduce((n, l) => n + l.length + 1, 0) + (where.col ?? 1) - 1;
  const open = template.lastIndexOf('{{', offset);
  const close = template.indexOf('}}', open);
  if (open < 0 || close < 0 || close + 2 < offset) return undefined;
  return template
    .slice(open + 2, close)
    .replace(/^-|-$/g, '')
    .trim();
}

/** The last `{{`, `{%` or `{#` of a template when nothing after it closes it. */
function unclosedTag(template: string): { open: string; close: string; line: number; col: number } | undefined {
  const at = Math.max(template.lastIndexOf('{{'), template.lastIndexOf('{%'), template.lastIndexOf('{#'));
  if (at < 0) return undefined;
  const open = template.slice(at, at + 2);
  const close = open === '{{' ? '}}' : open === '{%' ? '%}' : '#}';
  return template.includes(close, at + 2) ? undefined : { open, close, ...position(template, at) };
}

function templateError(file: string, template: string, e: NunjucksError, phase: 'parse' | 'render', globals: object): TaskError {
  // The innermost error is what went wrong; the TemplateErrors around it only add "(file) [Line …]".
  let root: Error = e;
  while (root.cause instanceof Error) root = root.cause;
  const text = root.message
    .replace(/^\([^\n]*\)(?: \[Line \d+(?:, Column \d+)?\])?\n\s*/, '')
    .replace(/^parse\w*: /, '')
    .trim();
  let where: { line: number; col?: number } | undefined;
  let detail = text;
  let hint: string | undefined;
  const call = /^Unable to call `(.+)`, which is (undefined or falsey|not a function)$/.exec(text);
  const nothing = /^attempted to output null or undefined value$/.test(text);
  const filtered = /^undefined value given to \| (literal|ident)$/.exec(text);
  const filter = /^filter not found: (\w+)$/.exec(text);
  if (phase === 'parse') {
    // The parser counts from 1; at the end of the text it gives no position, or crashes on the missing token.
    if (e.lineno) where = { line: e.lineno, col: e.colno };
    const open = where ? undefined : unclosedTag(template);
    if (open) {
      where = open;
      detail = `"${open.open}" is never closed: the template ends before its "${open.close}".`;
      hint = `Close it with ${open.close} (and any parenthesis or quote opened inside it).`;
    } else if (INTERNAL.has(root.name)) {
      // The parser only crashes when it runs out of tokens.
      detail = 'unexpected end of the template.';
    }
  } else if (call) {
    // Raised by the call itself, right after nunjucks noted the call's position (counted from 0 at run time).
    where = { line: (e.lineno ?? 0) + 1, col: (e.colno ?? 0) + 1 };
    const name = call[1].replace(/\["([^"]*)"\]/g, '.$1');
    detail = call[2] === 'not a function' ? `${name} is not a function.` : `${name}() is an undefined function or value.`;
    hint = `Check the name: a template here can use ${Object.keys(globals).join(', ')}.`;
  } else if (nothing || filtered) {
    let expression: string | undefined;
    if (nothing) {
      where = e.lineno ? { line: e.lineno, col: e.colno } : undefined;
      expression = where && outputAt(template, where);
    } else {
      // Filters do not update nunjucks' position: the first `{{ a.b | literal }}` whose value is missing.
      const uses = [...template.matchAll(new RegExp(`\\{\\{-?\\s*([A-Za-z_][\\w.]*)\\s*\\|\\s*${filtered![1]}\\b`, 'g'))];
      const use = uses.find((m) => lookup(globals, m[1]) === undefined);
      if (use) {
        expression = use[1];
        where = position(template, use.index);
      }
    }
    const path = expression?.match(/^([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?$/);
    const value = path ? (globals as Record<string, unknown>)[path[1]] : undefined;
    const members = path?.[2] && value && typeof value === 'object' ? Object.keys(value) : undefined;
    detail = `${expression ? `{{ ${expression}${filtered ? ` | ${filtered[1]}` : ''} }}` : 'a {{ }} expression'}: ${expression ?? 'a value'} is undefined${nothing ? ' (or null)' : ''}: it would leave nothing in the SQL.`;
    hint = members
      ? `${path![1]} has: ${members.join(', ')}.`
      : `Check the name: a template here can use ${Object.keys(globals).join(', ')} (and var('name', default) for optional values).`;
  } else if (filter) {
    // Filters do not update nunjucks' position: find the filter in the text.
    const m = new RegExp(`\\|\\s*${filter[1]}\\b`).exec(template);
    if (m) where = position(template, m.index);
    detail = `unknown filter "${filter[1]}".`;
    hint = 'Use | literal (an SQL string) or | ident (an SQL identifier), or one of the nunjucks built-in filters.';
  } else if (INTERNAL.has(root.name)) {
    detail = 'an expression could not be evaluated (a value it uses is missing or of the wrong kind).';
    hint = 'Check the values used in {{ }} and {% %}: an undefined name is empty, and cannot be called or iterated.';
  }
  hint ??= where
    ? 'Check the {{ }} / {% %} syntax near that position.'
    : 'Check the {{ }} / {% %} syntax: every {{ needs its }}, every {% if %} or {% for %} its {% endif %} or {% endfor %}.';
  const at = where ? `:${where.line}${where.col ? `:${where.col}` : ''}` : '';
  return new TaskError('TEMPLATE_ERROR', `${file}${at}: Jinja error: ${detail}`, { hint, cause: e });
}
