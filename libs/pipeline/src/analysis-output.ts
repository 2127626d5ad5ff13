import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { formatAligned, type RawField } from '@mt/sql';

/** One result table of an analysis file. */
export interface AnalysisSection {
  title: string;
  /** File-name friendly title, unique in the analysis. */
  slug: string;
  fields: RawField[];
  /** Exact server text of every value (null for NULL). */
  rows: Array<Array<string | null>>;
}

export interface AnalysisResult {
  analysis: string;
  tenant: string;
  database: string;
  sections: AnalysisSection[];
}

const INTEGER = new Set([20, 21, 23]);
const DECIMAL = new Set([1700, 700, 701]);
const BOOLEAN = 16;

/**
 * `1234567.891` → `1,234,567.89`: at most two decimals (fewer when the value has fewer, so a share
 * of `92.4` stays `92.4`), rounded half away from zero on the text — no float error.
 */
export function formatDecimal(value: string, maxPlaces = 2): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(value);
  if (!m) return value; // NaN, Infinity
  const [, sign, int, frac = ''] = m;
  const places = Math.min(frac.length, maxPlaces);
  let scaled = BigInt((int || '0') + frac.slice(0, places));
  if ((frac[places] ?? '0') >= '5') scaled += 1n;
  const digits = scaled.toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${scaled === 0n ? '' : sign}${whole}${places ? `.${digits.slice(-places)}` : ''}`;
}

const formatInteger = (value: string) => value.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Human output: one psql-style aligned table per section, numbers as in the original reports. */
export function formatAnalysis(result: AnalysisResult): string {
  return result.sections
    .map((s) => {
      const rows = s.rows.map((row) =>
        row.map((v, i) =>
          v === null
            ? null
            : INTEGER.has(s.fields[i].dataTypeID)
              ? formatInteger(v)
              : s.fields[i].dataTypeID === 1700
                ? formatDecimal(v)
                : DECIMAL.has(s.fields[i].dataTypeID)
                  ? formatDecimal(Number(v).toFixed(2))
                  : v,
        ),
      );
      return formatAligned({ fields: s.fields, rows }, { title: s.title });
    })
    .join('');
}

/** A value for JSON: numbers stay numbers when that is exact, everything else keeps the server's text. */
function jsonValue(value: string | null, typeId: number): unknown {
  if (value === null) return null;
  if (typeId === BOOLEAN) return value === 't';
  if (INTEGER.has(typeId) || DECIMAL.has(typeId)) {
    const n = Number(value);
    const decimals = value.split('.')[1]?.length ?? 0;
    if (Number.isFinite(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER / 10 ** decimals && n.toFixed(decimals) === value) return n;
  }
  return value;
}

/**
 * Column names as JSON keys: a query may return two columns of one name (`select a.n, b.n`), and as keys
 * of one row object the second would overwrite the first. Later ones become `n_2`, `n_3` (past any
 * name the query itself returns); unique names stay as they are.
 */
function distinctNames(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let key = name;
    for (let i = 2; used.has(key) || (key !== name && names.includes(key)); i++) key = `${name}_${i}`;
    used.add(key);
    return key;
  });
}

export function toJson(result: AnalysisResult): object {
  return {
    analysis: result.analysis,
    tenant: result.tenant,
    database: result.database,
    sections: result.sections.map((s) => {
      const columns = distinctNames(s.fields.map((f) => f.name));
      return {
        title: s.title,
        slug: s.slug,
        columns,
        rows: s.rows.map((row) => Object.fromEntries(row.map((v, i) => [columns[i], jsonValue(v, s.fields[i].dataTypeID)]))),
      };
    }),
  };
}

/**
 * RFC 4180 with `\n` line ends, a header line, and NULL kept apart from empty text: csv-stringify
 * writes null as an empty field, and quoted_match quotes only the empty string (`""`); its
 * quoted_empty option would quote both.
 */
const toCsv = (s: AnalysisSection) => stringify([s.fields.map((f) => f.name), ...s.rows], { quoted_match: /^$/ });

function toMarkdown(result: AnalysisResult): string {
  const cell = (v: string | null) => (v ?? '').replace(/\|/g, '\\|').replace(/\n/g, '<br>');
  const parts = [`# ${result.analysis} — ${result.tenant}\n`];
  for (const s of result.sections) {
    const right = s.fields.map((f) => INTEGER.has(f.dataTypeID) || DECIMAL.has(f.dataTypeID));
    parts.push(`## ${s.title}\n`);
    parts.push(`| ${s.fields.map((f) => cell(f.name)).join(' | ')} |`);
    parts.push(`| ${right.map((r) => (r ? '---:' : '---')).join(' | ')} |`);
    for (const row of s.rows) parts.push(`| ${row.map(cell).join(' | ')} |`);
    parts.push(`\n(${s.rows.length} ${s.rows.length === 1 ? 'row' : 'rows'})\n`);
  }
  return parts.join('\n');
}

/**
 * Writes `<name>.json`, `<name>.md` and the CSV files (`<name>.csv`, or `<name>.<section>.csv` when
 * the analysis has several sections) into `dir`, replacing what an earlier run of it left.
 */
export function writeAnalysisFiles(dir: string, result: AnalysisResult): string[] {
  mkdirSync(dir, { recursive: true });
  const name = result.analysis;
  for (const f of readdirSync(dir))
    if (f === `${name}.json` || f === `${name}.md` || f === `${name}.csv` || (f.startsWith(`${name}.`) && f.endsWith('.csv'))) rmSync(join(dir, f));
  const files: Array<[string, string]> = [
    [`${name}.json`, `${JSON.stringify(toJson(result), null, 2)}\n`],
    [`${name}.md`, toMarkdown(result)],
    ...result.sections.map((s): [string, string] => [result.sections.length === 1 ? `${name}.csv` : `${name}.${s.slug}.csv`, toCsv(s)]),
  ];
  for (const [file, content] of files) writeFileSync(join(dir, file), content);
  return files.map(([f]) => join(dir, f));
}
