#!/usr/bin/env -S node --import tsx
import { runMain, taskCli } from '@mt/cli';
import { zeroEtlFilter } from '@mt/aurora';
import { findWorkspaceRoot, loadAllTenants } from '@mt/tenant-config';

await runMain(async () => {
  await taskCli('zero-etl-filter', "$0\n\nPrints the Aurora → Redshift zero-ETL data filter that includes every tenant's users table.").parse();
  console.log(zeroEtlFilter(loadAllTenants(findWorkspaceRoot())));
});
