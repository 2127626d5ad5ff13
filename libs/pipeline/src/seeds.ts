import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { parse } from 'csv-parse/sync';
import { from as copyFrom } from 'pg-copy-streams';
import { TaskError } from '@mt/cli';
import { quoteIdent, relationName } from './render.ts';
import { sameColumns, swapIn } from './relations.ts';
import type { PipelineNode } from './types.ts';

const INT4 = 2147483647n;
const INT8 = 9223372036854775807n;
/** `00501`, `-07`: a code, not a number: typed as one it would lose its zeros (`0` and `0.5` are numbers). */
const leadingZero = (v: string) => /^-?0\d/.test(v);
const integer = (v: string, max: bigint) => /^-?\d{1,19}$/.test(v) && !leadingZero(v) && BigInt(v) <= max && BigInt(v) >= -max - 1n;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** `2024-02-30` looks like a date but is none: typed date, the whole seed would fail to load. */
function calendarDate(year: number, month: number, day: number): boolean {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && leap ? 29 : DAYS[month - 1]);
}
function isDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  return !!m && calendarDate(+m[1], +m[2], +m[3]);
}
function isTimestamp(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/.exec(v);
  return !!m && calendarDate(+m[1], +m[2], +m[3]) && +m[4] <= 23 && +m[5] <= 59 && +(m[6] ?? 0) <= 59;
}

const detectors: Array<[string, (v: string) => boolean]> = [
  ['integer', (v) => integer(v, INT4)],
  ['bigint', (v) => integer(v, INT8)],
  ['numeric', (v) => /^-?(\d+\.?\d*|\.\d+)$/.test(v) && !leadingZero(v)],
  ['boolean', (v) => /^(true|false)$/i.test(v)],
  ['date', isDate],
  // A date is midnight: a column of dates and timestamps is timestamp (date comes first for dates only).
  ['timestamp', (v) => isDate(v) || isTimestamp(v)],
];

/** The narrowest type every non-empty value of a column fits (text when nothing else does). */
function inferType(values: string[]): string {
  const present = values.filter((v) => v !== '');
  if (!present.length) return 'text';
  return detectors.find(([, ok]) => present.every(ok))?.[0] ?? 'text';
}

/**
 * A seed file as text. Invalid UTF-8 is refused with its line: decoding it leniently would load
 * U+FFFD in place of the bytes, silently.
 */
export function readSeedText(path: string, file: string): string {
  const bytes = readFileSync(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let line = 1;
    for (let start = 0; start < bytes.length; line++) {
      const end = bytes.indexOf(0x0a, start);
      const chunk = bytes.subarray(start, end < 0 ? bytes.length : end);
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(chunk);
      } catch {
        break;
      }
      start = end < 0 ? bytes.length : end + 1;
    }
    throw new TaskError('SEED_ENCODING', `${file}:${line}: the file is not valid UTF-8 (a byte sequence on this line is not a character).`, {
      hint: 'Save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8). The previous table was left as it was.',
    });
  }
}

/** Parses the CSV to check its shape and decide column types; bad rows fail with file:line. */
export function seedColumns(node: PipelineNode): Array<{ name: string; type: string }> {
  let records: string[][];
  try {
    records = parse(node.csv!, { bom: true, skip_empty_lines: true });
  } catch (e) {
    const err = e as { lines?: number; message: string };
    throw new TaskError('SEED_MALFORMED', `${node.file}:${err.lines ?? '?'}: malformed CSV row: ${err.message.replace(/ on line \d+$/, '')}.`, {
      hint: 'Every row needs as many fields as the header; quote values that contain commas or quotes. The previous table was left as it was.',
    });
  }
  const [header, ...rows] = records;
  if (!header?.length) throw new TaskError('SEED_EMPTY', `${node.file}: the file has no header row.`);
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
      {
        hint: 'Shorten them in the header row. The previous table was left as it was.',
      },
    );
  }
  const configured = node.config.column_types ?? {};
  for (const name of Object.keys(configured)) {
    if (!header.includes(name))
      throw new TaskError(
        'SEED_CONFIG',
        `sql/project.yml: seeds.column_types.${node.name}.${name} names a column that ${node.file} does not have (columns: ${header.join(', ')}).`,
      );
  }
  return header.map((name, i) => ({ name, type: configured[name] ?? inferType(rows.map((r) => r[i])) }));
}

/**
 * Loads one seed with COPY inside the caller's transaction. Same columns as before: truncate and
 * reload, so views on the table survive. Different columns: load a new table and swap it in.
 * Any error rolls back to the previous table.
 */
export async function loadSeed(client: pg.Client, schema: string, node: PipelineNode): Promise<number> {
  const columns = seedColumns(node);
  const tmp = `${node.name}__tmp`;
  await client.query(`create schema if not exists ${quoteIdent(schema)}`);
  await client.query(`drop table if exists ${relationName(schema, tmp)}`);
  await client.query(`create table ${relationName(schema, tmp)} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`);
  const reuse = await sameColumns(client, schema, node.name, tmp);
  if (reuse) {
    await client.query(`drop table ${relationName(schema, tmp)}`);
    await client.query(`truncate table ${relationName(schema, node.name)}`);
  }
  const target = relationName(schema, reuse ? node.name : tmp);
  const rows = await copyCsv(
    client,
    target,
    columns.map((c) => c.name),
    node,
  );
  if (!reuse) await swapIn(client, schema, node.name, tmp, 'table');
  return rows;
}

async function copyCsv(client: pg.Client, target: string, columns: string[], node: PipelineNode): Promise<number> {
  const copy = client.query(copyFrom(`copy ${target} (${columns.map(quoteIdent).join(', ')}) from stdin with (format csv, header true)`));
  try {
    // Blank lines at the end are no rows (the parser skips them; COPY would read a row of nulls).
    await pipeline(Readable.from([Buffer.from(node.csv!.replace(/^\uFEFF/, '').replace(/(\r?\n)+$/, '\n'))]), copy);
  } catch (e) {
    const err = e as { message: string; where?: string };
    // where: 'COPY customers__tmp, line 3, column customer_id: "abc"'
    const m = /line (\d+)(?:, column ([^:]+))?/.exec(err.where ?? '');
    throw new TaskError('SEED_LOAD', `${node.file}:${m?.[1] ?? '?'}: ${err.message}${m?.[2] ? ` (column ${m[2]})` : ''}.`, {
      hint: 'Fix the value in the CSV, or set the column type under seeds.column_types in sql/project.yml. The previous table was left as it was.',
      cause: e,
    });
  }
  return Number(copy.rowCount);
}
