import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';

/** The argument parser every task script starts from: usage, strict options, --help, no --version. */
export function taskCli(script: string, usage: string): Argv {
  return yargs(hideBin(process.argv))
    .scriptName(script)
    .usage(usage)
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100));
}
