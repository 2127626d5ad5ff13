import { isTaskError } from './errors.ts';
import { io, withIO, type TaskIO } from './io.ts';
import { color } from './output.ts';

/** A task's entry: the arguments after the script name; resolves to the exit code and never throws. */
export type TaskMain = (argv: string[], io?: Partial<TaskIO>) => Promise<number>;

/** Thrown by parseOptions for `--help` and usage errors: the text is printed, the task ends with `code`. */
export class EarlyExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/**
 * The one way a task script is written: `export const main = taskMain(async (argv) => …)`. The body
 * runs with its IO (the process's, or a test's), user errors are printed as one paragraph plus the next
 * step (no stack trace), and the exit code is returned. Unexpected errors keep their stack: they are our bugs.
 */
export function taskMain(body: (argv: string[]) => Promise<number | void>): TaskMain {
  return (argv, overrides = {}) =>
    withIO(overrides, async () => {
      try {
        return (await body(argv)) ?? 0;
      } catch (err) {
        if (err instanceof EarlyExit) return err.exitCode;
        io().stderr.write(`${formatError(err)}\n`);
        return isTaskError(err) ? err.exitCode : 70;
      }
    });
}

/** The text users see for an error: `error [CODE] message` and `hint  next step`. */
export function formatError(err: unknown): string {
  if (isTaskError(err)) {
    const head = `${color.red('error')} ${color.dim(`[${err.code}]`)} ${err.message}`;
    return err.hint ? `${head}\n${color.yellow('hint')}  ${err.hint}` : head;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return `${color.red('unexpected error (a bug in the task runner, please report it):')}\n${detail}`;
}
