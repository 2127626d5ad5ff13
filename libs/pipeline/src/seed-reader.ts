/**
 * Reads a seed as it streams to COPY: the bytes go through unchanged (blank lines at the end aside: COPY
 * would read them as rows of nulls) while the text is checked — valid UTF-8, a header of unique names,
 * every row with its fields, no blank line inside — and every value is typed (seed-types.ts). Errors
 * name the file and line.
 *
 * Text without a quote — nearly every chunk of a generated or exported file — is split at commas and
 * line ends in place, without a string per value (about four times faster than a general parser on a
 * million rows, which matters because COPY waits for it); text with quotes goes to papaparse.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Papa from 'papaparse';
import { TaskError } from '@mt/cli';
import { TypeInference, type SeedColumn } from './seed-types.ts';
import type { PipelineNode } from './types.ts';

const malformed = (file: string, line: number, what: string) =>
  new TaskError('SEED_MALFORMED', `${file}:${line}: malformed CSV row: ${what}.`, {
    hint: 'Every row needs as many fields as the header; quote values that contain commas or quotes. The previous table was left as it was.',
  });

/** `partial`: the input stops early (a sample), so its last, cut row is not a row. */
export class SeedReader extends Transform {
  private header?: string[];
  private inference?: TypeInference;
  private newline?: '\n' | '\r\n';
  /** Bytes of a row not complete yet. */
  private pending: Buffer = Buffer.alloc(0);
  private line = 1;
  private blankFrom = 0;
  private held: Buffer = Buffer.alloc(0);

  constructor(
    private readonly node: PipelineNode,
    private readonly path: string,
    private readonly partial = false,
  ) {
    super();
  }

  columns(): SeedColumn[] {
    return this.inference!.columns();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      this.pending = Buffer.from(data.subarray(this.scan(data, false)));
      // Line ends at the end of a chunk wait: if only line ends follow, they are the file's blank end.
      let end = chunk.length;
      while (end > 0 && (chunk[end - 1] === 0x0a || chunk[end - 1] === 0x0d)) end--;
      if (end > 0) {
        this.push(this.held);
        this.push(chunk.subarray(0, end));
        this.held = Buffer.from(chunk.subarray(end));
      } else this.held = Buffer.concat([this.held, chunk]);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.partial) this.scan(this.pending, true);
      if (!this.header) throw new TaskError('SEED_EMPTY', `${this.node.file}: the file has no header row.`);
      // The last row's own line end, without the blank lines after it.
      const end = this.held.indexOf(0x0a);
      if (end >= 0) this.push(this.held.subarray(0, end + 1));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  /** Reads the complete lines of `data` (all of it at the end); returns how many bytes it used. */
  private scan(data: Buffer, last: boolean): number {
    // A UTF-8 byte order mark is not part of the first column's name (COPY skips the header line anyway).
    if (!this.header && this.line === 1 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) return 3 + this.scan(data.subarray(3), last);
    // A line end is never inside a multi-byte character: the complete lines can be checked alone.
    const stop = last ? data.length : data.lastIndexOf(0x0a) + 1;
    if (stop === 0) return 0;
    if (!isUtf8(data.subarray(0, stop))) {
      throw new TaskError(
        'SEED_ENCODING',
        `${this.node.file}:${firstInvalidUtf8Line(this.path)}: the file is not valid UTF-8 (a byte sequence on this line is not a character).`,
        { hint: 'Save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8). The previous table was left as it was.' },
      );
    }
    if (!this.newline) {
      const eol = data.indexOf(0x0a);
      this.newline = eol > 0 && data[eol - 1] === 0x0d ? '\r\n' : '\n';
    }
    const quote = data.indexOf(0x22);
    return this.header && (quote < 0 || quote >= stop) ? this.scanPlain(data, stop) : this.scanQuoted(data, stop, last);
  }

  /** Lines without a quote: one row per line, fields between commas, typed in place. */
  private scanPlain(data: Buffer, stop: number): number {
    const width = this.header!.length;
    const cr = this.newline === '\r\n';
    for (let pos = 0; pos < stop;) {
      let eol = data.indexOf(0x0a, pos);
      if (eol < 0 || eol >= stop) eol = stop;
      const lineEnd = cr && eol > pos && data[eol - 1] === 0x0d ? eol - 1 : eol;
      const line = this.line++;
      if (lineEnd === pos) this.blankFrom ||= line;
      else {
        if (this.blankFrom) throw this.blankLine();
        let fields = 0;
        for (let start = pos; ;) {
          let comma = data.indexOf(0x2c, start);
          if (comma < 0 || comma > lineEnd) comma = lineEnd;
          if (fields < width) this.inference!.value(fields, data, start, comma);
          fields++;
          if (comma === lineEnd) break;
          start = comma + 1;
        }
        if (fields !== width) throw malformed(this.node.file, line, `expected ${width} fields, found ${fields}`);
      }
      pos = eol + 1;
    }
    return stop;
  }

  /** The general case (quotes, and the header): papaparse; a quoted line end moves the line count on. */
  private scanQuoted(data: Buffer, stop: number, last: boolean): number {
    const text = data.toString('utf8', 0, stop);
    // The last row may go on past the last line end (a quoted line end): it waits for more, unless last.
    const { data: rows, errors, meta } = new Papa.Parser({ delimiter: ',', newline: this.newline }).parse(text, 0, !last) as Papa.ParseResult<string[]>;
    const error = errors[0];
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const line = this.line;
      if (error && error.row === r) throw malformed(this.node.file, line, error.message.toLowerCase());
      this.line += 1;
      for (const field of row) for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1)) this.line++;
      if (row.length === 1 && row[0] === '') {
        this.blankFrom ||= line;
        continue;
      }
      if (this.blankFrom) throw this.blankLine();
      if (!this.header) {
        this.header = checkHeader(row, this.node);
        this.inference = new TypeInference(row, this.node.config.column_types ?? {});
        continue;
      }
      if (row.length !== this.header.length) throw malformed(this.node.file, line, `expected ${this.header.length} fields, found ${row.length}`);
      this.inference!.row(row);
    }
    return last ? data.length : Buffer.byteLength(text.slice(0, meta.cursor));
  }

  private blankLine() {
    return malformed(this.node.file, this.blankFrom, 'the line is empty (only the end of the file may have blank lines)');
  }
}

function checkHeader(header: string[], node: PipelineNode): string[] {
  const dupes = header.filter((h, i) => header.indexOf(h) !== i);
  if (dupes.length || header.some((h) => !h.trim())) {
    throw new TaskError('SEED_HEADER', `${node.file}:1: column names must be present and unique (problem: ${dupes.join(', ') || 'an empty name'}).`);
  }
  // PostgreSQL cuts names at 63 bytes: two long names could become one column.
  const long = header.filter((h) => Buffer.byteLength(h) > 63);
  if (long.length) {
    throw new TaskError(
      'SEED_HEADER',
      `${node.file}:1: column names may have at most 63 bytes (PostgreSQL's limit); too long: ${long.map((h) => JSON.stringify(h)).join(', ')}.`,
      { hint: 'Shorten them in the header row. The previous table was left as it was.' },
    );
  }
  for (const name of Object.keys(node.config.column_types ?? {})) {
    if (!header.includes(name))
      throw new TaskError(
        'SEED_CONFIG',
        `sql/dbt_project.yml: the +column_types of seed ${node.name} name ${name}, a column that ${node.file} does not have (columns: ${header.join(', ')}).`,
      );
  }
  return header;
}

/** The first line holding a byte sequence that is not UTF-8, read line by line (the error path only). */
function firstInvalidUtf8Line(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 16);
    let line = 1;
    let carry = Buffer.alloc(0);
    for (let n; (n = readSync(fd, buffer)) > 0;) {
      const bytes = Buffer.concat([carry, buffer.subarray(0, n)]);
      let start = 0;
      for (let end = bytes.indexOf(0x0a); end >= 0; end = bytes.indexOf(0x0a, start)) {
        if (!validUtf8(bytes.subarray(start, end))) return line;
        line++;
        start = end + 1;
      }
      carry = bytes.subarray(start);
    }
    return line;
  } finally {
    closeSync(fd);
  }
}

function validUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * The seed's columns with the types of its first `limit` bytes (all of it by default), its shape checked
 * that far; `exact` when that was the whole file.
 */
export async function seedColumns(path: string, node: PipelineNode, limit = Infinity): Promise<{ columns: SeedColumn[]; exact: boolean }> {
  const reader = new SeedReader(node, path, limit !== Infinity);
  let size = 0;
  const source = createReadStream(path, limit === Infinity ? {} : { end: limit - 1 }).on('data', (chunk) => (size += chunk.length));
  await pipeline(source, reader, discard());
  return { columns: reader.columns(), exact: limit === Infinity || size < limit };
}
