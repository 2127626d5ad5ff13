/**
 * The data lake step of a run: the tenant's external tables (sql/sources) brought in step with the
 * files of its local lake before any model reads them, and `nx run <tenant>:external-tables` alone.
 * Runs under the tenant's run lock; the DDL goes through the admin connection (file_fdw).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type pg from 'pg';
import { TaskError } from '@mt/cli';
import {
  describeWritten,
  discoverLocal,
  discoverS3,
  lakeDir,
  locationsJson,
  refreshExternalTables,
  renderDialect,
  seedsChanged,
  writeLakeFromSeeds,
  type Dialect,
  type DialectFile,
  type DiscoveredTable,
  type RefreshResult,
} from '@mt/lake';
import { withClient, type DatabaseAccess } from '@mt/postgres';
import type { Tenant } from '@mt/tenant-config';
import { loadProject } from './project.ts';
import { acquireDatabaseLock, openTenantDatabase } from './state.ts';
import type { Project } from './types.ts';

export const externalOutputDir = (tenant: string) => join('dist', 'external', tenant);

/**
 * Lists the lake's folders (the Glue Crawler's job) and writes dist/external/<tenant>/locations.json
 * (not on a dry run). A tenant whose bucket folder does not exist yet gets it written from its seeds
 * first, so a fresh clone builds; a table written from a seed is written again when the seed changed;
 * files put in the lake by hand are never rewritten. With `s3Region`, the tables' locations in S3 are
 * listed instead (locations.s3.json), and nothing local is written.
 */
export async function discoverLake(
  project: Project,
  options: { dryRun?: boolean; log?: (line: string) => void; s3Region?: string } = {},
): Promise<{ dir: string; discovered: DiscoveredTable[] }> {
  const dir = lakeDir(project.root, project.env);
  const outputDir = join(project.root, externalOutputDir(project.tenant.name));
  if (options.s3Region) {
    const discovered = await discoverS3(project.external, options.s3Region);
    if (!options.dryRun) writeIfChanged(join(outputDir, 'locations.s3.json'), locationsJson(discovered));
    return { dir, discovered };
  }
  const buckets = [...new Set(project.external.map((t) => t.bucket))];
  if (!options.dryRun) {
    // A lake never written is written from the seeds; tables written from a seed follow it.
    const missing = buckets.some((b) => !existsSync(join(dir, b)));
    const stale = missing ? project.external : seedsChanged(project.root, project.tenant, project.external, dir);
    for (const w of await writeLakeFromSeeds(project.root, project.tenant, stale, dir)) options.log?.(describeWritten(w, dir, project.root));
  }
  const discovered = project.external.map((t) => discoverLocal(dir, t, project.root));
  if (!options.dryRun) writeIfChanged(join(outputDir, 'locations.json'), locationsJson(discovered, { lakeDir: dir, shownRoot: project.root }));
  return { dir, discovered };
}

/** Written when it changed only: a warm run writes nothing. */
function writeIfChanged(file: string, text: string) {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * Creates or refreshes the tenant's external tables. `owner` is the tenant's connection: its user and the
 * tenant's reader get SELECT (in shared mode it is the configured user, and there is no reader role).
 */
export async function refreshLake(
  db: DatabaseAccess,
  project: Project,
  owner: pg.Client,
  options: { fullRefresh?: boolean; log?: (line: string) => void } = {},
): Promise<RefreshResult[]> {
  // First: where the server can read the lake decides where a missing lake is written.
  const { read } = await db.serverDirectory(lakeDir(project.root, project.env));
  const { dir, discovered } = await discoverLake(project, options);
  const { roles } = project.tenant;
  const grantees = owner.user === roles.owner ? [roles.owner, roles.reader] : [owner.user!];
  const { results, dropped } = await refreshExternalTables(owner, () => db.connect(project.tenant.database), discovered, {
    lakeRead: read,
    shownLake: relative(project.root, dir) || '.',
    grantees,
    fullRefresh: options.fullRefresh,
  });
  for (const name of dropped) options.log?.(`lake ${name}: dropped (no longer defined in sql/sources)`);
  return results;
}

/** `--dialect`: the cloud DDL of the discovered tables in dist/external/<tenant>/<dialect>/, replacing what was there. */
export function writeDialect(project: Project, discovered: DiscoveredTable[], dialect: Dialect, region: string): { dir: string; files: DialectFile[] } {
  const files = renderDialect(dialect, discovered, { tenant: project.tenant.name, region });
  const dir = join(externalOutputDir(project.tenant.name), dialect);
  rmSync(join(project.root, dir), { recursive: true, force: true });
  mkdirSync(join(project.root, dir), { recursive: true });
  for (const f of files) writeFileSync(join(project.root, dir, f.file), f.content);
  return { dir, files };
}

/** One line per table for the log: what changed. */
export function describeRefresh(r: RefreshResult): string {
  const what = r.table.partitions.length ? `${r.partitions} partitions, ${r.files} files` : `${r.files} files`;
  const moved = r.status === 'refreshed' ? ` (+${r.attached} −${r.detached} files)` : '';
  return `lake ${r.table.schema}.${r.table.name}: ${r.status}${moved} — ${what}`;
}

/**
 * A query that failed inside file_fdw names the hashed foreign table (`COPY orders__3fa2…, line 3`):
 * the same error, naming the file and line instead (the foreign table's comment holds the path).
 */
export async function lakeFileError(err: unknown, client: pg.Client): Promise<TaskError | undefined> {
  const server = (err as { code?: string }).code?.length === 5 ? err : (err as { cause?: unknown }).cause;
  if ((server as { message?: string } | undefined)?.message?.includes('maxAllocatedDescs')) {
    return new TaskError('LAKE_TOO_MANY_FILES', `The query reads more lake files at once than the server may open: ${(server as Error).message}.`, {
      hint: 'Filter on a partition key so fewer files are read, or raise max_files_per_process on the server (a third of it may be open at once; the embedded and Docker servers allow 8192).',
      cause: err,
    });
  }
  // The server's error itself, or the one a SQL_ERROR wraps.
  const e = ((err as { where?: string }).where ? err : (err as { cause?: unknown }).cause) as { message?: string; where?: string } | undefined;
  const m = /COPY ([a-z0-9_]+), line (\d+)/.exec(e?.where ?? '');
  if (!m) return undefined;
  const { rows } = await client
    .query<{ path: string | null }>(
      `select obj_description(c.oid, 'pg_class') as path from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relname = $1 and c.relkind = 'f' and n.nspname like '%\\_files'`,
      [m[1]],
    )
    .catch(() => ({ rows: [] as Array<{ path: string | null }> }));
  const path = rows[0]?.path;
  if (!path) return undefined;
  return new TaskError('LAKE_FILE_ERROR', `${path}:${m[2]}: ${e?.message}`, {
    hint: 'Fix or remove that file of the lake (`make data-lake` rewrites the sample lake from the seeds); the next run picks the change up.',
    cause: err,
  });
}

/** `nx run <tenant>:external-tables`: the refresh alone, under the tenant's run lock. */
export async function externalTables(options: {
  root: string;
  tenant: Tenant;
  db: DatabaseAccess;
  env?: NodeJS.ProcessEnv;
  fullRefresh?: boolean;
  log?: (line: string) => void;
}): Promise<RefreshResult[]> {
  const project = loadProject(options.root, options.tenant, options.env);
  if (!project.external.length) return [];
  return withClient(openTenantDatabase(options.db, options.tenant), async (client) => {
    await acquireDatabaseLock(client, options.tenant.database, options.tenant.name, options.env);
    return refreshLake(options.db, project, client, options);
  });
}
