import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { writeAtomic } from './write-atomic.ts';
import { io, log, TaskError } from '@mt/cli';
import type { DatabaseAccess } from '@mt/postgres';
import type { Tenant } from '@mt/tenant-config';
import { kindOf, type RelationKind } from './relations.ts';

/**
 * Run state lives in each tenant database (schema pipeline_meta), so it travels with the data:
 * drop the database and the state is gone too, and nothing stale can claim "up to date".
 */
export const META_SCHEMA = 'pipeline_meta';

export interface StoredNode {
  /** The node's own content hash. */
  checksum: string;
  /** Own content plus every upstream fingerprint: equal means nothing it reads has changed. */
  fingerprint: string;
  status: string;
  /** The relation's change counter when this run left it (drift: it moved since). */
  dataVersion: number | null;
}

const DDL = `
create schema if not exists ${META_SCHEMA};
create table if not exists ${META_SCHEMA}.node_state (
  unique_id    text primary key,
  kind         text not null,
  checksum     text not null,
  fingerprint  text not null,
  status       text not null,
  rows_affected bigint,
  duration_ms  integer not null,
  run_id       uuid not null,
  finished_at  timestamptz not null default now()
);
create table if not exists ${META_SCHEMA}.runs (
  run_id      uuid primary key,
  tenant      text not null,
  command     text not null,
  started_at  timestamptz not null,
  finished_at timestamptz,
  status      text,
  nodes_built integer
);
alter table ${META_SCHEMA}.node_state add column if not exists data_version bigint;
-- Changes made outside the pipeline (make db-connect, another tool): every write statement on a
-- relation we built bumps its counter, so the next run sees the drift and rebuilds.
create table if not exists ${META_SCHEMA}.relation_versions (
  relation text primary key,
  version  bigint not null
);
-- Created once (CREATE OR REPLACE would rewrite the catalog on every run); a new body needs a new name.
do $do$ begin
  if to_regprocedure('${META_SCHEMA}.bump_version()') is null then
    create function ${META_SCHEMA}.bump_version() returns trigger language plpgsql as $$
    begin
      insert into ${META_SCHEMA}.relation_versions as v (relation, version) values (tg_table_schema || '.' || tg_table_name, 1)
        on conflict (relation) do update set version = v.version + 1;
      return null;
    end $$;
  end if;
end $do$;`;

/** How long a run waits for the one holding its database (RUN_LOCK_TIMEOUT, seconds; default 10 min). */
function lockTimeoutSeconds(env: NodeJS.ProcessEnv): number {
  const text = env.RUN_LOCK_TIMEOUT;
  if (text === undefined || text === '') return 600;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new TaskError('RUN_LOCK_TIMEOUT_INVALID', `RUN_LOCK_TIMEOUT=${JSON.stringify(text)} is not a number of seconds.`, {
      hint: 'Set it to e.g. 600, or remove it (default: 10 minutes).',
    });
  }
  return seconds;
}

/**
 * Serialises runs on one database: a second run waits for the first (and then finds its work done)
 * instead of both swapping the same tables. Keyed on the database (advisory locks live in the database
 * the client is connected to), whatever tenant names it. Session-level: released if the process dies.
 * A waiting run names the holder and gives up after RUN_LOCK_TIMEOUT seconds.
 */
export async function acquireDatabaseLock(client: pg.Client, database: string, tenant: string, env: NodeJS.ProcessEnv = io().env): Promise<void> {
  const key = `pipeline:${database}`;
  const timeout = lockTimeoutSeconds(env);
  // Named, so a run waiting for this one can say whose run it is.
  const { rows } = await client.query(`select set_config('application_name', $2, false), pg_try_advisory_lock(hashtext($1)) as ok`, [
    key,
    `task runner: ${tenant}, process ${process.pid}`,
  ]);
  if (rows[0].ok) return;
  const holder = await lockHolder(client, key);
  log(`waiting for another run on ${database} (${tenant}) to finish: ${holder} (gives up after ${timeout} s, RUN_LOCK_TIMEOUT)…`);
  try {
    await client.query(`select set_config('lock_timeout', $1, false)`, [`${Math.round(timeout * 1000)}ms`]);
    await client.query('select pg_advisory_lock(hashtext($1))', [key]);
  } catch (err) {
    if ((err as { code?: string }).code !== '55P03') throw err;
    throw new TaskError(
      'RUN_LOCK_TIMEOUT',
      `Waited ${timeout} s for another run on ${database}, held by ${await lockHolder(client, key)}; this run did nothing.`,
      {
        hint: 'Let it finish, or stop it (a process paused with Ctrl-Z holds the lock until it resumes or ends); RUN_LOCK_TIMEOUT sets how long to wait.',
      },
    );
  } finally {
    await client.query(`select set_config('lock_timeout', '0', false)`).catch(() => {});
  }
}

/** Who holds the run lock: the holder's application name (ours says which process) and since when (hidden when it is another role's session). */
async function lockHolder(client: pg.Client, key: string): Promise<string> {
  const { rows } = await client.query(
    `select a.pid, a.usename, a.application_name, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS') as since
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.objsubid = 1
        and ((l.classid::bigint << 32) | l.objid::bigint) = hashtext($1)::bigint`,
    [key],
  );
  const h = rows[0];
  if (!h) return 'a run that has just finished';
  return `${h.application_name || `a session of ${h.usename}`} (server pid ${h.pid}${h.since ? `, connected since ${h.since}` : ''})`;
}

export async function loadState(client: pg.Client): Promise<Map<string, StoredNode>> {
  await client.query(DDL);
  const { rows } = await client.query(`select unique_id, checksum, fingerprint, status, data_version from ${META_SCHEMA}.node_state`);
  return new Map(
    rows.map((r) => [
      r.unique_id,
      { checksum: r.checksum, fingerprint: r.fingerprint, status: r.status, dataVersion: r.data_version === null ? null : Number(r.data_version) },
    ]),
  );
}

/** Every relation's change counter (one query per run). */
/** `<schema>.<name>` of every table and view in these schemas. */
export async function existingRelations(client: pg.Client, schemas: string[]): Promise<Map<string, RelationKind | undefined>> {
  const { rows } = await client.query<{ relation: string; relkind: string }>(
    `select n.nspname || '.' || c.relname as relation, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm')`,
    [schemas],
  );
  return new Map(rows.map((r) => [r.relation, kindOf(r.relkind)]));
}

export async function loadVersions(client: pg.Client): Promise<Map<string, number>> {
  const { rows } = await client.query(`select relation, version from ${META_SCHEMA}.relation_versions`);
  return new Map(rows.map((r) => [r.relation, Number(r.version)]));
}

/**
 * Puts the change counter on a table the pipeline just built (a new table has none) and returns the
 * counter as the pipeline leaves it. A statement trigger: one row updated per write statement.
 */
export async function trackTable(client: pg.Client, schema: string, name: string): Promise<number> {
  const relation = `${schema}.${name}`;
  const target = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
  await client.query(`drop trigger if exists pipeline_meta_drift on ${target}`);
  // (not CREATE OR REPLACE TRIGGER: external servers may be older than PostgreSQL 14)
  await client.query(
    `create trigger pipeline_meta_drift after insert or update or delete or truncate on ${target}
       for each statement execute function ${META_SCHEMA}.bump_version()`,
  );
  const { rows } = await client.query(`select version from ${META_SCHEMA}.relation_versions where relation = $1`, [relation]);
  return rows.length ? Number(rows[0].version) : 0;
}

export async function saveDataVersion(client: pg.Client, id: string, version: number): Promise<void> {
  await client.query(`update ${META_SCHEMA}.node_state set data_version = $2 where unique_id = $1`, [id, version]);
}

export async function saveNodeState(
  client: pg.Client,
  row: { id: string; kind: string; checksum: string; fingerprint: string; status: string; rows?: number; ms: number; runId: string; dataVersion?: number },
): Promise<void> {
  await client.query(
    `insert into ${META_SCHEMA}.node_state (unique_id, kind, checksum, fingerprint, status, rows_affected, duration_ms, run_id, data_version)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (unique_id) do update set kind = excluded.kind, checksum = excluded.checksum, fingerprint = excluded.fingerprint,
       status = excluded.status, rows_affected = excluded.rows_affected, duration_ms = excluded.duration_ms,
       run_id = excluded.run_id, finished_at = now(), data_version = excluded.data_version`,
    [row.id, row.kind, row.checksum, row.fingerprint, row.status, row.rows ?? null, Math.round(row.ms), row.runId, row.dataVersion ?? null],
  );
}

export async function recordRun(client: pg.Client, run: { runId: string; tenant: string; command: string; startedAt: Date }) {
  await client.query(`insert into ${META_SCHEMA}.runs (run_id, tenant, command, started_at) values ($1, $2, $3, $4)`, [
    run.runId,
    run.tenant,
    run.command,
    run.startedAt,
  ]);
}

/**
 * Runs that never finished (their process died): called while holding the run lock, so none is live;
 * after loadState, which creates the tables.
 */
export async function markInterruptedRuns(client: pg.Client): Promise<void> {
  await client.query(`update ${META_SCHEMA}.runs set status = 'interrupted', finished_at = coalesce(finished_at, now()) where status is null`);
}

export async function finishRun(client: pg.Client, runId: string, status: string, built: number) {
  await client.query(`update ${META_SCHEMA}.runs set finished_at = now(), status = $2, nodes_built = $3 where run_id = $1`, [runId, status, built]);
}

export interface LastRun {
  command: string;
  status: string | null;
  finishedAt: Date | null;
  nodesBuilt: number | null;
  relations: number;
}

/** The newest run recorded in a tenant database (undefined when it was never built). */
export async function lastRun(client: pg.Client): Promise<LastRun | undefined> {
  const { rows: has } = await client.query(`select to_regclass('${META_SCHEMA}.runs') is not null as ok`);
  if (!has[0].ok) return undefined;
  const { rows } = await client.query(
    `select command, status, finished_at, nodes_built,
       (select count(*) from ${META_SCHEMA}.node_state where status = 'built')::int as relations
     from ${META_SCHEMA}.runs order by started_at desc limit 1`,
  );
  const r = rows[0];
  return r && { command: r.command, status: r.status, finishedAt: r.finished_at, nodesBuilt: r.nodes_built, relations: r.relations };
}

/**
 * A fingerprint of what the tenant database holds: its identity (a dropped and recreated database
 * differs) and the fingerprints of every built node. Nx hashes it as a runtime input of the analysis
 * targets, so a cached analysis is replayed only for exactly the data it was computed from.
 */
export async function buildFingerprint(client: pg.Client): Promise<string> {
  const { rows } = await client.query(`select (select oid from pg_database where datname = current_database())::text as db,
      to_regclass('${META_SCHEMA}.node_state') is not null as has_state,
      to_regclass('${META_SCHEMA}.relation_versions') is not null as has_versions`);
  if (!rows[0].has_state) return `db:${rows[0].db};never-built`;
  // The change counters too: a row changed by hand gives another fingerprint, so no cached analysis replays.
  const versions = rows[0].has_versions
    ? `(select md5(coalesce(string_agg(relation || '=' || version, ',' order by relation), '')) from ${META_SCHEMA}.relation_versions)`
    : `''`;
  // The data lake's files too (each external table keeps their state in its comment): views read them live.
  const lake = `(select md5(coalesce(string_agg(c.oid::regclass::text || '=' || d.description, ',' order by 1), '')) from pg_class c
     join pg_description d on d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid = 0
     where c.relkind = 'v' and d.description like '{"definition":%')`;
  const { rows: state } = await client.query(
    `select md5(coalesce(string_agg(unique_id || '=' || fingerprint, ',' order by unique_id), '')) as h, ${versions} as v, ${lake} as l
     from ${META_SCHEMA}.node_state where kind <> 'test' and status = 'built'`,
  );
  return `db:${rows[0].db};state:${state[0].h};data:${state[0].v};lake:${state[0].l}`;
}

/** Where a build leaves its tenant's fingerprint: an output of the tenant-run target, hashed by the analyses. */
export const fingerprintFile = (root: string, tenant: string) => join(root, 'dist', 'run-state', `${tenant}.fingerprint`);

/**
 * Writes the tenant's fingerprint at the end of a build (buildFingerprint, on the build's own connection).
 * The analyses' cache keys read this file, which costs Nx one file hash per tenant, where asking the
 * database cost one Node process per analysis task. Rewritten only when it changed; atomically.
 */
export async function recordFingerprint(root: string, tenant: string, client: pg.Client): Promise<void> {
  const file = fingerprintFile(root, tenant);
  const text = `${await buildFingerprint(client)}\n`;
  try {
    if (readFileSync(file, 'utf8') === text) return;
  } catch {
    // not written yet
  }
  writeAtomic(file, text);
}

/**
 * A client on the tenant's own database: starts the server when needed (ensureUp), then connects as the
 * tenant's owner role (connectTenant, which sets the roles and the database up on first use, and uses
 * the configured user itself where that user may not create roles). Takes no lock: runPipeline does.
 */
export async function openTenantDatabase(db: DatabaseAccess, tenant: Tenant): Promise<pg.Client> {
  await db.ensureUp();
  return db.connectTenant(tenant, 'owner');
}
