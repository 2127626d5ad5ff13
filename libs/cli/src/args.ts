import yargs, { type Argv } from 'yargs';
import { io, out } from './io.ts';
import { EarlyExit } from './main.ts';

/** The argument parser every task script starts from: usage, strict options, --help, no --version. */
export function taskCli(script: string, usage: string): Argv {
  return yargs()
    .scriptName(script)
    .usage(usage)
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, io().stdout.columns || 100));
}

/**
 * Parses `argv` without letting yargs print or exit by itself: `--help` goes to the task's stdout
 * (exit 0), a usage error with the usage to its stderr (exit 1), as yargs does for a process.
 */
export function parseOptions<T>(parser: Argv<T>, argv: string[]): T {
  let failed: Error | undefined;
  let text = '';
  const parsed = parser.exitProcess(false).parse(argv, {}, (err, _args, output) => {
    failed = err ?? undefined;
    text = output;
  }) as T;
  if (failed) {
    io().stderr.write(`${text || failed.message}\n`);
    throw new EarlyExit(1);
  }
  if (text) {
    out(`${text}\n`);
    throw new EarlyExit(0);
  }
  return parsed;
}
