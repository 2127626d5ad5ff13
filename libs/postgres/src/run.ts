import { execFile } from 'node:child_process';

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Run as another user (root only): the PostgreSQL server refuses to run as root. */
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A command that could not be started (`code` 'ENOENT', …) or exited non-zero (`code` = exit code). */
export class RunFailure extends Error {
  constructor(
    readonly command: string,
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${command} failed (${code}): ${stderr.trim() || stdout.trim()}`);
    this.name = 'RunFailure';
  }
}

/** Runs a program without a shell (arguments are never re-parsed) and collects its output. */
export function run(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: options.env, uid: options.uid, gid: options.gid, timeout: options.timeoutMs ?? 0, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const code = error.code ?? (error.killed ? 'TIMEOUT' : null);
        reject(new RunFailure(`${file} ${args.join(' ')}`, code, stdout, stderr));
      },
    );
  });
}
