import { taskCli, taskMain, parseOptions, out } from '@mt/cli';
import { zeroEtlFilter } from '@mt/aurora';
import { findWorkspaceRoot, loadAllTenants } from '@mt/tenant-config';

export const main = taskMain(async (args) => {
  parseOptions(taskCli('zero-etl-filter', "$0\n\nPrints the Aurora → Redshift zero-ETL data filter that includes every tenant's users table."), args);
  out(zeroEtlFilter(loadAllTenants(findWorkspaceRoot())));
});
