import { isTaskError, TaskError } from '@mt/cli';

const LOST_CODES = /^(57P0[123]|08\d\d\d|ECONNRESET|EPIPE)$/;
const LOST_TEXT = /Connection terminated|is not queryable|terminating connection/i;

/**
 * A connection that died under a running command (the server stopped, crashed or restarted): one
 * clear TaskError instead of an "unexpected error" per statement still queued. Looks through wrapping
 * errors (an SQL error with its file and line has the driver's error as `cause`). Undefined otherwise.
 */
export function connectionLost(err: unknown, where: string): TaskError | undefined {
  if (isTaskError(err) && err.code === 'DB_CONNECTION_LOST') return err;
  let root = err as { code?: string; message?: string; cause?: unknown } | undefined;
  for (let i = 0; root && i < 5; i++) {
    if (LOST_CODES.test(root.code ?? '') || LOST_TEXT.test(isTaskError(root) ? '' : root.message ?? '')) {
      return new TaskError('DB_CONNECTION_LOST', `Lost the connection to PostgreSQL (${where}): ${root.message || root.code}. The run stopped there; what it finished is kept, the step it was in was rolled back.`, {
        hint: 'The server stopped or restarted (make down, a crash, a restart). Start it with `make up` and run again: unchanged work is skipped.',
        cause: err,
      });
    }
    root = root.cause as typeof root;
  }
  return undefined;
}
