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
import { withTransaction } from '@mt/postgres';
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
 * What each table holds is read first with `client` (any role may read comments): when nothing changed
 * (same definition, same files) that one query is all, and no admin connection is opened. New files
 * are added and vanished ones dropped; a changed definition (or `fullRefresh`) rebuilds the table, and
 * the views built on it go with it (the pipeline rebuilds them); tables no longer defined are dropped.
 */
export async function refreshExternalTables(
  client: pg.Client,
  connectAdmin: () => Promise<pg.Client>,
  discovered: DiscoveredTable[],
  options: { lakeRead: string; shownLake: string; grantees: string[]; fullRefresh?: boolean },
): Promise<{ results: RefreshResult[]; dropped: string[] }> {
  const stored = await storedStates(
    client,
    discovered.map((d) => d.table.schema),
  );
  const plans = discovered.map((d) => {
    const state = stateOf(d, options.grantees);
    const before = stored.get(`${d.table.schema}.${d.table.name}`);
    const unchanged = !options.fullRefresh && before?.definition === state.definition && before.files === state.files;
    return { d, state, before, unchanged, counts: { files: filesOf(d).length, partitions: d.partitions.length } };
  });
  const defined = new Set(discovered.map((d) => `${d.table.schema}.${d.table.name}`));
  const undefinedOurs = [...stored].filter(([key, state]) => state.definition && !defined.has(key)).map(([key]) => key);
  // What readers of a table depend on: its definition and files, and their content.
  const fingerprint = (p: (typeof plans)[number]) =>
    createHash('sha256')
      .update(JSON.stringify({ ...p.state, content: p.d.content }))
      .digest('hex');
  const unchanged = (p: (typeof plans)[number]): RefreshResult => ({
    table: p.d.table,
    status: 'unchanged',
    ...p.counts,
    attached: 0,
    detached: 0,
    state: fingerprint(p),
  });
  if (plans.every((p) => p.unchanged) && !undefinedOurs.length) return { results: plans.map(unchanged), dropped: [] };

  const admin = await connectAdmin();
  try {
    const results: RefreshResult[] = [];
    for (const p of plans) {
      if (p.unchanged) {
        results.push(unchanged(p));
        continue;
      }
      const { attached, detached, rebuild } = await inTransaction(admin, () => syncTable(admin, p.d, p.state, p.before, options));
      const status = !p.before ? 'created' : rebuild ? 'rebuilt' : 'refreshed';
      results.push({ table: p.d.table, status, ...p.counts, attached, detached, state: fingerprint(p) });
    }
    for (const key of undefinedOurs) {
      const [schema, name] = key.split('.');
      const table = { schema, name } as ExternalTable;
      await inTransaction(admin, async () => {
        await admin.query(`drop view ${viewName(table)} cascade`);
        for (const ft of await fileTables(admin, table)) await admin.query(`drop foreign table ${ident(filesSchema(table))}.${ident(ft)}`);
      });
    }
    return { results, dropped: undefinedOurs };
  } finally {
    await admin.end().catch(() => {});
  }
}

async function syncTable(
  admin: pg.Client,
  d: DiscoveredTable,
  state: State,
  before: State | undefined,
  options: { lakeRead: string; shownLake: string; grantees: string[]; fullRefresh?: boolean },
): Promise<{ attached: number; detached: number; rebuild: boolean }> {
  const rebuild = !!before && (!!options.fullRefresh || before.definition !== state.definition);
  if (!before) for (const sql of setupDdl(d.table)) await admin.query(sql);
  const found = await fileTables(admin, d.table);
  if (rebuild) {
    await admin.query(`drop view if exists ${viewName(d.table)} cascade`);
    for (const name of found) await admin.query(`drop foreign table ${ident(filesSchema(d.table))}.${ident(name)}`);
  }
  const existing = rebuild ? [] : found;
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
  return { attached: added.length, detached: gone.length, rebuild };
}

/** One table's change in one transaction; a refusal to create file_fdw objects says a superuser is needed. */
async function inTransaction<T>(admin: pg.Client, fn: () => Promise<T>): Promise<T> {
  try {
    return await withTransaction(admin, fn);
  } catch (err) {
    throw superuserNeeded(err, admin) ?? err;
  }
}

/**
 * `schema.name` → what each view holds: every view carrying our state, and the views of the schemas
 * we are about to use (a view there without our state, made by someone else, is rebuilt).
 */
async function storedStates(client: pg.Client, schemas: string[]): Promise<Map<string, State>> {
  const { rows } = await client.query<{ key: string; comment: string | null }>(
    `select n.nspname || '.' || c.relname as key, obj_description(c.oid, 'pg_class') as comment
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'v' and (n.nspname = any($1) or obj_description(c.oid, 'pg_class') like '{"definition":%')`,
    [schemas],
  );
  const parse = (comment: string | null): State => {
    try {
      const state = JSON.parse(comment ?? 'null') as State | null;
      return state?.definition ? state : { definition: '', files: '' };
    } catch {
      return { definition: '', files: '' };
    }
  };
  return new Map(rows.map((r) => [r.key, parse(r.comment)]));
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
