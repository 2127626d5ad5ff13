/**
 * Seeds: a CSV file streamed to COPY, never held whole in memory. The bytes COPY reads are checked on the
 * way (seed-reader.ts, in this process, while the server parses them in its own), so a seed costs about
 * what `psql \copy` costs.
 *
 * Types are needed before the table is created, so they are first inferred from the file's first MiB;
 * the check during COPY infers them from every row. When the whole file says otherwise (a `2.5` on
 * line 800,000 of an integer column), the load is rolled back to a savepoint and done again with the
 * whole file's types: the result is always the narrowest type every value fits, as if the file had
 * been read twice, and a file under a MiB is read once.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { TaskError } from '@mt/cli';
import { quoteIdent, relationName } from './render.ts';
import { identifierOf, sameColumns, swapIn } from './relations.ts';
import { SeedReader, seedColumns } from './seed-reader.ts';
import type { SeedColumn } from './seed-types.ts';
import type { PipelineNode } from './types.ts';

export { seedColumns } from './seed-reader.ts';

const SAMPLE_BYTES = 1 << 20;

/**
 * Loads one seed with COPY inside the caller's transaction. Same columns as before: truncate and
 * reload, so views on the table survive. Different columns: load a new table and swap it in.
 * Any error rolls back to the previous table.
 */
export async function loadSeed(client: pg.Client, schema: string, node: PipelineNode, path: string): Promise<number> {
  const sample = await seedColumns(path, node, SAMPLE_BYTES);
  let columns = sample.columns;
  await client.query(`create schema if not exists ${quoteIdent(schema)}`);
  // At most twice: the first MiB's types, then — if the whole file disagrees — the whole file's.
  for (let attempt = 1; ; attempt++) {
    await client.query('savepoint seed_load');
    try {
      const { rows, inferred } = await copySeed(client, schema, node, path, columns);
      if (sameTypes(inferred, columns) || attempt === 2) {
        await client.query('release savepoint seed_load');
        return rows;
      }
      columns = inferred;
    } catch (err) {
      if (err instanceof TaskError) throw err;
      if (sample.exact || attempt === 2) throw seedLoadError(err, node);
      // COPY refused a value before the whole file was read: the file's types tell a wrong guess (load
      // again with them) from a real error (report it).
      await client.query('rollback to savepoint seed_load');
      const whole = await seedColumns(path, node);
      if (sameTypes(whole.columns, columns)) throw seedLoadError(err, node);
      columns = whole.columns;
      continue;
    }
    await client.query('rollback to savepoint seed_load');
  }
}

const sameTypes = (a: SeedColumn[], b: SeedColumn[]) => a.every((c, i) => c.type === b[i].type);

async function copySeed(client: pg.Client, schema: string, node: PipelineNode, path: string, columns: SeedColumn[]) {
  const tmp = `${identifierOf(node)}__tmp`;
  await client.query(`drop table if exists ${relationName(schema, tmp)}`);
  await client.query(`create table ${relationName(schema, tmp)} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`);
  const reuse = await sameColumns(client, schema, identifierOf(node), tmp);
  if (reuse) {
    await client.query(`drop table ${relationName(schema, tmp)}`);
    await client.query(`truncate table ${relationName(schema, identifierOf(node))}`);
  }
  const target = relationName(schema, reuse ? identifierOf(node) : tmp);
  const copy = client.query(copyFrom(`copy ${target} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) from stdin with (format csv, header true)`));
  const reader = new SeedReader(node, path);
  await pipeline(createReadStream(path), reader, copy);
  if (!reuse) await swapIn(client, schema, identifierOf(node), tmp, 'table');
  return { rows: Number(copy.rowCount), inferred: reader.columns() };
}

function seedLoadError(e: unknown, node: PipelineNode): TaskError {
  const err = e as { message: string; where?: string };
  // where: 'COPY customers__tmp, line 3, column customer_id: "abc"'
  const m = /line (\d+)(?:, column ([^:]+))?/.exec(err.where ?? '');
  return new TaskError('SEED_LOAD', `${node.file}:${m?.[1] ?? '?'}: ${err.message}${m?.[2] ? ` (column ${m[2]})` : ''}.`, {
    hint: 'Fix the value in the CSV, or set the column type in sql/dbt_project.yml (seeds.<project>.<seed>.+column_types). The previous table was left as it was.',
    cause: e,
  });
}
