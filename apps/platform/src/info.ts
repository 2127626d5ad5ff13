import { color, textTable, taskMain, parseOptions, out } from '@mt/cli';
import { loadAllTenants } from '@mt/tenant-config';
import { platformCli, platformContext } from './context.ts';

/**
 * The tenant a make target would use, and why: make passes its choice (MT_TENANT, MT_TENANT_FROM);
 * through Nx directly it is TENANT_NAME (Nx and the scripts read .env too), else tenant_a.
 */
function selectedTenant(env: NodeJS.ProcessEnv): string {
  if (env.MT_TENANT) return `${env.MT_TENANT} (from ${env.MT_TENANT_FROM ?? 'make'})`;
  if (env.TENANT_NAME) return `${env.TENANT_NAME} (from TENANT_NAME, environment or .env)`;
  return 'tenant_a (default; set TENANT= on the make line or TENANT_NAME)';
}

export const main = taskMain(async (args) => {
  parseOptions(platformCli('info', 'Shows the project: tenants with their databases and data lake paths, and the database engine (password masked).'), args);
  const { root, env, engine } = platformContext();
  const tenants = loadAllTenants(root);
  out(color.bold('Multi-tenant analytics task runner'));
  out(`  workspace       ${root}`);
  out(`  engine          ${engine.describe()}`);
  out(`  tenant          ${selectedTenant(env)}`);
  out('');
  out(
    textTable(
      ['tenant', 'database', 'aurora schema', 'data lake'],
      tenants.map((t) => [t.name, t.database, t.aurora.schema, t.s3Location()]),
    ),
  );
  out('');
  out(`  tables per tenant: customers, orders, products, regions (e.g. ${tenants[0]?.s3Location('customers') ?? ''})`);
});
