import { log, parseOptions, taskMain } from '@mt/cli';
import { describeImport, importDbtProject } from '@mt/dbt-import';
import { platformCli, platformContext } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    platformCli(
      'import-dbt',
      "Copies an existing dbt project into this workspace: its folders (model-paths, macro-paths, …) into sql/, its seeds into seeds/, and the targets of its profiles.yml into tenants/<target>/tenant.json (never a password). Staged and checked by this workspace's engine first: a refused import changes nothing. Lists at the end what could not be carried over, and what to do.",
    )
      .option('src', { type: 'string', demandOption: true, describe: 'The dbt project: the folder holding dbt_project.yml' })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'Replace the project sql/ holds now (moved to .data/import-dbt-backup/<time>/) and existing tenant.json files',
      })
      .option('profiles', { type: 'string', describe: "The profiles.yml to read (or its folder); default: SRC's, else $DBT_PROFILES_DIR's, else ~/.dbt's" }),
    args,
  );
  const { root, env } = platformContext();
  const result = importDbtProject(root, { src: argv.src, force: argv.force, profiles: argv.profiles }, env);
  for (const line of describeImport(result)) log(line);
  return 0;
});
