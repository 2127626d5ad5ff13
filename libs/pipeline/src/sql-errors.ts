import type pg from 'pg';
import { TaskError } from '@mt/cli';
import { locateSqlError, splitStatements } from '@mt/sql';
import type { PipelineNode } from './types.ts';

/** A query sent with the extended protocol (Parse/Bind/Execute): the server refuses a second statement. */
export const extended = (text: string): pg.QueryConfig => ({ text, queryMode: 'extended' }) as pg.QueryConfig;

/**
 * Runs SQL that embeds a node's compiled SQL between a prefix and a suffix (`create table x as (`…`)`),
 * and reports a server error at the right line and column of the node's file. The compiled SQL has
 * the same lines as the file unless Jinja blocks removed some; then the compiled copy is named too.
 */
export async function runNodeSql<T>(
  exec: (text: string) => Promise<T>,
  node: PipelineNode,
  parts: { prefix: string; sql: string; suffix?: string; compiledFile?: string },
): Promise<T> {
  assertOneStatement(node, parts);
  try {
    return await exec(parts.prefix + parts.sql + (parts.suffix ?? ''));
  } catch (err) {
    throw nodeSqlError(err, node, parts);
  }
}

/**
 * A model, snapshot or test is one query, as in dbt: `select 1; copy … to program …` would otherwise
 * run a second statement of the author's choosing inside ours. Found with the psql-compatible
 * splitter, so the message names the line; the callers also send with the extended protocol, which
 * refuses several statements whatever the splitter thinks.
 */
function assertOneStatement(node: PipelineNode, parts: { sql: string; compiledFile?: string }): void {
  const statements = splitStatements(parts.sql).filter((s) => s.sql.trim());
  if (statements.length < 2) return;
  const second = statements[1];
  const sameLines = (node.template ?? '').split('\n').length === parts.sql.split('\n').length;
  const file = sameLines || !parts.compiledFile ? node.file : parts.compiledFile;
  const start = second.sql.trim().split(/\s+/).slice(0, 3).join(' ');
  throw new TaskError(
    'MULTIPLE_STATEMENTS',
    `${file}:${second.line}: a second statement ("${start} …"): a ${node.kind} is exactly one query, nothing after a ";".`,
    {
      hint: 'Remove the ";" and what follows. Statements of their own belong in an Aurora phase or a hook, not in a model. Nothing was run.',
    },
  );
}

export function nodeSqlError(err: unknown, node: PipelineNode, parts: { prefix: string; sql: string; compiledFile?: string }): unknown {
  const e = err as { position?: string; code?: string; message?: string };
  if (!e || typeof e !== 'object' || !('code' in e) || !e.code || !/^[0-9A-Z]{5}$/.test(e.code)) return err;
  // The server counts from the start of the wrapped statement; the user wants the model's own text.
  const pos = Number(e.position);
  const prefixChars = [...parts.prefix].length;
  const position = pos > prefixChars && pos <= prefixChars + [...parts.sql].length ? String(pos - prefixChars) : undefined;
  const shifted = Object.assign(new Error(e.message), err, { position });
  const sameLines = (node.template ?? '').split('\n').length === parts.sql.split('\n').length;
  const located = locateSqlError(shifted, { file: sameLines || !parts.compiledFile ? node.file : parts.compiledFile, sql: parts.sql });
  if (!located) return err;
  if (!sameLines && parts.compiledFile) {
    return new TaskError(located.code, `${located.message}\n(line numbers refer to the compiled SQL of ${node.file})`, { hint: located.hint, cause: err });
  }
  return located;
}
