import { log, parseOptions, taskMain } from '@mt/cli';
import { describeWritten, lakeDir, loadExternalTables, writeLakeFromSeeds } from '@mt/lake';
import { loadAllTenants } from '@mt/tenant-config';
import { platformCli, platformContext } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    platformCli(
      'data-lake',
      "(Re)writes every tenant's local data lake from its seeds, laid out as in S3 (data-lake/<bucket>/<prefix>/<table>/<partition>/part-00000.csv), for the external tables of sql/sources.",
    ).option('tenant', { type: 'string', array: true, describe: 'Only these tenants (default: all)' }),
    args,
  );
  const { root, env, engine } = platformContext();
  const { write } = await engine.serverDirectory(lakeDir(root, env));
  const tenants = loadAllTenants(root).filter((t) => !argv.tenant?.length || argv.tenant.includes(t.name));
  for (const tenant of tenants) {
    const tables = loadExternalTables(root, tenant);
    for (const w of await writeLakeFromSeeds(root, tenant, tables, write)) log(`${tenant.name}: ${describeWritten(w, lakeDir(root, env), root)}`);
  }
  return 0;
});
