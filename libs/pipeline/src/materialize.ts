import type pg from 'pg';
import { TaskError } from '@mt/cli';
import { quoteIdent, relationName } from './render.ts';
import { columnsOf, dropRelation, identifierOf, relationKind, swapIn } from './relations.ts';
import { extended, runNodeSql } from './sql-errors.ts';
import type { PipelineNode } from './types.ts';

export interface ModelBuild {
  schema: string;
  /** The SQL to build with, rendered with is_incremental() as it applies now. */
  sql: string;
  incremental: boolean;
  /** A materialized view whose query is unchanged: its data is refreshed, not rebuilt. */
  refresh?: boolean;
  compiledFile?: string;
}

/** Builds one model inside the caller's transaction; returns the rows written (undefined for views). */
export async function buildModel(client: pg.Client, node: PipelineNode, build: ModelBuild): Promise<number | undefined> {
  const { schema } = build;
  const exec = (text: string) => client.query(extended(text));
  const run = (prefix: string, sql: string, suffix = '') => runNodeSql(exec, node, { prefix, sql, suffix, compiledFile: build.compiledFile });
  await client.query(`create schema if not exists ${quoteIdent(schema)}`);

  if (build.incremental) return appendIncrement(client, node, build, run);

  const tmp = `${identifierOf(node)}__tmp`;
  const leftover = await relationKind(client, schema, tmp);
  if (leftover) await client.query(dropRelation(leftover, schema, tmp));

  if (node.config.materialized === 'view') {
    // Prefer CREATE OR REPLACE: it keeps views stacked on this one. It refuses column changes;
    // then build aside and swap (dependent views are rebuilt by the engine).
    if ((await relationKind(client, schema, identifierOf(node))) === 'view') {
      await client.query('savepoint replace_view');
      try {
        await run(`create or replace view ${relationName(schema, identifierOf(node))} as\n`, build.sql);
        await client.query('release savepoint replace_view');
        return undefined;
      } catch (err) {
        await client.query('rollback to savepoint replace_view');
        if ((err as { code?: string }).code !== '42P16' && !/cannot (drop|change)/.test(String((err as Error).message))) throw err;
      }
    }
    await run(`create view ${relationName(schema, tmp)} as\n`, build.sql);
    await swapIn(client, schema, identifierOf(node), tmp, 'view');
    return undefined;
  }

  if (node.config.materialized === 'materialized_view') {
    if (build.refresh) {
      await client.query(`refresh materialized view ${relationName(schema, identifierOf(node))}`);
      return undefined;
    }
    const result = await run(`create materialized view ${relationName(schema, tmp)} as (\n`, build.sql, '\n)');
    await swapIn(client, schema, identifierOf(node), tmp, 'materialized view');
    return result.rowCount ?? undefined;
  }

  const result = await run(`create table ${relationName(schema, tmp)} as (\n`, build.sql, '\n)');
  await swapIn(client, schema, identifierOf(node), tmp, 'table');
  return result.rowCount ?? undefined;
}

/**
 * incremental: new rows are computed into a temp table, then added by the model's strategy — append,
 * delete+insert on unique_key (the default with a key), or merge (PostgreSQL 15+). When the query's
 * columns no longer match the table's, on_schema_change decides, as in dbt.
 */
async function appendIncrement(
  client: pg.Client,
  node: PipelineNode,
  build: ModelBuild,
  run: (prefix: string, sql: string, suffix?: string) => Promise<pg.QueryResult>,
): Promise<number> {
  const target = relationName(build.schema, identifierOf(node));
  const staged = quoteIdent(`${identifierOf(node)}__increment`);
  await run(`create temporary table ${staged} on commit drop as (\n`, build.sql, '\n)');
  const [now, before] = await Promise.all([columnsOf(client, staged), columnsOf(client, target)]);
  const added = [...now.keys()].filter((c) => !before.has(c));
  const gone = [...before.keys()].filter((c) => !now.has(c));
  const policy = node.config.on_schema_change ?? 'fail';
  if ((added.length || gone.length) && policy === 'fail') {
    const change = [added.length && `new ${added.join(', ')}`, gone.length && `gone ${gone.join(', ')}`].filter(Boolean).join('; ');
    throw new TaskError(
      'SCHEMA_CHANGED',
      `${node.file}: the columns of the incremental model changed since its table was built (${change}); on_schema_change is "fail", so nothing was changed.`,
      {
        hint: `Rebuild it: ARGS="--select ${node.name} --full-refresh" (make dbt-run), or set config(on_schema_change='append_new_columns') to add new columns to the table.`,
      },
    );
  }
  const adds = policy === 'append_new_columns' || policy === 'sync_all_columns';
  if (adds) for (const c of added) await client.query(`alter table ${target} add column ${quoteIdent(c)} ${now.get(c)}`);
  if (policy === 'sync_all_columns') for (const c of gone) await client.query(`alter table ${target} drop column ${quoteIdent(c)}`);
  const shared = [...now.keys()].filter((c) => adds || before.has(c));
  const columns = shared.map(quoteIdent).join(', ');
  const keys = [node.config.unique_key ?? []].flat().map(String);
  const strategy = node.config.incremental_strategy ?? (keys.length ? 'delete+insert' : 'append');
  const match = keys.map((k) => `${target}.${quoteIdent(k)} = ${staged}.${quoteIdent(k)}`).join(' and ');
  if (strategy === 'merge') {
    const { rows } = await client.query(`select current_setting('server_version_num')::int as version`);
    if (rows[0].version < 150000) {
      throw new TaskError(
        'INVALID_CONFIG',
        `${node.file}: incremental_strategy='merge' needs PostgreSQL 15 or later (MERGE); this server is ${rows[0].version}.`,
        {
          hint: "Use incremental_strategy='delete+insert' (the same result with a unique_key), or a newer server.",
        },
      );
    }
    const values = shared.filter((c) => !keys.includes(c));
    const update = values.length ? `when matched then update set ${values.map((c) => `${quoteIdent(c)} = ${staged}.${quoteIdent(c)}`).join(', ')}` : '';
    const merged = await client.query(
      `merge into ${target} using ${staged} on ${match} ${update} when not matched then insert (${columns}) values (${shared.map((c) => `${staged}.${quoteIdent(c)}`).join(', ')})`,
    );
    return merged.rowCount ?? 0;
  }
  if (strategy === 'delete+insert') await client.query(`delete from ${target} using ${staged} where ${match}`);
  const inserted = await client.query(`insert into ${target} (${columns}) select ${columns} from ${staged}`);
  return inserted.rowCount ?? 0;
}
