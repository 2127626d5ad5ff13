import { TaskError } from '@mt/cli';

/** One statement of a SQL script, as psql would send it (minus leading comments and the `;`). */
export interface SqlStatement {
  /** Statement text exactly as in the input: inner comments kept, no terminating `;`. */
  sql: string;
  /** JS string index (UTF-16 units) of the statement's first character: `text.slice(offset)` starts with `sql`. */
  offset: number;
  /** 1-based line of that character (`\n`, `\r\n` and a lone `\r` end a line). */
  line: number;
  /** 1-based column of that character, counted in code points (tabs count 1). */
  column: number;
  /** Ended by psql's `\gexec`: every value of its result is then executed as a statement. */
  gexec?: boolean;
}

export interface SplitOptions {
  /** File name used in error messages. */
  file?: string;
}

/** Keywords psql remembers to recognise CREATE [OR REPLACE] {FUNCTION|PROCEDURE} (psqlscan.l). */
const HEAD_WORDS = new Set(['create', 'function', 'procedure', 'or', 'replace']);

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
// psql's lexer works on bytes: every byte >= 0x80 (any non-ASCII character) is an identifier character.
const isIdentStart = (c: string) => /[A-Za-z_]/.test(c) || c.charCodeAt(0) >= 0x80;
const isIdentCont = (c: string) => /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;
const isDigit = (c: string) => c >= '0' && c <= '9';
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
/** `$tag$` opener: `$` + optional identifier without `$` + `$`. */
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/**
 * Splits a SQL script into statements the way psql does (psqlscan.l): a `;` ends a statement unless it
 * is inside quotes, comments, dollar quotes, parentheses or a `BEGIN ... END` body of
 * CREATE [OR REPLACE] FUNCTION/PROCEDURE. Text after the last `;` is a final statement; empty
 * statements are dropped. Assumes standard_conforming_strings=on (the default since 9.1).
 * psql meta-commands (any backslash outside quotes, e.g. `\copy`, `\set`, `\;`) throw SQL_META_COMMAND,
 * except `\gexec`, which ends a statement marked `gexec`.
 * `:name` psql variables are left as is (psql would substitute them when set).
 */
export function splitStatements(text: string, options: SplitOptions = {}): SqlStatement[] {
  const out: SqlStatement[] = [];
  const n = text.length;
  const pos = new PositionTracker(text);
  let i = 0;
  let start = -1; // index of the statement's first significant character, -1 while none
  let end = -1; // index just after its last significant token
  let parenDepth = 0;
  let beginDepth = 0;
  let identCount = 0;
  let heads: string[] = [];

  const emit = (gexec = false) => {
    if (start >= 0) out.push({ sql: text.slice(start, end), offset: start, ...pos.at(start), ...(gexec ? { gexec } : {}) });
    start = end = -1;
  };

  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '-' && next === '-') {
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const stop = skipBlockComment(text, i);
      if (stop >= 0) {
        i = stop;
        continue;
      }
      // Unterminated: keep it in the statement so the server reports it, as with psql.
      if (start < 0) start = i;
      i = end = n;
      continue;
    }
    if (c === ';') {
      i++;
      if (parenDepth === 0 && beginDepth === 0) {
        emit();
        identCount = 0;
      } else end = i;
      continue;
    }
    // `\gexec` is the one meta-command we run: it is how a psql script creates a database only when
    // it is missing (CREATE DATABASE has no IF NOT EXISTS), and the same file runs through psql too.
    if (c === '\\' && /^\\gexec(?![^\s])/.test(text.slice(i, i + 7)) && parenDepth === 0 && beginDepth === 0) {
      i += 6;
      emit(true);
      identCount = 0;
      continue;
    }
    if (c === '\\') throw metaCommandError(text, i, pos, options.file);

    if (start < 0) start = i;
    if (c === "'") i = skipQuoted(text, i + 1, "'", false);
    else if (c === '"') i = skipQuoted(text, i + 1, '"', false);
    else if ((c === 'e' || c === 'E') && next === "'") i = skipQuoted(text, i + 2, "'", true);
    else if (/[bBxXnN]/.test(c) && next === "'") i = skipQuoted(text, i + 2, "'", false);
    else if ((c === 'u' || c === 'U') && next === '&' && (text[i + 2] === "'" || text[i + 2] === '"')) {
      i = skipQuoted(text, i + 3, text[i + 2]!, false);
    } else if (c === '$') {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(text)?.[0];
      if (tag) {
        const close = text.indexOf(tag, i + tag.length);
        i = close < 0 ? n : close + tag.length;
      } else if (isDigit(next ?? '')) {
        // `$1` parameter; letters glued to it are its "trailing junk" (psql 15+), not a new token
        i++;
        while (isDigit(text[i] ?? '')) i++;
        if (i < n && isIdentStart(text[i]!)) while (i < n && isIdentCont(text[i]!)) i++;
      } else i++; // a stray `$`
    } else if (isDigit(c) || (c === '.' && isDigit(next ?? ''))) {
      i = skipNumber(text, i);
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentCont(text[j]!)) j++;
      const word = asciiLower(text.slice(i, j));
      i = j;
      // psql's heuristic for SQL-standard bodies: inside CREATE [OR REPLACE] FUNCTION/PROCEDURE,
      // BEGIN (and CASE once inside a BEGIN) open a block that END closes; `;` in a block is kept.
      if (identCount === 0) heads = [];
      if (HEAD_WORDS.has(word) && identCount < 4) heads[identCount] = word[0]!;
      identCount++;
      const isRoutine =
        heads[0] === 'c' &&
        (heads[1] === 'f' || heads[1] === 'p' || (heads[1] === 'o' && heads[2] === 'r' && (heads[3] === 'f' || heads[3] === 'p')));
      if (isRoutine && parenDepth === 0) {
        if (word === 'begin') beginDepth++;
        else if (word === 'case' && beginDepth >= 1) beginDepth++;
        else if (word === 'end' && beginDepth > 0) beginDepth--;
      }
    } else {
      if (c === '(') parenDepth++;
      else if (c === ')' && parenDepth > 0) parenDepth--;
      i++; // operators and punctuation: one character at a time so `--` / `/*` inside are seen
    }
    end = i;
  }
  emit();
  return out;
}

/** Returns the index after the comment closing the `/*` at `i` (comments nest), or -1 if unterminated. */
function skipBlockComment(text: string, i: number): number {
  let depth = 0;
  for (let j = i + 2; j < text.length; j++) {
    if (text[j] === '/' && text[j + 1] === '*') {
      depth++;
      j++;
    } else if (text[j] === '*' && text[j + 1] === '/') {
      if (depth === 0) return j + 2;
      depth--;
      j++;
    }
  }
  return -1;
}

/**
 * Skips a numeric literal like psql 15+: `1e-` is one (bad) token, and letters glued to a number
 * are "trailing junk" of the number, so `1e'x'` is not an E'' string and `1e--x` is no comment.
 */
function skipNumber(text: string, i: number): number {
  let j = i;
  while (isDigit(text[j] ?? '')) j++;
  if (text[j] === '.' && text[j + 1] !== '.') for (j++; isDigit(text[j] ?? ''); ) j++;
  if (/[eE]/.test(text[j] ?? '') && /[-+0-9]/.test(text[j + 1] ?? '')) {
    j += /[-+]/.test(text[j + 1]!) ? 2 : 1;
    const digits = j;
    while (isDigit(text[j] ?? '')) j++;
    if (j === digits) return j; // `1e-` without digits is a token of its own (no junk rule)
  }
  if (j < text.length && isIdentStart(text[j]!)) while (j < text.length && isIdentCont(text[j]!)) j++;
  return j;
}

/** Skips to after the closing `quote` (doubled quotes are literal; `\x` escapes in E'' strings). */
function skipQuoted(text: string, j: number, quote: string, backslashes: boolean): number {
  while (j < text.length) {
    const c = text[j];
    if (backslashes && c === '\\') j += 2;
    else if (c === quote) {
      if (text[j + 1] !== quote) return j + 1;
      j += 2;
    } else j++;
  }
  return text.length; // unterminated: the rest of the input, as psql would send it
}

function metaCommandError(text: string, i: number, pos: PositionTracker, file = '<sql>'): TaskError {
  const { line, column } = pos.at(i);
  const command = /^\\(?:[;:\\]|[^\s\\]*)/.exec(text.slice(i, i + 40))?.[0] ?? '\\';
  return new TaskError('SQL_META_COMMAND', `${file}:${line}:${column}: psql meta-command "${command}" is not supported; statements are sent by the driver, not by psql.`, {
    hint: 'Replace it with plain SQL (end statements with `;`), or run this file with psql instead.',
  });
}

/** Line/column of increasing string indexes in one pass (statements come in order). */
class PositionTracker {
  private index = 0;
  private line = 1;
  private column = 1;
  constructor(private readonly text: string) {}

  at(target: number): { line: number; column: number } {
    const t = this.text;
    if (target < this.index) Object.assign(this, { index: 0, line: 1, column: 1 });
    for (let i = this.index; i < target; i++) {
      const c = t.charCodeAt(i);
      if (c === 10 || (c === 13 && t.charCodeAt(i + 1) !== 10)) {
        this.line++;
        this.column = 1;
      } else if (c === 13 || (c >= 0xdc00 && c <= 0xdfff && i > 0 && isHighSurrogate(t.charCodeAt(i - 1)))) {
        // `\r` of `\r\n`, or the second half of a surrogate pair: no column of its own
      } else this.column++;
    }
    this.index = target;
    return { line: this.line, column: this.column };
  }
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
