/**
 * A seed column's type: the narrowest of integer, bigint, numeric, boolean, date, timestamp that every
 * non-empty value fits, else text. Checked for every value of every row (a million-row seed has millions),
 * so on the bytes as read, without making a string per value: every character these types allow is
 * ASCII, and a value with any other byte is text.
 */
export interface SeedColumn {
  name: string;
  type: string;
}

const TYPES = ['integer', 'bigint', 'numeric', 'boolean', 'date', 'timestamp'] as const;
const [INTEGER, BIGINT, NUMERIC, BOOLEAN, DATE, TIMESTAMP] = TYPES.map((_, i) => 1 << i);
const NUMBERS = INTEGER | BIGINT | NUMERIC;
const ALL = (1 << TYPES.length) - 1;
const INT4 = 2147483647n;
const INT8 = 9223372036854775807n;

type Bytes = Uint8Array;
const ascii = (bytes: Bytes, start: number, end: number) => Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');

/** The types among `candidates` that `bytes[start, end)` fits. */
function fits(bytes: Bytes, start: number, end: number, candidates: number): number {
  let found = 0;
  if (candidates & NUMBERS) found |= numberTypes(bytes, start, end);
  if (candidates & BOOLEAN && end - start <= 5 && /^(true|false)$/i.test(ascii(bytes, start, end))) found |= BOOLEAN;
  if (candidates & (DATE | TIMESTAMP)) found |= dateTypes(bytes, start, end);
  return found;
}

/**
 * Digits with an optional `-` and one `.` (`.5` and `5.` too; no exponent, no `+`, no padding). A
 * leading zero (`00501`, `-07`, `00.5`) makes a code, not a number: typed as one it would lose its zeros
 * (`0` and `0.5` are numbers). Integers must fit int4 / int8.
 */
function numberTypes(bytes: Bytes, start: number, end: number): number {
  const from = bytes[start] === 45 ? start + 1 : start;
  let digits = 0;
  let dot = -1;
  for (let i = from; i < end; i++) {
    const c = bytes[i];
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && dot < 0) dot = i;
    else return 0;
  }
  if (digits === 0) return 0;
  if ((dot < 0 ? end : dot) - from > 1 && bytes[from] === 48) return 0;
  if (dot >= 0 || digits > 19) return NUMERIC;
  if (digits <= 9) return INTEGER | BIGINT | NUMERIC;
  // BigInt only for the few values of ten digits or more.
  const value = BigInt(ascii(bytes, start, end));
  const int8 = value <= INT8 && value >= -INT8 - 1n;
  return (int8 && value <= INT4 && value >= -INT4 - 1n ? INTEGER : 0) | (int8 ? BIGINT : 0) | NUMERIC;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `YYYY-MM-DD` that exists on the calendar (`2024-02-30` looks like a date but is none: typed date, the
 * whole seed would fail to load), optionally followed by ` HH:MM[:SS[.fff]]` or `T…`. A date is
 * midnight: a column of dates and timestamps is timestamp (date comes first for dates only).
 */
function dateTypes(bytes: Bytes, start: number, end: number): number {
  if (end - start < 10) return 0;
  let year = 0;
  let month = 0;
  let day = 0;
  for (let i = 0; i < 10; i++) {
    const c = bytes[start + i];
    if (i === 4 || i === 7) {
      if (c !== 45) return 0;
    } else if (c < 48 || c > 57) return 0;
    else if (i < 4) year = year * 10 + c - 48;
    else if (i < 7) month = month * 10 + c - 48;
    else day = day * 10 + c - 48;
  }
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > (month === 2 && leap ? 29 : DAYS[month - 1])) return 0;
  if (end - start === 10) return DATE | TIMESTAMP;
  const m = /^[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/.exec(ascii(bytes, start + 10, end));
  return m && +m[1] <= 23 && +m[2] <= 59 && +(m[3] ?? 0) <= 59 ? TIMESTAMP : 0;
}

/** Per column, the types every non-empty value seen so far fits. `column_types` columns are not inferred. */
export class TypeInference {
  private readonly candidates: number[];
  private readonly seen: boolean[];

  constructor(
    private readonly header: string[],
    private readonly configured: Record<string, string>,
  ) {
    this.candidates = header.map((name) => (configured[name] ? 0 : ALL));
    this.seen = header.map(() => false);
  }

  /** The value of column `i` is `bytes[start, end)` (UTF-8). */
  value(i: number, bytes: Bytes, start: number, end: number): void {
    const candidates = this.candidates[i];
    if (candidates === 0 || start === end) return;
    this.seen[i] = true;
    this.candidates[i] = candidates & fits(bytes, start, end, candidates);
  }

  row(values: string[]): void {
    for (let i = 0; i < values.length; i++) {
      if (this.candidates[i] === 0 || values[i] === '') continue;
      const bytes = Buffer.from(values[i]);
      this.value(i, bytes, 0, bytes.length);
    }
  }

  columns(): SeedColumn[] {
    return this.header.map((name, i) => ({
      name,
      type: this.configured[name] ?? (this.seen[i] ? TYPES.find((_, t) => this.candidates[i] & (1 << t)) : undefined) ?? 'text',
    }));
  }
}
