import { isTaskError } from './errors.ts';
import { color } from './output.ts';

/**
 * The one top-level handler every task script uses: runs `main`, prints user errors as one
 * paragraph plus the next step (no stack trace), and sets the exit code. Unexpected errors keep
 * their stack, since they are our bugs.
 */
export async function runMain(main: () => Promise<number | void>): Promise<void> {
  // `… | head` closes the pipe early: that is the reader's choice, not a crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (err) {
    console.error(formatError(err));
    process.exitCode = isTaskError(err) ? err.exitCode : 70;
  }
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
