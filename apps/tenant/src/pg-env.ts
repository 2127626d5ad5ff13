import type pg from 'pg';
import { TaskError } from '@mt/cli';
import { which } from 'zx';
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
