import { TaskError } from '@mt/cli';
import { locateSqlError } from '@mt/sql';
import type { PipelineNode } from './types.ts';

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
  try {
    return await exec(parts.prefix + parts.sql + (parts.suffix ?? ''));
  } catch (err) {
    throw nodeSqlError(err, node, parts);
  }
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
