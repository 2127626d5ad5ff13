/**
 * The local external tables: every source table is a view in its schema (`lake.orders`) over one
 * file_fdw foreign table per data file (schema `lake_files`, not granted to anyone), each branch adding
 * its partition values as constants. PostgreSQL reads the files at query time, and a filter on a
 * partition key drops every branch whose constant does not match before any file is opened.
 *
 * Why not a partitioned table with foreign partitions: file_fdw reads every column of a foreign table
 * from the file, and a lake keeps partition values in folder names only (Hive layout), so a partition
 * could not have the key column the parent is partitioned by.
 *
 * Created by the admin connection (file_fdw reads server files: superuser only); the tenant's roles
 * get SELECT on the views, which read the files with their owner's rights and nothing else.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import pg from 'pg';
import { TaskError } from '@mt/cli';
import { postgresType } from './lake-types.ts';
import type { DiscoveredTable, ExternalTable, LakeType } from './types.ts';

const SERVER = 'mt_lake';
const ident = (name: string) => pg.escapeIdentifier(name);
const literal = (text: string) => pg.escapeLiteral(text);

export const filesSchema = (table: ExternalTable) => `${table.schema.slice(0, 57)}_files`;
const fileTablePrefix = (table: ExternalTable) => `${table.name.slice(0, 40)}__`;
/** One foreign table per file, named after the file's path (stable across runs). */
const fileTable = (table: ExternalTable, file: string) => `${fileTablePrefix(table)}${createHash('sha1').update(file).digest('hex').slice(0, 12)}`;
const viewName = (table: ExternalTable) => `${ident(table.schema)}.${ident(table.name)}`;

interface State {
  definition: string;
  files: string;
}

export interface RefreshResult {
  table: ExternalTable;
  status: 'created' | 'rebuilt' | 'refreshed' | 'unchanged';
  files: number;
  partitions: number;
  attached: number;
  detached: number;
  /** Changes with the definition and the files: the fingerprint of what models read from it. */
  state: string;
}

/** The files of a discovered table with the partition values they stand for, in a stable order. */
function filesOf(d: DiscoveredTable): Array<{ file: string; values: Record<string, string> }> {
  return d.table.partitions.length
    ? d.partitions.flatMap((p) => p.files.map((file) => ({ file, values: p.values })))
    : d.files.map((file) => ({ file, values: {} }));
}

/** What decides whether a table must change: its definition, and its files with who may read them. */
function stateOf(d: DiscoveredTable, grantees: string[]): State {
  const files = createHash('sha256')
    .update(JSON.stringify([filesOf(d), grantees]))
    .digest('hex');
  return { definition: d.table.checksum, files };
}

const typed = (value: string | null, type: LakeType) => `${value === null ? 'null' : literal(value)}::${postgresType(type)}`;

/** The statements that make one file a foreign table; `lakeRead` is the lake folder as the server sees it. */
function fileTableDdl(d: DiscoveredTable, file: string, lakeRead: string, shownLake: string): string[] {
  const { table } = d;
  const name = `${ident(filesSchema(table))}.${ident(fileTable(table, file))}`;
  const path = posix.join(lakeRead, table.bucket, table.prefix, file);
  const options =
    table.format === 'csv'
      ? `format 'csv', header ${literal(String(table.csv.header))}, delimiter ${literal(table.csv.delimiter)}, null ${literal(table.csv.nullString)}`
      : // JSON lines: each line whole into one jsonb column (delimiter and quote characters that never occur in JSON text).
        `format 'csv', delimiter E'\\x01', quote E'\\x02'`;
  const columns = table.format === 'csv' ? table.columns.map((c) => `${ident(c.name)} ${postgresType(c.type)}`).join(', ') : '"doc" jsonb';
  return [
    `create foreign table ${name} (${columns}) server ${SERVER} options (filename ${literal(path)}, ${options})`,
    // What error messages and people see instead of the hashed name.
    `comment on foreign table ${name} is ${literal(posix.join(shownLake, table.bucket, table.prefix, file))}`,
  ];
}

function viewSql(d: DiscoveredTable): string {
  const { table } = d;
  const columns = (from: (name: string, type: LakeType) => string) => table.columns.map((c) => `${from(c.name, c.type)} as ${ident(c.name)}`);
  const branches = filesOf(d).map(({ file, values }) => {
    const read =
      table.format === 'csv' ? table.columns.map((c) => ident(c.name)) : columns((name, type) => `("doc" ->> ${literal(name)})::${postgresType(type)}`);
    const keys = table.partitions.map((p) => `${typed(values[p.name], p.type)} as ${ident(p.name)}`);
    return `select ${[...read, ...keys].join(', ')} from ${ident(filesSchema(table))}.${ident(fileTable(table, file))}`;
  });
  if (!branches.length) {
    const nulls = [...table.columns, ...table.partitions].map((c) => `${typed(null, c.type)} as ${ident(c.name)}`);
    branches.push(`select ${nulls.join(', ')} where false`);
  }
  return `create or replace view ${viewName(table)} as\n${branches.join('\nunion all\n')}`;
}

/** Everything that builds one table from nothing, for `--dry-run`. */
export function externalTableDdl(d: DiscoveredTable, lakeRead: string, shownLake: string): string[] {
  const files = filesOf(d).flatMap(({ file }) => fileTableDdl(d, file, lakeRead, shownLake));
  return [...setupDdl(d.table), ...files, viewSql(d)];
}

function setupDdl(table: ExternalTable): string[] {
  return [
    'create extension if not exists file_fdw',
    `create server if not exists ${SERVER} foreign data wrapper file_fdw`,
    `create schema if not exists ${ident(table.schema)}`,
    `create schema if not exists ${ident(filesSchema(table))}`,
    // Nobody but the admin reads the foreign tables directly.
    `revoke all on schema ${ident(filesSchema(table))} from public`,
  ];
}

/**
 * Creates or brings up to date the external tables of one tenant database, one transaction per table.
 * Unchanged (same definition, same files): one query. New files are added and vanished ones dropped;
 * a changed definition (or `fullRefresh`) rebuilds the table, and the views built on it are dropped with
 * it (the pipeline rebuilds them).
 */
export async function refreshExternalTables(
  admin: pg.Client,
  discovered: DiscoveredTable[],
  options: { lakeRead: string; shownLake: string; grantees: string[]; fullRefresh?: boolean },
): Promise<RefreshResult[]> {
  const results: RefreshResult[] = [];
  for (const d of discovered) {
    const state = stateOf(d, options.grantees);
    const fingerprint = createHash('sha256').update(JSON.stringify(state)).digest('hex');
    const counts = { files: filesOf(d).length, partitions: d.partitions.length };
    const before = await storedState(admin, d.table);
    if (!options.fullRefresh && before?.definition === state.definition && before.files === state.files) {
      results.push({ table: d.table, status: 'unchanged', ...counts, attached: 0, detached: 0, state: fingerprint });
      continue;
    }
    const rebuild = !!before && (options.fullRefresh || before.definition !== state.definition);
    await admin.query('begin');
    try {
      if (!before) for (const sql of setupDdl(d.table)) await admin.query(sql);
      if (rebuild) await admin.query(`drop view if exists ${viewName(d.table)} cascade`);
      const existing = rebuild ? [] : await fileTables(admin, d.table);
      if (rebuild) for (const name of await fileTables(admin, d.table)) await admin.query(`drop foreign table ${ident(filesSchema(d.table))}.${ident(name)}`);
      const wanted = new Map(filesOf(d).map(({ file }) => [fileTable(d.table, file), file]));
      const added = [...wanted].filter(([name]) => !existing.includes(name));
      for (const [, file] of added) for (const sql of fileTableDdl(d, file, options.lakeRead, options.shownLake)) await admin.query(sql);
      await admin.query(viewSql(d));
      const gone = existing.filter((name) => !wanted.has(name));
      for (const name of gone) await admin.query(`drop foreign table ${ident(filesSchema(d.table))}.${ident(name)}`);
      await admin.query(`comment on view ${viewName(d.table)} is ${literal(JSON.stringify(state))}`);
      for (const role of options.grantees) {
        await admin.query(`grant usage on schema ${ident(d.table.schema)} to ${ident(role)}`);
        await admin.query(`grant select on ${viewName(d.table)} to ${ident(role)}`);
      }
      await admin.query('commit');
      const status = !before ? 'created' : rebuild ? 'rebuilt' : 'refreshed';
      results.push({ table: d.table, status, ...counts, attached: added.length, detached: gone.length, state: fingerprint });
    } catch (err) {
      await admin.query('rollback').catch(() => {});
      throw superuserNeeded(err, admin) ?? err;
    }
  }
  return results;
}

/**
 * External tables made by an earlier run whose definition is gone from sql/sources: dropped with their
 * files' foreign tables (and, by CASCADE, views built on them). Ours are the views whose comment is our state.
 */
export async function dropUndefinedTables(admin: pg.Client, defined: ExternalTable[]): Promise<string[]> {
  const { rows } = await admin.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'v' and obj_description(c.oid, 'pg_class') like '{"definition":%' order by 1, 2`,
  );
  const keep = new Set(defined.map((t) => `${t.schema}.${t.name}`));
  const gone = rows.filter((r) => !keep.has(`${r.schema}.${r.name}`));
  for (const { schema, name } of gone) {
    const table = { schema, name } as ExternalTable;
    await admin.query('begin');
    try {
      await admin.query(`drop view ${viewName(table)} cascade`);
      for (const ft of await fileTables(admin, table)) await admin.query(`drop foreign table ${ident(filesSchema(table))}.${ident(ft)}`);
      await admin.query('commit');
    } catch (err) {
      await admin.query('rollback').catch(() => {});
      throw err;
    }
  }
  return gone.map((r) => `${r.schema}.${r.name}`);
}

async function storedState(admin: pg.Client, table: ExternalTable): Promise<State | undefined> {
  const { rows } = await admin.query<{ comment: string | null }>(
    `select obj_description(c.oid, 'pg_class') as comment from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relname = $2 and c.relkind = 'v'`,
    [table.schema, table.name],
  );
  try {
    return rows.length ? ((JSON.parse(rows[0].comment ?? 'null') as State | null) ?? { definition: '', files: '' }) : undefined;
  } catch {
    // A view of that name we did not make (or whose comment was edited): rebuilt.
    return { definition: '', files: '' };
  }
}

async function fileTables(admin: pg.Client, table: ExternalTable): Promise<string[]> {
  const { rows } = await admin.query<{ relname: string }>(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind = 'f' and starts_with(c.relname, $2) order by 1`,
    [filesSchema(table), fileTablePrefix(table)],
  );
  return rows.map((r) => r.relname);
}

function superuserNeeded(err: unknown, admin: pg.Client): TaskError | undefined {
  const e = err as { code?: string; message?: string };
  if (e.code !== '42501') return undefined;
  return new TaskError(
    'LAKE_NEEDS_SUPERUSER',
    `Creating the external tables needs a superuser (file_fdw reads the server's files), and "${admin.user}" is not: ${e.message}.`,
    {
      hint: 'Run them with the admin connection of a server you own (PG_MODE=embedded or docker), or have a superuser create the file_fdw extension and grant pg_read_server_files.',
      cause: err,
    },
  );
}
