#!/usr/bin/env -S node --import tsx
import { $ } from 'zx';
import { log, runMain } from '@mt/cli';
import { tenantCli, tenantContext } from './context.ts';
import { tenantSession } from './pg-env.ts';

await runMain(async () => {
  const argv = await tenantCli('dev-shell', 'Starts a shell set up for the tenant: TENANT_NAME and PG* point at its database, so psql just works.')
    .option('run', { type: 'string', describe: 'Run one shell command in that environment and exit; e.g. --run "psql -c \'select 1\'"' })
    .parse();
  const ctx = tenantContext(argv.tenant);
  const { tenant } = ctx;
  const env = { ...process.env, ...(await tenantSession(ctx)).env, TENANT_NAME: tenant.name, PS1: `(${tenant.name}) \\w \\$ ` };
  const shell = process.env.SHELL || '/bin/bash';
  if (!argv.run) log(`dev shell for ${tenant.name} (database ${tenant.database} as ${tenant.roles.owner}); exit to leave`);
  const out = await $({ stdio: 'inherit', env, nothrow: true })`${shell} ${argv.run ? ['-c', argv.run] : ['-i']}`;
  return out.exitCode ?? 1;
});
