import { color, log, taskCli, taskMain, parseOptions, io } from '@mt/cli';
import { runPhaseLocally } from '@mt/aurora';
import { resolveEngine } from '@mt/postgres';
import { runPhaseOverSsm } from '@mt/ssm-transfer';
import { assertEnvironment, assertPhase, findWorkspaceRoot, loadAllTenants, loadAuroraConfig, loadEnv } from '@mt/tenant-config';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    taskCli(
      'aurora phase',
      '$0 --phase <database|schema|data|verification> [--force] [--environment <name> [--skip-copy]]\n\nRuns one phase of the multi-tenant Aurora setup (sql/aurora/<phase>/*.sql, rendered for every tenant) against our PostgreSQL (embedded, Docker or external), or with --environment through the bastion of that config.json environment over AWS SSM. Idempotent: applied, unchanged files are skipped.',
    )
      .option('phase', { type: 'string', describe: 'Phase to run (config.json aurora.phases)' })
      .option('force', { type: 'boolean', default: false, describe: 'Re-apply files that changed since they were applied' })
      .option('environment', { type: 'string', describe: 'Run through the bastion of this config.json environment (AWS SSM) instead of locally' })
      .option('skip-copy', { type: 'boolean', default: false, describe: 'With --environment: use the files already on the bastion' }),
    args,
  );
  const root = findWorkspaceRoot();
  const env = loadEnv(root);
  const config = loadAuroraConfig(root);
  const phase = assertPhase(config, argv.phase);
  const tenants = loadAllTenants(root);
  const print = (text: string) => io().stdout.write(text);
  const title = `${color.bold(`aurora ${phase}`)} — ${config.phases[phase].description} (database ${config.phases[phase].connectionDb}`;
  if (argv.environment) {
    const environment = assertEnvironment(config, argv.environment);
    log(`${title}, through the bastion of "${environment.name}")`);
    const report = await runPhaseOverSsm({ root, config, tenants, phase, environment, skipCopy: argv['skip-copy'], force: argv.force, log, print });
    log(
      `  ${report.ssmCalls} SSM calls, ${report.bytesSent} bytes of commands${report.bundleSent ? ` (bundle ${report.bundleBytes} bytes sent)` : ', no bundle sent'}`,
    );
    return;
  }
  const engine = resolveEngine({ rootDir: root, env });
  log(`${title}, local: ${engine.describe()})`);
  await runPhaseLocally({ root, config, tenants, phase, db: engine, force: argv.force, log, print });
});
