/**
 * psql's default "aligned" output format (border 1, ascii line style), reproduced byte for byte from
 * print_aligned_text() and pg_wcsformat() in PostgreSQL's src/fe_utils.
 */

export interface AlignedResult {
  fields: Array<{ name: string; dataTypeID: number }>;
  /** Raw text values as sent by the server; null for SQL NULL (printed as an empty cell). */
  rows: Array<Array<string | null>>;
}

export interface AlignedOptions {
  /** Title line centred above the table (psql `\pset title`). */
  title?: string;
  /** Print the `(N rows)` footer (psql `\pset footer`); default true. */
  footer?: boolean;
}

/** Types psql right-aligns (column_type_alignment in print.c): int2/4/8, float4/8, numeric, oid, xid, xid8, cid, money. */
export const RIGHT_ALIGNED_TYPES: ReadonlySet<number> = new Set([21, 23, 20, 700, 701, 1700, 26, 28, 5069, 29, 790]);

interface Line {
  text: string;
  width: number;
}

/**
 * Formats a result like `psql` does by default: centred headers, a `-+-` rule, numeric types
 * right-aligned, `+` after a cell line that continues on the next line, and the `(N rows)` footer.
 * The string ends like psql's output for one query: the footer line, then an empty line.
 */
export function formatAligned(result: AlignedResult, options: AlignedOptions = {}): string {
  const ncols = result.fields.length;
  const headers = result.fields.map((f) => cellLines(f.name));
  const rows = result.rows.map((row) => result.fields.map((_, j) => cellLines(row[j] ?? '')));
  const right = result.fields.map((f) => RIGHT_ALIGNED_TYPES.has(f.dataTypeID));
  const widths = headers.map((h, j) => Math.max(maxWidth(h), ...rows.map((r) => maxWidth(r[j]!))));
  let out = '';

  if (options.title !== undefined) {
    const total = widths.reduce((a, b) => a + b, ncols > 0 ? ncols * 3 - 1 : 0);
    const width = maxWidth(cellLines(options.title));
    out += (width >= total ? '' : ' '.repeat(Math.floor((total - width) / 2))) + options.title + '\n';
  }

  // Header: every column centred; `+` marks a header line that continues below.
  const headerHeight = Math.max(0, ...headers.map((h) => h.length));
  for (let k = 0; k < headerHeight; k++) {
    out += headers
      .map((h, j) => {
        const line = h[k];
        if (!line) return ' ' + ' '.repeat(widths[j]!) + ' ';
        const space = widths[j]! - line.width;
        const centred = ' '.repeat(Math.floor(space / 2)) + line.text + ' '.repeat(Math.ceil(space / 2));
        return ' ' + centred + (k < h.length - 1 ? '+' : ' ');
      })
      .join('|') + '\n';
  }
  out += '-' + widths.map((w) => '-'.repeat(w)).join('-+-') + '-\n';

  for (const row of rows) {
    const height = Math.max(...row.map((c) => c.length));
    for (let k = 0; k < height; k++) {
      out += row
        .map((cell, j) => {
          const last = j === ncols - 1;
          const line = cell[k];
          if (!line) return last ? ' ' : ' ' + ' '.repeat(widths[j]!) + ' ';
          const pad = ' '.repeat(widths[j]! - line.width);
          const continues = k < cell.length - 1;
          // psql pads a left-aligned value only when something follows it on the line.
          const body = right[j] ? pad + line.text : line.text + (last && !continues ? '' : pad);
          return ' ' + body + (continues ? '+' : last ? '' : ' ');
        })
        .join('|') + '\n';
    }
  }

  if (options.footer !== false) out += `(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})\n`;
  return out + '\n';
}

/**
 * Display width of a string in a terminal, per PostgreSQL's ucs_wcwidth(): East Asian wide and
 * fullwidth characters count 2, combining marks 0, control characters 0 here (psql escapes them).
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += Math.max(0, charWidth(ch.codePointAt(0)!));
  return width;
}

/** psql's cell formatting (pg_wcsformat): split at `\n`, tabs to the next multiple of 8, `\r` as `\r`, controls escaped. */
function cellLines(value: string): Line[] {
  const lines: Line[] = [];
  let text = '';
  let width = 0;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x0a) {
      lines.push({ text, width });
      text = '';
      width = 0;
    } else if (cp === 0x0d) {
      text += '\\r';
      width += 2;
    } else if (cp === 0x09) {
      do {
        text += ' ';
        width++;
      } while (width % 8 !== 0);
    } else {
      const w = charWidth(cp);
      if (w >= 0) {
        text += ch;
        width += w;
      } else {
        const hex = cp.toString(16).toUpperCase();
        text += cp < 0x80 ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
        width += cp < 0x80 ? 4 : 6;
      }
    }
  }
  lines.push({ text, width });
  return lines;
}

const maxWidth = (lines: Line[]) => Math.max(...lines.map((l) => l.width));

// Zero-width marks (PostgreSQL 16+ counts Mn, Me and Cf as non-spacing; psql 15 only Mn and Me).
const NON_SPACING = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

/** Wide (W) and fullwidth (F) East Asian ranges, condensed: CJK, kana, hangul, fullwidth forms, emoji. */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x2e80, 0x303e], [0x3041, 0x33ff],
  [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3],
  [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6],
  [0x16fe0, 0x18dff], [0x1b000, 0x1b2ff], [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f900, 0x1f9ff],
  [0x1fa70, 0x1faff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

/** ucs_wcwidth(): -1 for control characters, 0 for non-spacing marks, 2 for wide, else 1. */
function charWidth(cp: number): number {
  if (cp === 0) return 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return -1;
  if (cp >= 0xa0 && NON_SPACING.test(String.fromCodePoint(cp))) return 0;
  if (cp < 0x1100) return 1;
  for (const [lo, hi] of WIDE) if (cp >= lo && cp <= hi) return 2;
  return 1;
}
