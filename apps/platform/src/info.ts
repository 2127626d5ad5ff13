#!/usr/bin/env -S node --import tsx
import { color, runMain, textTable } from '@mt/cli';
import { loadAllTenants } from '@mt/tenant-config';
import { platformCli, platformContext } from './context.ts';

await runMain(async () => {
  await platformCli('info', 'Shows the project: tenants with their databases and data lake paths, and the database engine (password masked).').parse();
  const { root, env, engine } = platformContext();
  const tenants = loadAllTenants(root);
  console.log(color.bold('Multi-tenant analytics task runner'));
  console.log(`  workspace       ${root}`);
  console.log(`  engine          ${engine.describe()}`);
  console.log(`  default tenant  ${env.TENANT_NAME ?? 'tenant_a (make TENANT=…)'}`);
  console.log('');
  console.log(textTable(['tenant', 'database', 'aurora schema', 'data lake'], tenants.map((t) => [t.name, t.database, t.aurora.schema, t.s3Location()])));
  console.log('');
  console.log(`  tables per tenant: customers, orders, products, regions (e.g. ${tenants[0]?.s3Location('customers') ?? ''})`);
});
