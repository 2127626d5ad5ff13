import type pg from 'pg';
import { quoteIdent, relationName } from './render.ts';
import type { PipelineNode } from './types.ts';

export type RelationKind = 'table' | 'view' | 'materialized view';

/** The name of a node's relation: dbt's `alias` config when set, else the node's name (what ref() takes). */
export const identifierOf = (node: PipelineNode): string => (typeof node.config.alias === 'string' ? node.config.alias : node.name);

/** 'table' | 'view' | 'materialized view' | undefined for a relation right now (a cascade earlier in a run may have dropped it). */
export async function relationKind(client: pg.Client, schema: string, name: string): Promise<RelationKind | undefined> {
  const { rows } = await client.query(
    `select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2`,
    [schema, name],
  );
  return kindOf(rows[0]?.relkind);
}

/** pg_class.relkind as the pipeline names it (and as ALTER and DROP spell it): a view, a materialized view or a table (partitioned or not). */
export const kindOf = (relkind: string | undefined): RelationKind | undefined =>
  relkind === 'v' ? 'view' : relkind === 'm' ? 'materialized view' : relkind === 'r' || relkind === 'p' ? 'table' : undefined;

/** A relation's columns in order, with their types as SQL spells them (`relation` as SQL names it). */
export async function columnsOf(client: pg.Client, relation: string): Promise<Map<string, string>> {
  const { rows } = await client.query(
    `select attname, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
    [relation],
  );
  return new Map(rows.map((r) => [r.attname, r.type]));
}

/** Whether two relations have the same column names and types, in order. */
export async function sameColumns(client: pg.Client, schema: string, a: string, b: string): Promise<boolean> {
  const sql = `select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum) as cols
    from pg_attribute where attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) and attnum > 0 and not attisdropped`;
  const [x, y] = await Promise.all([client.query(sql, [schema, a]), client.query(sql, [schema, b])]);
  return x.rows[0].cols !== null && x.rows[0].cols === y.rows[0].cols;
}

export const dropRelation = (kind: RelationKind, schema: string, name: string) => `drop ${kind} if exists ${relationName(schema, name)} cascade`;

/**
 * Replaces `name` by the freshly built `tmp` (dbt's swap): rename the old one aside, rename tmp into
 * place, drop the old one. Runs inside the caller's transaction, so readers see old or new, never
 * neither. The CASCADE also drops views built on the old relation: the engine notices they are
 * missing and rebuilds them in the same run.
 */
export async function swapIn(client: pg.Client, schema: string, name: string, tmp: string, tmpKind: RelationKind): Promise<void> {
  const old = await relationKind(client, schema, name);
  const backup = `${name}__backup`;
  const leftover = await relationKind(client, schema, backup);
  if (leftover) await client.query(dropRelation(leftover, schema, backup));
  if (old) {
    await client.query(`alter ${old} ${relationName(schema, name)} rename to ${quoteIdent(backup)}`);
  }
  await client.query(`alter ${tmpKind} ${relationName(schema, tmp)} rename to ${quoteIdent(name)}`);
  if (old) await client.query(dropRelation(old, schema, backup));
}
