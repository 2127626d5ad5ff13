/**
 * Starts the emulator for manual use:
 *
 *   node --import tsx tools/aws-emulator/src/cli.ts --config emulator.json [--port 4566]
 *
 * prints the `export` lines a client shell needs on stdout (so `eval "$(… | head -n 7)"` works) and
 * one line per request on stderr; runs until interrupted.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { shellQuote } from '@mt/cli';
import { loadConfig } from './config.ts';
import { startEmulator } from './server.ts';

const CONFIG_EXAMPLE = `{
  "bastionDir": "./.bastion",
  "instances": ["i-0123456789abcdef0", { "id": "i-0fedcba9876543210", "tags": { "Name": "bastion" } }],
  "stacks": { "aurora": { "outputs": { "ClusterEndpoint": "db.example.internal" } } },
  "secrets": { "aurora/admin": "{\\"username\\":\\"admin\\",\\"password\\":\\"…\\"}" },
  "s3Dir": "../data-lake",
  "env": { "PATH": "/usr/lib/postgresql/16/bin" }
}`;

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('aws-emulator')
    .usage(
      `$0 --config emulator.json [--port 4566]\n\n` +
        `Local emulator of SSM Run Command, CloudFormation DescribeStacks, Secrets Manager\n` +
        `GetSecretValue and S3 ListObjectsV2 for the AWS SDK v3. AWS-RunShellScript commands run on\n` +
        `this machine, with the bastion dir as the bastion's root; the subfolders of s3Dir are buckets.\n` +
        `Prints the environment a client needs.`,
    )
    .epilogue(`Config (a relative bastionDir or s3Dir is relative to the config file):\n${CONFIG_EXAMPLE}`)
    .wrap(null)
    .option('config', { type: 'string', demandOption: true, describe: 'JSON file: bastionDir, instances, stacks, secrets, s3Dir, env, region, …' })
    .option('port', { type: 'number', default: 4566, describe: 'Port on 127.0.0.1 (0: any free port)' })
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .parseAsync();

  const config = await loadConfig(argv.config);
  const emulator = await startEmulator({ ...config, port: argv.port, log: (line) => process.stderr.write(`${line}\n`) });
  for (const [name, value] of Object.entries(emulator.env())) process.stdout.write(`export ${name}=${shellQuote(value)}\n`);
  process.stderr.write(`aws-emulator listening on ${emulator.url} (bastion root ${config.bastionDir}); Ctrl-C stops it\n`);

  const shutdown = () => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  const inUse = (error as NodeJS.ErrnoException)?.code === 'EADDRINUSE' ? ' (pick another --port, or --port 0 for any free one)' : '';
  process.stderr.write(`aws-emulator: ${error instanceof Error ? error.message : String(error)}${inUse}\n`);
  process.exit(1);
});
