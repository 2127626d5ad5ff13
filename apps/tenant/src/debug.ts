import { taskMain, parseOptions } from '@mt/cli';
import { tenantCli, tenantContext } from './context.ts';
import { printDebug } from './debug-report.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(tenantCli('debug', 'Checks the tenant config, the database connection and the server version (password masked).'), args);
  await printDebug(tenantContext(argv.tenant));
});
