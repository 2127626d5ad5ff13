import { chmod, chown, mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { shellQuote, TaskError } from '@mt/cli';
import { failureText, ProcessOutput, run, type RunOptions } from '../run.ts';
import type { Env } from '../types.ts';
import type { Binaries } from './binaries.ts';
import { logTail, type Layout } from './files.ts';
import { LOCALHOST } from './ports.ts';
import type { ServerUser } from './server-user.ts';

/** What it takes to run initdb / pg_ctl on one data directory. */
export interface Cluster {
  bins: Binaries;
  layout: Layout;
  /** Set when we are root: the binaries run as this user. */
  user?: ServerUser;
  env: Env;
}

export const SUPERUSER = 'postgres';
const PG_CTL_TIMEOUT_S = 60;

/** Only what the binaries need: PG* variables meant for other modes must not reach the server. */
function serverEnv(env: Env): Env {
  return Object.fromEntries(Object.entries({ PATH: env.PATH, TZ: env.TZ, LC_ALL: 'C' }).filter(([, v]) => v !== undefined));
}

function runOptions(c: Cluster): RunOptions {
  return { env: serverEnv(c.env), uid: c.user?.uid, gid: c.user?.gid, timeoutMs: (PG_CTL_TIMEOUT_S + 30) * 1000 };
}

async function giveToServerUser(c: Cluster, path: string): Promise<void> {
  if (c.user) await chown(path, c.user.uid, c.user.gid);
}

function outputTail(err: unknown, count = 20): string {
  return failureText(err).split('\n').slice(-count).join('\n');
}

/**
 * Creates the cluster: superuser `postgres` with `password` (scram-sha-256 for every connection),
 * UTF8 without locale (C collation: same sort order on every machine).
 */
export async function initCluster(c: Cluster, password: string): Promise<void> {
  const { data, pwfile } = c.layout;
  // Only reached without engine.json: whatever is in data/ is a half-made cluster from an aborted initdb.
  await rm(data, { recursive: true, force: true });
  await mkdir(data, { mode: 0o700 });
  await giveToServerUser(c, data);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    await giveToServerUser(c, pwfile);
    const args = ['-D', data, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-instructions'];
    await run(c.bins.initdb, args, runOptions(c));
  } catch (err) {
    throw new TaskError('PG_INITDB_FAILED', `initdb could not create the database cluster in ${data}:\n${outputTail(err)}`, {
      hint: `Fix the cause above, then run \`make up\` again (it starts over).`,
      cause: err,
    });
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** The server log and socket directory must be writable by the server user before pg_ctl runs. */
async function prepareRunFiles(c: Cluster): Promise<void> {
  await mkdir(c.layout.run, { recursive: true, mode: 0o755 });
  await giveToServerUser(c, c.layout.run);
  // 0600: the log holds the text of failed statements, which may hold data.
  await (await open(c.layout.log, 'a', 0o600)).close();
  await chmod(c.layout.log, 0o600);
  await giveToServerUser(c, c.layout.log);
}

/**
 * `pg_ctl start -w`: the postmaster detaches (pg_ctl puts it in its own session), so it outlives
 * this process; pg_ctl returns once the server accepts connections.
 */
const MAX_FILES = 8192;

export async function startCluster(c: Cluster, port: number): Promise<void> {
  const { data, log, run: runDir } = c.layout;
  await prepareRunFiles(c);
  // Socket paths are limited to ~107 bytes; we connect over TCP, so a deep checkout goes without one.
  const socketDir = Buffer.byteLength(join(runDir, `.s.PGSQL.${port}`)) < 100 ? runDir : '';
  // A query over the data lake opens every file it reads at once (one file_fdw scan each): PostgreSQL
  // allows a third of max_files_per_process open (330 by default), so a year of daily files needs more.
  const serverOptions = `-p ${port} -k ${shellQuote(socketDir)} -c listen_addresses=${LOCALHOST} -c max_files_per_process=${MAX_FILES}`;
  const logOffset = (await stat(log)).size;
  try {
    await run(c.bins.pg_ctl, ['start', '-D', data, '-l', log, '-o', serverOptions, '-w', '-t', String(PG_CTL_TIMEOUT_S), '-s'], runOptions(c));
  } catch (err) {
    const tail = await logTail(c.layout, logOffset);
    const portTaken = /could not bind .* Address already in use/i.test(tail);
    throw new TaskError(
      portTaken ? 'PG_PORT_IN_USE' : 'PG_START_FAILED',
      `PostgreSQL did not start on ${LOCALHOST}:${port} (data ${data}):\n${tail || outputTail(err)}`,
      {
        hint: portTaken ? 'Another program took the port meanwhile; run `make up` again to pick a free one.' : `Full server log: ${log}`,
        cause: err,
      },
    );
  }
}

/** `pg_ctl stop -m fast`: open sessions are disconnected, no data is lost. */
export async function stopCluster(c: Cluster): Promise<'stopped' | 'not-running'> {
  try {
    await run(c.bins.pg_ctl, ['stop', '-D', c.layout.data, '-m', 'fast', '-w', '-t', String(PG_CTL_TIMEOUT_S), '-s'], runOptions(c));
    return 'stopped';
  } catch (err) {
    if (err instanceof ProcessOutput && /Is server running\?/.test(err.stderr)) return 'not-running';
    throw new TaskError('PG_STOP_FAILED', `pg_ctl could not stop the server on ${c.layout.data}:\n${outputTail(err)}`, {
      hint: `See the server log: ${c.layout.log}`,
      cause: err,
    });
  }
}
