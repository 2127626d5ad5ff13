/** Helpers to run the real psql client (PostgreSQL 15 here) against the throwaway test server. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestServer } from './server.ts';

export const PSQL = process.env.PSQL ?? '/usr/bin/psql';
const hasPsql = existsSync(PSQL);

/**
 * Runs psql without psqlrc (-X) and with the pager off. The client encoding is forced to UTF-8 so
 * psql measures non-ASCII text like we do whatever the test machine's locale is.
 */
export function psql(server: TestServer, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  // These tests compare with the real psql: without it they fail, saying why, rather than skip.
  if (!hasPsql) throw new Error(`psql is not installed at ${PSQL}: install postgresql-client (make test installs it when it runs as root with apt-get)`);
  const env = { ...process.env, PGCLIENTENCODING: 'UTF8', PGPASSWORD: server.password };
  const base = ['-X', '-P', 'pager=off', '-h', server.host, '-p', String(server.port), '-U', server.user, '-d', server.database];
  return new Promise((resolve, reject) => {
    execFile(PSQL, [...base, ...args], { env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : NaN) : 0;
      if (Number.isNaN(code)) reject(err);
      else resolve({ stdout, stderr, code });
    });
  });
}
