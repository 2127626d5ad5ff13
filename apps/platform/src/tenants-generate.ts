import { log, parseOptions, taskMain } from '@mt/cli';
import { generateTenants, MAX_GENERATED_TENANTS } from '@mt/datagen';
import { platformCli, platformContext } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    platformCli(
      'tenants-generate',
      'Makes tenants scale_001 … scale_<count> for scale tests (git-ignored folders under tenants/, each with its own database and bucket, on the shared seeds); generated tenants beyond the count are removed (their folders; databases stay until you drop them).',
    ).option('count', { type: 'number', demandOption: true, describe: `How many, 0 … ${MAX_GENERATED_TENANTS}` }),
    args,
  );
  const { root } = platformContext();
  const { created, removed, kept } = generateTenants(root, argv.count);
  const span = (names: string[]) => (names.length > 2 ? `${names[0]} … ${names.at(-1)}` : names.join(', '));
  if (created.length) log(`created ${created.length} tenants: ${span(created)}`);
  if (removed.length) log(`removed ${removed.length} tenants: ${span(removed)} (their databases stay: drop them with psql if you no longer need them)`);
  const total = created.length + kept.length;
  log(total ? `${total} generated tenants; build them all with make run-all (or npx nx run-many -t tenant-run)` : 'no generated tenants left');
  return 0;
});
