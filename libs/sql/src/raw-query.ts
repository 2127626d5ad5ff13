import type pg from 'pg';

export interface RawField {
  name: string;
  /** Type OID (e.g. 23 = int4, 1700 = numeric); decides alignment in formatAligned. */
  dataTypeID: number;
}

export interface RawResult {
  fields: RawField[];
  /** Each value exactly as the server's text output (no Date/number parsing); null for SQL NULL. */
  rows: Array<Array<string | null>>;
  /** First word of the command tag: SELECT, INSERT, CREATE, ... */
  command: string;
  /** Rows returned or affected; null when the command reports no count. */
  rowCount: number | null;
}

// Keep the server's text: no Date for timestamps, no precision loss for numeric/bigint.
const rawText = { getTypeParser: () => (value: string) => value };

/**
 * Runs one statement and returns values as raw text. Array rows keep duplicate column names
 * (object rows would overwrite `a` with the second `a`). With a multi-statement string (no params)
 * the last statement's result is returned.
 */
export async function queryRaw(client: pg.ClientBase | pg.Pool, sql: string, params?: unknown[]): Promise<RawResult> {
  const res = (await client.query({ text: sql, values: params, rowMode: 'array', types: rawText })) as
    | pg.QueryArrayResult<Array<string | null>>
    | Array<pg.QueryArrayResult<Array<string | null>>>;
  const last = Array.isArray(res) ? res[res.length - 1]! : res;
  return {
    fields: (last.fields ?? []).map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
    rows: last.rows ?? [],
    command: last.command ?? '',
    rowCount: last.rowCount ?? null,
  };
}
