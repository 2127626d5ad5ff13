#!/usr/bin/env -S node --import tsx
import { $ } from 'zx';
import { runMain } from '@mt/cli';
import { tenantCli, tenantContext } from './context.ts';
import { findPsql, psqlVersionWarning, tenantLibpqEnv } from './pg-env.ts';

await runMain(async () => {
  const argv = await tenantCli('db-connect', "Opens psql on the tenant's own database (started and created when needed).")
    .option('sql', { type: 'string', describe: 'Run one SQL command and exit (psql -c); e.g. --sql "select * from stg_customers_tenant"' })
    .parse();
  const ctx = tenantContext(argv.tenant);
  const psql = await findPsql();
  const env = { ...process.env, ...(await tenantLibpqEnv(ctx)) };
  const warning = await psqlVersionWarning(psql, ctx);
  if (warning) console.error(warning);
  const args = argv.sql ? ['-X', '-v', 'ON_ERROR_STOP=1', '-c', argv.sql] : [];
  const out = await $({ stdio: 'inherit', env, nothrow: true })`${psql} ${args}`;
  return out.exitCode ?? 1;
});
