import { log, taskMain, parseOptions } from '@mt/cli';
import { tenantCli, tenantContext } from './context.ts';
import { runAttached, tenantSession } from './pg-env.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    tenantCli('dev-shell', 'Starts a shell set up for the tenant: TENANT_NAME and PG* point at its database, so psql just works.').option('run', {
      type: 'string',
      describe: 'Run one shell command in that environment and exit; e.g. --run "psql -c \'select 1\'"',
    }),
    args,
  );
  const ctx = tenantContext(argv.tenant);
  const { tenant } = ctx;
  const env = { ...ctx.env, ...(await tenantSession(ctx)).env, TENANT_NAME: tenant.name, PS1: `(${tenant.name}) \\w \\$ ` };
  if (!argv.run) log(`dev shell for ${tenant.name} (database ${tenant.database} as ${tenant.roles.owner}); exit to leave`);
  return runAttached(ctx.env.SHELL || '/bin/bash', argv.run ? ['-c', argv.run] : ['-i'], env);
});
