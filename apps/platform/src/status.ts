import { color, isTaskError, log, textTable, taskMain, parseOptions, out } from '@mt/cli';
import { lastRun } from '@mt/pipeline';
import { withClient } from '@mt/postgres';
import { loadAllTenants } from '@mt/tenant-config';
import { platformCli, platformContext } from './context.ts';

export const main = taskMain(async (args) => {
  parseOptions(platformCli('status', 'Shows the database engine and, per tenant, its database and last build. Does not start anything.'), args);
  const { root, engine } = platformContext();
  const s = await engine.status();
  log(`${s.running ? color.green('running') : color.yellow('stopped')}  ${engine.describe()}${s.version ? `, PostgreSQL ${s.version}` : ''}`);
  if (!s.running) {
    log('start it with `make up` (any tenant target also starts it)');
    return 0;
  }
  const databases = new Set(s.databases ?? []);
  const rows: string[][] = [];
  for (const tenant of loadAllTenants(root)) {
    if (!databases.has(tenant.database)) {
      rows.push([tenant.name, tenant.database, 'missing', '', '']);
      continue;
    }
    // As the tenant's reader: the status never needs the admin, and never sets a tenant up.
    const run = await withClient(engine.connectTenant(tenant, 'reader', { provision: false }), lastRun).catch((err) => {
      if (isTaskError(err) && err.code === 'TENANT_NOT_SET_UP') return 'no roles yet' as const;
      throw err;
    });
    if (run === 'no roles yet') rows.push([tenant.name, tenant.database, run, '', '']);
    else
      rows.push([
        tenant.name,
        tenant.database,
        run ? (run.status ?? 'running') : 'never built',
        run?.finishedAt?.toISOString().replace('T', ' ').slice(0, 19) ?? '',
        run ? String(run.relations) : '',
      ]);
  }
  out(textTable(['tenant', 'database', 'last run', 'finished (UTC)', 'relations'], rows, [4]));
});
