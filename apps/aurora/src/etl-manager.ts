/**
 * The original command, kept working:
 *   etl-manager -p aurora-postgresql -c config.json \
 *     --bastion-command "scripts/sql-execute.sh config.json sql/aurora/schema/create-tenant-schemas.sql" [--skip-copy]
 * The phase comes from the SQL file's path; the file runs on the bastion of --environment (default: the only,
 * or the "dev", environment of config.json) through the same transport as `nx run aurora:phase --environment`.
 */
import { TaskError, log, taskCli, taskMain, parseOptions, io } from '@mt/cli';
import { phaseOfPath } from '@mt/aurora';
import { runPhaseOverSsm } from '@mt/ssm-transfer';
import { assertEnvironment, assertPhase, findWorkspaceRoot, loadAllTenants, loadAuroraConfig, loadEnv } from '@mt/tenant-config';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    taskCli(
      'etl-manager',
      '$0 -p aurora-postgresql -c config.json --bastion-command "scripts/sql-execute.sh config.json <sql file>" [--skip-copy] [--environment dev]',
    )
      .option('p', { alias: 'platform', type: 'string', demandOption: true, describe: 'Target platform (aurora-postgresql)' })
      .option('c', { alias: 'config', type: 'string', default: 'config.json', describe: 'Configuration file (the workspace config.json)' })
      .option('bastion-command', {
        type: 'string',
        demandOption: true,
        describe: 'The command to run on the bastion: scripts/sql-execute.sh config.json <sql file>',
      })
      .option('skip-copy', { type: 'boolean', default: false, describe: 'Do not transfer files; use the bastion workspace as it is' })
      .option('environment', { type: 'string', describe: 'config.json environment (default: dev, or the only one)' }),
    args,
  );
  if (argv.p !== 'aurora-postgresql')
    throw new TaskError('UNKNOWN_PLATFORM', `Unknown platform "${argv.p}": this tool sets up aurora-postgresql.`, { hint: 'Use -p aurora-postgresql.' });
  const root = findWorkspaceRoot();
  loadEnv(root);
  if (argv.c !== 'config.json')
    throw new TaskError('CONFIG_PATH', `-c ${argv.c}: the configuration is the workspace's config.json.`, {
      hint: 'Pass -c config.json (edit that file to change settings).',
    });
  const m = /^(?:bash\s+)?(?:\.\/)?scripts\/(?:2-)?sql-execute\.sh\s+config\.json\s+(\S+\.sql)$/.exec(argv['bastion-command'].trim());
  if (!m) {
    throw new TaskError('BASTION_COMMAND', `--bastion-command "${argv['bastion-command']}" is not "scripts/sql-execute.sh config.json <sql file>".`, {
      hint: 'For example: --bastion-command "scripts/sql-execute.sh config.json sql/aurora/schema/create-tenant-schemas.sql"',
    });
  }
  const file = m[1];
  const config = loadAuroraConfig(root);
  const phase = assertPhase(config, phaseOfPath(file));
  const names = Object.keys(config.environments);
  const environment = assertEnvironment(config, argv.environment ?? (names.length === 1 ? names[0] : 'dev'));
  log(`etl-manager: ${file} (phase ${phase}) on the bastion of "${environment.name}"`);
  await runPhaseOverSsm({
    root,
    config,
    tenants: loadAllTenants(root),
    phase,
    environment,
    skipCopy: argv['skip-copy'],
    files: [file],
    log,
    print: (t) => io().stdout.write(t),
  });
});
