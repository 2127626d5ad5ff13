import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';

/** Where a stream of a task writes: process.stdout/stderr, or a collector in tests. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * What a task sees of the world it runs in. A task started by its command gets the process's own; a
 * test calls `main(argv, io)` in-process with a workspace folder, an environment and collecting
 * streams of its own — several at once, since each call keeps its IO for everything it awaits.
 */
export interface TaskIO {
  cwd: string;
  /** The environment the task reads (and where loadEnv merges .env): process.env for a real run. */
  env: NodeJS.ProcessEnv;
  stdout: OutputStream;
  stderr: OutputStream;
}

const current = new AsyncLocalStorage<TaskIO>();

const processIO = (): TaskIO => ({ cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr });

/** The IO of the task running in this async context (the process's own outside any task). */
export const io = (): TaskIO => current.getStore() ?? processIO();

/** Runs `fn` with `overrides` as its IO (the rest from the process). */
export function withIO<T>(overrides: Partial<TaskIO>, fn: () => T): T {
  return current.run({ ...processIO(), ...overrides }, fn);
}

/** console.log for results: to the task's stdout, so `--json > file` and pipes get only them. */
export const out = (...parts: unknown[]): void => void io().stdout.write(`${format(...parts)}\n`);
