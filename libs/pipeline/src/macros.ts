import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskError } from '@mt/cli';
import { BUILTIN_MACROS } from './builtin-macros.ts';
import { checkTemplate, templateError, type NunjucksError } from './render.ts';
import { filesUnder } from './files.ts';
import type { ProjectPaths } from './dbt-project.ts';

/** Where a macro is written: for errors raised inside it. */
export interface MacroSource {
  file: string;
  /** 1-based lines of `{% macro %}` and of its end, in the file. */
  line: number;
  end: number;
  /** The file's text, to find a line inside the macro. */
  text: string;
}

/** Whether a macro is one the engine ships (builtin-macros.ts) rather than the project's. */
export const isBuiltIn = (source: MacroSource | undefined): boolean => !!source?.file.startsWith('(built-in');

/**
 * Every macro of the project as one template: sql/macros/**, the `{% test %}` blocks of
 * sql/tests/generic/** (as macros named test_<name>, which is what dbt makes of them) and the generic
 * tests shipped with the engine that the project does not replace. Bound to each node's context when
 * it renders, so a macro calling ref() or var() sees that node's.
 */
export interface MacroLibrary {
  text: string;
  macros: Map<string, MacroSource>;
  /** Generic test names (without test_), for the YAML. */
  tests: Set<string>;
  /** Whether a template names any macro: most do not, and need no binding. */
  usedBy(template: string): boolean;
  /** The file and line of a line of `text` (the files' texts are joined, each keeping its lines). */
  at(line: number): { file: string; line: number } | undefined;
}

/** Names the engine gives every template: a macro of the same name would hide them. */
export const RESERVED_NAMES = new Set([
  'ref',
  'source',
  'var',
  'env_var',
  'config',
  'is_incremental',
  'this',
  'tenant',
  'target',
  'run_started_at',
  'invocation_id',
  'log',
  'return',
  'exceptions',
  'adapter',
  'dbt_utils',
  'dbt',
]);

const BLOCK = /\{%-?\s*(macro|test)\s+([A-Za-z_]\w*)\s*\(([\s\S]*?)\{%-?\s*end(?:macro|test)\s*-?%\}/g;

const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/**
 * A file's macro blocks, with everything outside them blanked (kept as line breaks): text between
 * macros is not part of any template, as in dbt.
 */
function macroBlocks(file: string, text: string) {
  const blocks: Array<{ name: string; kind: 'macro' | 'test'; source: MacroSource }> = [];
  let kept = '';
  let at = 0;
  for (const m of text.matchAll(BLOCK)) {
    kept += text.slice(at, m.index).replace(/[^\n]/g, '');
    // `{% test x(…) %}…{% endtest %}` is the macro test_x; the line breaks stay where they were.
    kept += m[1] === 'test' ? m[0].replace(/^(\{%-?\s*)test(\s+)/, '$1macro$2test_').replace(/endtest(\s*-?%\})$/, 'endmacro$1') : m[0];
    at = m.index + m[0].length;
    const source = { file, line: lineAt(text, m.index), end: lineAt(text, at), text };
    blocks.push({ name: m[2], kind: m[1] as 'macro' | 'test', source });
  }
  return { blocks, kept: kept + text.slice(at).replace(/[^\n]/g, '') };
}

export function loadMacros(root: string, paths: Pick<ProjectPaths, 'macros' | 'tests'>): MacroLibrary {
  const dirs = [...paths.macros, ...paths.tests.map((dir) => `${dir}/generic`)];
  const files = dirs.flatMap((dir) => filesUnder(root, dir, '.sql'));
  const macros = new Map<string, MacroSource>();
  const tests = new Set<string>();
  const parts: string[] = [];
  /** Where each file's text starts in the library (1-based line). */
  const starts: Array<{ file: string; line: number }> = [];
  let next = 1;
  const add = (file: string, text: string) => {
    const { blocks, kept } = macroBlocks(file, text);
    for (const { name, kind, source } of blocks) {
      const macro = kind === 'test' ? `test_${name}` : name;
      const clash = macros.get(macro);
      if (clash) {
        throw new TaskError('DUPLICATE_NODE', `Two macros are named "${macro}": ${clash.file}:${clash.line} and ${file}:${source.line}.`, {
          hint: `Macro names are shared by every file of ${dirs.join(', ')}: rename one of them.`,
        });
      }
      if (RESERVED_NAMES.has(macro)) {
        throw new TaskError('INVALID_CONFIG', `${file}:${source.line}: a macro cannot be named "${macro}": templates use that name already.`, {
          hint: `Rename the macro; these names are the engine's: ${[...RESERVED_NAMES].join(', ')}.`,
        });
      }
      macros.set(macro, source);
      if (kind === 'test') tests.add(name);
    }
    // Each file is checked alone first, so a syntax error names its own file and line.
    checkTemplate(kept, file);
    parts.push(kept);
    starts.push({ file, line: next });
    next += kept.split('\n').length;
  };
  for (const file of files) add(file, readFileSync(join(root, file), 'utf8'));
  for (const [name, text] of Object.entries(BUILTIN_MACROS)) {
    const test = /^\{% test /.test(text);
    if (!macros.has(test ? `test_${name}` : name)) add(test ? `(built-in test ${name})` : `(built-in ${name.replace('__', '.')})`, text);
  }
  const names = new RegExp(`\\b(?:${[...macros.keys(), 'dbt_utils', 'dbt', 'dispatch'].join('|')})\\b`);
  // dbt's built-ins are reached unqualified too (dbt__dateadd as dateadd): a call inside a tag, since
  // SQL has most of these names (length(…), right join).
  const short = [...macros.keys()].flatMap((name) => (name.startsWith('dbt__') ? [name.slice(5)] : []));
  const called = new RegExp(`\\b(?:${short.join('|')})\\s*\\(`);
  const usedBy = (template: string) => names.test(template) || [...template.matchAll(/\{[{%]([\s\S]*?)[}%]\}/g)].some((m) => called.test(m[1]));
  const at = (line: number) => {
    const part = starts.findLast((p) => p.line <= line);
    return part && { file: part.file, line: line - part.line + 1 };
  };
  return { text: parts.join('\n'), macros, tests, usedBy, at };
}

/**
 * A Jinja error raised inside a macro of the project, at the macro's file, line and column (nunjucks
 * counts in the library's text, or — for a failed call — not at all: then the call is found in the
 * macro's text), with the node that called it.
 */
export function errorInMacro(lib: MacroLibrary, name: string, e: NunjucksError, calledFrom: string, globals: object) {
  const source = lib.macros.get(name)!;
  // e is what left the macro: a position nunjucks gave it is the library's.
  const inLibrary = e.lineno !== undefined ? lib.at(e.lineno) : undefined;
  const error = Object.assign(new Error(e.message), { cause: e.cause ?? e }) as NunjucksError;
  if (inLibrary?.file === source.file) Object.assign(error, { lineno: inLibrary.line, colno: e.colno });
  else {
    // A failed call (`x.nope()`): nunjucks gives no position inside the macro; the first line calling it.
    const callee = /Unable to call `([^`]+)`/.exec(String((e.cause as Error | undefined)?.message ?? e.message))?.[1].replace(/\["([^"]*)"\]/g, '.$1');
    const line = callee ? lineInMacro(source, `${callee}(`) : source.line;
    const col = callee ? source.text.split('\n')[line - 1].indexOf(`${callee}(`) + 1 : 0;
    // templateError counts a call's position from 0 (nunjucks' run-time counters).
    Object.assign(error, { lineno: line - 1, colno: Math.max(col - 1, 0) });
  }
  const found = templateError(source.file, source.text, error, 'render', globals);
  const [, at, rest] = /^(\S+?:\d+(?::\d+)?): ([\s\S]*)$/.exec(found.message) ?? [undefined, source.file, found.message];
  return new TaskError('TEMPLATE_ERROR', `${at} (macro ${name}, called from ${calledFrom}): ${rest}`, { hint: found.hint, cause: e });
}

/** The line of the first `call(` inside a macro's block, for errors it raises (its first line when not found). */
export function lineInMacro(source: MacroSource, call: string): number {
  const lines = source.text.split('\n');
  for (let i = source.line - 1; i < source.end; i++) if (lines[i].includes(call)) return i + 1;
  return source.line;
}
