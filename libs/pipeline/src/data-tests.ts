import type pg from 'pg';
import { extended, runNodeSql } from './sql-errors.ts';
import type { PipelineNode } from './types.ts';

export interface TestOutcome {
  failures: number;
  /** The first failing rows, to show the user what is wrong. */
  sample: { columns: string[]; rows: string[][] };
}

const SAMPLE = 10;

/** A test fails when its query returns rows; one query returns the count and the first rows. */
export async function runDataTest(client: pg.Client, node: PipelineNode, compiledFile?: string): Promise<TestOutcome> {
  const result = await runNodeSql((text) => client.query({ ...extended(text), rowMode: 'array', types: { getTypeParser: () => (v: string) => v } }), node, {
    prefix: 'select count(*) over () as __failures, t.* from (\n',
    sql: node.sql!,
    suffix: `\n) as t limit ${SAMPLE}`,
    compiledFile,
  });
  const rows = result.rows as Array<Array<string | null>>;
  return {
    failures: rows.length ? Number(rows[0][0]) : 0,
    sample: {
      columns: result.fields.slice(1).map((f) => f.name),
      rows: rows.map((r) => r.slice(1).map((v) => (v === null ? 'null' : v))),
    },
  };
}
