import type { StdioOptions } from 'node:child_process';
import type pg from 'pg';
import { TaskError, io } from '@mt/cli';
import { $, which } from 'zx/core';
import { withClient } from '@mt/postgres';
import type { TenantContext } from './context.ts';

/** The tenant's database as its owner role (started, created and set up when needed), for psql and shells. */
export interface TenantSession {
  /** libpq variables: the password travels in the environment, never in argv. */
  env: Record<string, string>;
  /** The server's major version (psql's backslash commands depend on it). */
  serverMajor: number;
}

export async function tenantSession({ engine, tenant }: TenantContext): Promise<TenantSession> {
  await engine.ensureUp();
  return withClient(engine.connectTenant(tenant, 'owner'), async (client) => {
    const { rows } = await client.query<{ v: string }>(`select current_setting('server_version_num') as v`);
    return { env: libpqEnv(client), serverMajor: Math.floor(Number(rows[0].v) / 10000) };
  });
}

function libpqEnv(client: pg.Client): Record<string, string> {
  const env: Record<string, string> = { PGHOST: client.host, PGPORT: String(client.port), PGUSER: client.user ?? '', PGDATABASE: client.database ?? '' };
  if (typeof client.password === 'string') env.PGPASSWORD = client.password;
  return env;
}

export async function findPsql(): Promise<string> {
  const path = await which('psql', { nothrow: true });
  if (!path) {
    throw new TaskError('PSQL_MISSING', 'psql (the PostgreSQL client) is not installed on this machine.', {
      hint: 'Install it: `apt-get install postgresql-client` (Debian/Ubuntu) or `brew install libpq` (macOS).',
    });
  }
  return path;
}

/**
 * psql older than the server still connects, but its backslash commands read catalog columns the
 * newer server has changed (Debian 12's psql 15 fails on `\l` against PostgreSQL 18). Returns a
 * warning to print, or undefined when psql is as new as the server.
 */
export async function psqlVersionWarning(psql: string, server: number): Promise<string | undefined> {
  const out = await $({ nothrow: true, quiet: true })`${psql} --version`;
  const client = Number(/\b(\d+)(?:\.\d+)?/.exec(out.stdout)?.[1]);
  if (!client || client >= server) return undefined;
  return (
    `warning: psql ${client} is older than the server (PostgreSQL ${server}): SQL works, but backslash commands that read ` +
    `the catalog (\\l, \\d+, \\dt+ …) may fail with "column … does not exist". Install psql ${server} or newer ` +
    `(e.g. postgresql-client-${server} from apt.postgresql.org, or brew install libpq).`
  );
}

/**
 * An interactive program (psql, a shell) on the terminal, in the task's folder; resolves to its exit
 * code. Run in-process by a test, whose streams are not the terminal, its output goes to the task's streams.
 */
export async function runAttached(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { cwd, stdout, stderr } = io();
  const onTerminal = stdout === process.stdout;
  const stdio: StdioOptions = onTerminal ? 'inherit' : ['ignore', 'pipe', 'pipe'];
  const result = await $({ stdio, env, cwd, nothrow: true, quiet: true })`${file} ${args}`;
  if (!onTerminal) {
    stdout.write(result.stdout);
    stderr.write(result.stderr);
  }
  return result.exitCode ?? 1;
}
