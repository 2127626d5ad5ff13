#!/usr/bin/env -S node --import tsx
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { color, log, runMain } from '@mt/cli';
import { runPhaseLocally } from '@mt/aurora';
import { resolveEngine } from '@mt/postgres';
import { assertPhase, findWorkspaceRoot, loadAllTenants, loadAuroraConfig, loadEnv } from '@mt/tenant-config';

await runMain(async () => {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('aurora phase')
    .usage('$0 --phase <database|schema|data|verification> [--force]\n\nRuns one phase of the multi-tenant Aurora setup (sql/aurora/<phase>/*.sql, rendered for every tenant) against our PostgreSQL (embedded, Docker or external). Idempotent: applied, unchanged files are skipped.')
    .option('phase', { type: 'string', describe: 'Phase to run (config.json aurora.phases)' })
    .option('force', { type: 'boolean', default: false, describe: 'Re-apply files that changed since they were applied' })
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .parse();
  const root = findWorkspaceRoot();
  const env = loadEnv(root);
  const config = loadAuroraConfig(root);
  const phase = assertPhase(config, argv.phase);
  const engine = resolveEngine({ rootDir: root, env });
  log(`${color.bold(`aurora ${phase}`)} — ${config.phases[phase].description} (database ${config.phases[phase].connectionDb}, local: ${engine.describe()})`);
  await runPhaseLocally({ root, config, tenants: loadAllTenants(root), phase, db: engine, force: argv.force, log, print: (text) => process.stdout.write(text) });
});
