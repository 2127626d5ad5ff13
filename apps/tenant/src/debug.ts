#!/usr/bin/env -S node --import tsx
import { runMain } from '@mt/cli';
import { tenantCli, tenantContext } from './context.ts';
import { printDebug } from './debug-report.ts';

await runMain(async () => {
  const argv = await tenantCli('debug', 'Checks the tenant config, the database connection and the server version (password masked).').parse();
  await printDebug(tenantContext(argv.tenant));
});
