import { stripVTControlCharacters, styleText } from 'node:util';
import { io } from './io.ts';

const colorOn = () => {
  const { env, stdout } = io();
  return !env.NO_COLOR && !!stdout.isTTY && env.TERM !== 'dumb';
};
const paint = (format: Parameters<typeof styleText>[0]) => (s: string) => (colorOn() ? styleText(format, s) : s);

export const color = {
  bold: paint('bold'),
  dim: paint('dim'),
  red: paint('red'),
  green: paint('green'),
  yellow: paint('yellow'),
  cyan: paint('cyan'),
};

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A plain left/right aligned text table (for summaries; psql-compatible output lives in @mt/sql). */
export function textTable(header: string[], rows: Array<Array<string | number>>, rightAligned: number[] = []): string {
  const cells = rows.map((r) => r.map(String));
  const width = (s: string) => stripVTControlCharacters(s).length;
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => width(r[i] ?? ''))));
  const pad = (c: string, i: number) => {
    const fill = ' '.repeat(widths[i] - width(c));
    return rightAligned.includes(i) ? fill + c : c + fill;
  };
  const line = (r: string[]) => r.map(pad).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
