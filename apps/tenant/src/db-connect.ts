#!/usr/bin/env -S node --import tsx
import { $ } from 'zx';
import { runMain } from '@mt/cli';
import { tenantCli, tenantContext } from './context.ts';
import { findPsql, psqlVersionWarning, tenantSession } from './pg-env.ts';

await runMain(async () => {
  const argv = await tenantCli('db-connect', "Opens psql on the tenant's own database as its owner role (started and created when needed).")
    .option('sql', { type: 'string', describe: 'Run one SQL command and exit (psql -c); e.g. --sql "select * from stg_customers_tenant"' })
    .parse();
  const ctx = tenantContext(argv.tenant);
  const psql = await findPsql();
  const session = await tenantSession(ctx);
  const env = { ...process.env, ...session.env };
  const warning = await psqlVersionWarning(psql, session.serverMajor);
  if (warning) console.error(warning);
  const args = argv.sql ? ['-X', '-v', 'ON_ERROR_STOP=1', '-c', argv.sql] : [];
  const out = await $({ stdio: 'inherit', env, nothrow: true })`${psql} ${args}`;
  return out.exitCode ?? 1;
});
