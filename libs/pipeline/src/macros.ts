import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskError } from '@mt/cli';
import { BUILTIN_MACROS } from './builtin-macros.ts';
import { checkTemplate } from './render.ts';
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
  };
  for (const file of files) add(file, readFileSync(join(root, file), 'utf8'));
  for (const [name, text] of Object.entries(BUILTIN_MACROS)) {
    const test = /^\{% test /.test(text);
    if (!macros.has(test ? `test_${name}` : name)) add(test ? `(built-in test ${name})` : `(built-in ${name.replace('__', '.')})`, text);
  }
  const names = new RegExp(`\\b(?:${[...macros.keys(), 'dbt_utils'].join('|')})\\b`);
  return { text: parts.join('\n'), macros, tests, usedBy: (template) => names.test(template) };
}

/** The line of the first `call(` inside a macro's block, for errors it raises (its first line when not found). */
export function lineInMacro(source: MacroSource, call: string): number {
  const lines = source.text.split('\n');
  for (let i = source.line - 1; i < source.end; i++) if (lines[i].includes(call)) return i + 1;
  return source.line;
}
