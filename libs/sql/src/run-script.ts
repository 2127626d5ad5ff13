import type pg from 'pg';
import { locateSqlError } from './error-location.ts';
import { queryRaw, type RawResult } from './raw-query.ts';
import { splitStatements, type SqlStatement } from './split.ts';

export interface ScriptStep {
  statement: SqlStatement;
  result: RawResult;
  /** The text between the previous statement and this one (its leading comments). */
  before: string;
}

/**
 * Runs a SQL script like `psql -v ON_ERROR_STOP=1 -f`: statement by statement (so CREATE DATABASE
 * works), `\gexec` results executed as statements, and the first error thrown as a TaskError at
 * `file:line:col` of the script. Returns how many statements ran.
 */
export async function runScript(
  client: pg.ClientBase,
  text: string,
  options: { file: string; onResult?: (step: ScriptStep) => void },
): Promise<number> {
  let count = 0;
  let previousEnd = 0;
  for (const statement of splitStatements(text, { file: options.file })) {
    const before = text.slice(previousEnd, statement.offset);
    previousEnd = statement.offset + statement.sql.length;
    try {
      const result = await queryRaw(client, statement.sql);
      count++;
      if (statement.gexec) {
        for (const row of result.rows) for (const value of row) if (value !== null) {
          await client.query(value);
          count++;
        }
      } else options.onResult?.({ statement, result, before });
    } catch (err) {
      throw locateSqlError(err, { file: options.file, sql: statement.sql, startLine: statement.line, startColumn: statement.column }) ?? err;
    }
  }
  return count;
}
