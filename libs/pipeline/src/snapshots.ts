import type pg from 'pg';
import { TaskError } from '@mt/cli';
import { quoteIdent, relationName } from './render.ts';
import { columnsOf, identifierOf, relationKind } from './relations.ts';
import { extended, runNodeSql } from './sql-errors.ts';
import type { PipelineNode } from './types.ts';

const META_COLUMNS = ['dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to'];

/**
 * SCD type 2 with dbt's columns and semantics: a changed row (newer `updated_at`, or different
 * `check_cols`) closes its current version (dbt_valid_to) and opens a new one. Returns rows touched.
 */
export async function runSnapshot(client: pg.Client, node: PipelineNode, schema: string, compiledFile?: string): Promise<number> {
  const cfg = node.config;
  const keys = [cfg.unique_key ?? []].flat().map(String);
  if (!keys.length || (cfg.strategy !== 'timestamp' && cfg.strategy !== 'check')) {
    throw new TaskError(
      'INVALID_SNAPSHOT',
      `${node.file}: a snapshot needs config(unique_key=…, strategy='timestamp' with updated_at=…, or strategy='check' with check_cols=…).`,
    );
  }
  if (cfg.strategy === 'timestamp' && !cfg.updated_at)
    throw new TaskError('INVALID_SNAPSHOT', `${node.file}: strategy='timestamp' needs updated_at='<column>'.`);
  const target = relationName(schema, identifierOf(node));
  const src = quoteIdent(`${identifierOf(node)}__source`);
  await client.query(`create schema if not exists ${quoteIdent(schema)}`);
  await runNodeSql((t) => client.query(extended(t)), node, {
    prefix: `create temporary table ${src} on commit drop as (\n`,
    sql: node.sql!,
    suffix: '\n)',
    compiledFile,
  });

  const sourceColumns = await columnsOf(client, src);
  const columns = [...sourceColumns.keys()];
  for (const k of [...keys, ...(cfg.updated_at ? [cfg.updated_at] : [])]) {
    if (!columns.includes(k))
      throw new TaskError('INVALID_SNAPSHOT', `${node.file}: column "${k}" named in config() is not in the snapshot query (columns: ${columns.join(', ')}).`);
  }
  const q = (alias: string, c: string) => `${alias}.${quoteIdent(c)}`;
  const keyMatch = keys.map((k) => `${q('t', k)} = ${q('s', k)}`).join(' and ');
  const changeTime = cfg.strategy === 'timestamp' ? `${q('s', cfg.updated_at!)}::timestamp` : 'now()::timestamp';
  const scdId = `md5(${[...keys.map((k) => `coalesce(${q('s', k)}::text, '')`), `coalesce((${changeTime})::text, '')`].join(` || '|' || `)})`;
  const checkCols = cfg.check_cols === 'all' || !cfg.check_cols ? columns.filter((c) => !keys.includes(c)) : cfg.check_cols;
  const changed =
    cfg.strategy === 'timestamp'
      ? `${q('s', cfg.updated_at!)}::timestamp > t.dbt_updated_at`
      : `(${checkCols.map((c) => q('t', c)).join(', ')}) is distinct from (${checkCols.map((c) => q('s', c)).join(', ')})`;
  const insertNew = (where: string) =>
    `insert into ${target} (${[...columns, ...META_COLUMNS].map(quoteIdent).join(', ')})
     select ${columns.map((c) => q('s', c)).join(', ')}, ${scdId}, ${changeTime}, ${changeTime}, null::timestamp
     from ${src} s ${where}`;

  if (!(await relationKind(client, schema, identifierOf(node)))) {
    await client.query(
      `create table ${target} as select s.*, ''::text as dbt_scd_id, null::timestamp as dbt_updated_at, null::timestamp as dbt_valid_from, null::timestamp as dbt_valid_to from ${src} s limit 0`,
    );
    return (await client.query(insertNew(''))).rowCount ?? 0;
  }
  // Columns new in the source are added to the history (older versions hold null there).
  const have = await columnsOf(client, target);
  for (const [name, type] of sourceColumns) if (!have.has(name)) await client.query(`alter table ${target} add column ${quoteIdent(name)} ${type}`);

  const closed = await client.query(
    `update ${target} t set dbt_valid_to = ${changeTime} from ${src} s where ${keyMatch} and t.dbt_valid_to is null and ${changed}`,
  );
  const opened = await client.query(insertNew(`where not exists (select 1 from ${target} t where ${keyMatch} and t.dbt_valid_to is null)`));
  let deleted = 0;
  if (cfg.hard_deletes === 'invalidate') {
    deleted =
      (
        await client.query(
          `update ${target} t set dbt_valid_to = now()::timestamp where t.dbt_valid_to is null and not exists (select 1 from ${src} s where ${keyMatch})`,
        )
      ).rowCount ?? 0;
  }
  return (closed.rowCount ?? 0) + (opened.rowCount ?? 0) + deleted;
}
