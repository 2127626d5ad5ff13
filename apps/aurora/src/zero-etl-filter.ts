#!/usr/bin/env -S node --import tsx
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runMain } from '@mt/cli';
import { zeroEtlFilter } from '@mt/aurora';
import { findWorkspaceRoot, loadAllTenants } from '@mt/tenant-config';

await runMain(async () => {
  await yargs(hideBin(process.argv))
    .scriptName('zero-etl-filter')
    .usage('$0\n\nPrints the Aurora → Redshift zero-ETL data filter that includes every tenant\'s users table.')
    .strict()
    .help()
    .version(false)
    .parse();
  console.log(zeroEtlFilter(loadAllTenants(findWorkspaceRoot())));
});
