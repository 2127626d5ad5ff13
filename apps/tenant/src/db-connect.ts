import { taskMain, parseOptions, log } from '@mt/cli';
import { tenantCli, tenantContext } from './context.ts';
import { findPsql, psqlVersionWarning, tenantSession, runAttached } from './pg-env.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    tenantCli('db-connect', "Opens psql on the tenant's own database as its owner role (started and created when needed).").option('sql', {
      type: 'string',
      describe: 'Run one SQL command and exit (psql -c); e.g. --sql "select * from stg_customers_tenant"',
    }),
    args,
  );
  const ctx = tenantContext(argv.tenant);
  const psql = await findPsql();
  const session = await tenantSession(ctx);
  const warning = await psqlVersionWarning(psql, session.serverMajor);
  if (warning) log(warning);
  return runAttached(psql, argv.sql ? ['-X', '-v', 'ON_ERROR_STOP=1', '-c', argv.sql] : [], { ...ctx.env, ...session.env });
});
