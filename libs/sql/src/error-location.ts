import { TaskError } from '@mt/cli';
import { displayWidth } from './aligned.ts';

export interface SqlErrorContext {
  /** File name shown in the message. */
  file: string;
  /** The statement text exactly as sent to the server (positions refer to it). */
  sql: string;
  /** 1-based line of the file where `sql` starts (SqlStatement.line); default 1. */
  startLine?: number;
  /** 1-based column, in code points, where `sql` starts (SqlStatement.column); default 1. */
  startColumn?: number;
}

/** The fields of pg's DatabaseError this module reads (position values arrive as strings). */
interface PgErrorFields {
  message: string;
  severity?: string;
  code?: string;
  detail?: string;
  hint?: string;
  where?: string;
  position?: string | number;
  internalPosition?: string | number;
  internalQuery?: string;
}

/** Longest source line quoted in full; longer lines are cut around the caret (psql does the same). */
const MAX_SNIPPET = 120;

/**
 * Turns a PostgreSQL error (pg `DatabaseError`) into a TaskError `SQL_ERROR` that names
 * `file:line:column` and quotes the line with a caret under the error position, followed by
 * DETAIL/CONTEXT when present; the server's HINT becomes the TaskError hint. Returns undefined
 * for anything that is not a server error (connection failures, programming errors).
 */
export function locateSqlError(err: unknown, context: SqlErrorContext): TaskError | undefined {
  if (!isServerError(err)) return undefined;
  const { file, sql } = context;
  const startLine = context.startLine ?? 1;
  const startColumn = context.startColumn ?? 1;
  const head = (where: string) => `${where}: ${err.severity ?? 'ERROR'}:  ${err.message}`;
  const lines: string[] = [];

  let position = toInt(err.position);
  let internal: { query: string; position: number } | undefined;
  const internalPosition = toInt(err.internalPosition);
  if (position === undefined && internalPosition !== undefined && err.internalQuery) {
    // Errors inside function bodies / DO blocks point into an internal query; when that text occurs
    // exactly once in the statement, report it at its place in the file.
    const at = sql.indexOf(err.internalQuery);
    if (at >= 0 && sql.indexOf(err.internalQuery, at + 1) < 0) position = codePointLength(sql.slice(0, at)) + internalPosition;
    else internal = { query: err.internalQuery, position: internalPosition };
  }

  if (position !== undefined) {
    const at = lineColumnAt(sql, position);
    const line = startLine + at.line - 1;
    const column = at.line === 1 ? startColumn + at.column - 1 : at.column;
    const gutter = String(line);
    const snippet = caretSnippet(at.lineText, at.column);
    lines.push(head(`${file}:${line}:${column}`));
    lines.push(`  ${gutter} |${snippet.text ? ' ' + snippet.text : ''}`, `  ${' '.repeat(gutter.length)} | ${snippet.caret}`);
  } else {
    lines.push(head(`${file}:${startLine}`));
    if (internal) {
      const at = lineColumnAt(internal.query, internal.position);
      const snippet = caretSnippet(at.lineText, at.column);
      lines.push(`QUERY: ${snippet.text}`, `       ${snippet.caret}`);
    }
  }
  if (err.detail) lines.push(`DETAIL: ${err.detail}`);
  if (err.where) lines.push(`CONTEXT: ${err.where}`);
  return new TaskError('SQL_ERROR', lines.join('\n'), { hint: err.hint || undefined, cause: err });
}

/**
 * Line and column of a 1-based character position (code points, as PostgreSQL counts `position`).
 * `\n`, `\r\n` and a lone `\r` end lines; `lineText` is that line without its line break, tabs kept.
 * Positions past the end (e.g. "syntax error at end of input") point just after the last character.
 */
export function lineColumnAt(text: string, charPosition: number): { line: number; column: number; lineText: string } {
  let line = 1;
  let column = 1;
  let lineStart = 0;
  let cp = 1;
  let i = 0;
  while (i < text.length && cp < charPosition) {
    const c = text.charCodeAt(i);
    const size = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
    i += size;
    cp++;
    if (c === 10 || (c === 13 && text.charCodeAt(i) !== 10)) {
      line++;
      column = 1;
      lineStart = i;
    } else column++;
  }
  const rest = text.slice(lineStart);
  const lineEnd = rest.search(/[\r\n]/);
  return { line, column, lineText: lineEnd < 0 ? rest : rest.slice(0, lineEnd) };
}

/** The line (cut around the caret when very long) and a caret line that lines up under `column` in a terminal. */
function caretSnippet(lineText: string, column: number): { text: string; caret: string } {
  let chars = Array.from(lineText);
  let index = column - 1;
  let prefix = '';
  let suffix = '';
  if (chars.length > MAX_SNIPPET) {
    const from = Math.max(0, Math.min(index - MAX_SNIPPET / 2, chars.length - MAX_SNIPPET));
    prefix = from > 0 ? '...' : '';
    suffix = from + MAX_SNIPPET < chars.length ? '...' : '';
    chars = chars.slice(from, from + MAX_SNIPPET);
    index -= from;
  }
  // Tabs are repeated so the terminal expands them the same way; wide characters take two cells.
  const pad = chars
    .slice(0, index)
    .map((ch) => (ch === '\t' ? '\t' : ' '.repeat(displayWidth(ch))))
    .join('');
  return { text: prefix + chars.join('') + suffix, caret: ' '.repeat(prefix.length) + pad + '^' };
}

function isServerError(err: unknown): err is PgErrorFields {
  if (!(err instanceof Error)) return false;
  const e = err as Error & Partial<PgErrorFields>;
  return typeof e.severity === 'string' && typeof e.code === 'string';
}

function toInt(value: string | number | undefined): number | undefined {
  const n = typeof value === 'number' ? value : value ? Number.parseInt(value, 10) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

const codePointLength = (s: string) => Array.from(s).length;
