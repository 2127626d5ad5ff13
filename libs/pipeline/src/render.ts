/**
 * The Jinja environment every SQL template renders with (nunjucks, strict: an undefined name is an
 * error; `| literal` and `| ident` quote for SQL), compiled templates kept per process, and errors
 * that name the file, line and column. What a node's template sees is node-globals.ts.
 */
import nunjucks from 'nunjucks';
import pg from 'pg';
import { TaskError } from '@mt/cli';
import { addPythonJinja, pythonJinja } from './python-jinja.ts';

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
    addPythonJinja(sharedEnv);
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
export function compiledTemplate(template: string, file: string): nunjucks.Template {
  const key = `${file}\0${template}`;
  let found = compiled.get(key);
  if (!found) {
    found = pythonJinja(() => new nunjucks.Template(template, environment(), file, true));
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
    return pythonJinja(() => compiled.render(globals));
  } catch (e) {
    throw templateError(file, template, e as NunjucksError, 'render', globals);
  }
}

/** What nunjucks throws in dev mode: its TemplateError, with the error it wrapped as `cause`. */
export type NunjucksError = Error & { lineno?: number; colno?: number; cause?: unknown };

/** Errors of JavaScript itself (a parser crash at the end of the text, a method called on null): their text means nothing to a model author. */
const INTERNAL = new Set(['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError']);

/** The names a template can use, for hints (the engine's own `__` helpers left out). */
const usable = (globals: object) =>
  Object.keys(globals)
    .filter((k) => !k.startsWith('__'))
    .join(', ');

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

export function templateError(file: string, template: string, e: NunjucksError, phase: 'parse' | 'render', globals: object): TaskError {
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
    hint = `Check the name: a template here can use ${usable(globals)}.`;
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
      : `Check the name: a template here can use ${usable(globals)} (and var('name', default) for optional values).`;
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
