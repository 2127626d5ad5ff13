import { color, log } from '@mt/cli';
import { openTenantDatabase } from '@mt/pipeline';
import { withClient } from '@mt/postgres';
import type { TenantContext } from './context.ts';

/** dbt debug's job: show the resolved configuration and prove the connection works. */
export async function printDebug(ctx: TenantContext): Promise<void> {
  const { tenant, engine } = ctx;
  await withClient(openTenantDatabase(engine, tenant), async (client) => {
    const { rows } = await client.query(`select current_setting('server_version') as version, current_user as "user", current_database() as db`);
    const lines: Array<[string, string]> = [
      ['tenant', `${tenant.name} (${tenant.displayName})`],
      ['database', `${rows[0].db} as ${rows[0].user}`],
      ['server', `PostgreSQL ${rows[0].version} — ${engine.describe()}`],
      ['connection', `postgresql://${client.user}:${client.password ? '****' : ''}@${client.host}:${client.port}/${client.database}`],
      ['data lake', tenant.s3Location()],
      ['aurora schema', tenant.aurora.schema],
    ];
    for (const [k, v] of lines) log(`  ${color.dim(k.padEnd(14))}${v}`);
    log(`  ${color.green('connection ok')}`);
  });
}
