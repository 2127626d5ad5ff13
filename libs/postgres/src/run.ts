import { spawn, type SpawnOptions } from 'node:child_process';
import { $, ProcessOutput } from 'zx/core';
import { io } from '@mt/cli';

export { ProcessOutput };

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Run as another user (root only): the PostgreSQL server refuses to run as root. */
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

/**
 * A program with its arguments through zx's `$` (every argument quoted: nothing is re-parsed), quiet.
 * A failure rejects with zx's ProcessOutput, which is the result too: exitCode, signal, stdout, stderr.
 */
export function run(file: string, args: string[], options: RunOptions = {}): Promise<ProcessOutput> {
  const { uid, gid } = options;
  const spawnAs = (cmd: string, argv: readonly string[], opts: SpawnOptions) => spawn(cmd, argv, { ...opts, uid, gid });
  const asUser = uid === undefined ? {} : { spawn: spawnAs as unknown as typeof spawn };
  return $({ quiet: true, env: options.env ?? io().env, timeout: options.timeoutMs, ...asUser })`${file} ${args}`;
}

/** The shell's "command not found". */
export const notFound = (err: unknown): boolean => err instanceof ProcessOutput && err.exitCode === 127;

/** What a failed command printed, else how it ended. */
export function failureText(err: unknown): string {
  if (!(err instanceof ProcessOutput)) return String(err);
  return `${err.stdout}\n${err.stderr}`.trim() || (err.signal ? `killed by ${err.signal}` : `exit code ${err.exitCode}`);
}
