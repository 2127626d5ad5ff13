import type pg from 'pg';
import { TaskError } from '@mt/cli';
import { $, which } from 'zx';
import type { TenantContext } from './context.ts';

/** libpq variables for psql and shells: the password travels in the environment, never in argv. */
export function libpqEnv(cfg: pg.ClientConfig): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: String(cfg.host ?? 'localhost'),
    PGPORT: String(cfg.port ?? 5432),
    PGUSER: String(cfg.user ?? ''),
    PGDATABASE: String(cfg.database ?? ''),
  };
  if (typeof cfg.password === 'string') env.PGPASSWORD = cfg.password;
  return env;
}

/** The tenant's database, started and created when needed, as libpq variables. */
export async function tenantLibpqEnv({ engine, tenant }: TenantContext): Promise<Record<string, string>> {
  await engine.ensureUp();
  await engine.ensureDatabase(tenant.database);
  return libpqEnv(engine.clientConfig(tenant.database));
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
export async function psqlVersionWarning(psql: string, ctx: TenantContext): Promise<string | undefined> {
  const out = await $({ nothrow: true, quiet: true })`${psql} --version`;
  const client = Number(/\b(\d+)(?:\.\d+)?/.exec(out.stdout)?.[1]);
  const db = await ctx.engine.connect(ctx.tenant.database);
  let server: number;
  try {
    server = Math.floor(Number((await db.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows[0].v) / 10000);
  } finally {
    await db.end();
  }
  if (!client || client >= server) return undefined;
  return (
    `warning: psql ${client} is older than the server (PostgreSQL ${server}): SQL works, but backslash commands that read ` +
    `the catalog (\\l, \\d+, \\dt+ …) may fail with "column … does not exist". Install psql ${server} or newer ` +
    `(e.g. postgresql-client-${server} from apt.postgresql.org, or brew install libpq).`
  );
}
