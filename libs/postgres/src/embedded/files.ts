import { readFileSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskError } from '@mt/cli';
import { isPostmaster } from './proc.ts';

/** Everything the embedded engine keeps under its directory (git-ignored `.data/pg` by default). */
export interface Layout {
  dir: string;
  /** PGDATA. */
  data: string;
  /** Unix socket directory (`-k`): the compiled-in default may not exist on this machine. */
  run: string;
  log: string;
  state: string;
  lock: string;
  /** The initdb password file; exists only while initdb runs. */
  pwfile: string;
}

export function layoutOf(dir: string): Layout {
  return {
    dir,
    data: join(dir, 'data'),
    run: join(dir, 'run'),
    log: join(dir, 'server.log'),
    state: join(dir, 'engine.json'),
    lock: join(dir, 'engine.lock'),
    pwfile: join(dir, 'initdb.pw'),
  };
}

/** engine.json: written once initdb has succeeded, updated when the port or version changes. */
export interface EngineState {
  port: number;
  user: string;
  password: string;
  version?: string;
}

/** Synchronous because clientConfig() and describe() are; the file is tiny. */
export function readState(layout: Layout): EngineState | undefined {
  let text: string;
  try {
    text = readFileSync(layout.state, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const state = JSON.parse(text) as Partial<EngineState>;
    if (Number.isInteger(state.port) && typeof state.user === 'string' && typeof state.password === 'string') return state as EngineState;
  } catch {
    // reported below, like a file with missing fields
  }
  throw new TaskError('PG_STATE_CORRUPT', `${layout.state} is not valid: it needs "port", "user" and "password".`, {
    hint: `Restore it, or remove ${layout.dir} to start over with an empty database (this deletes the local data).`,
  });
}

/** Atomic replace, readable by the owner only (it holds the superuser password). */
export async function writeState(layout: Layout, state: EngineState): Promise<void> {
  const tmp = `${layout.state}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, layout.state);
}

export interface PostmasterPid {
  pid: number;
  port: number;
  /** 'starting' | 'ready' | 'stopping' | 'standby' (line 8 of postmaster.pid). */
  status: string;
}

export async function readPostmasterPid(layout: Layout): Promise<PostmasterPid | undefined> {
  let text: string;
  try {
    text = await readFile(join(layout.data, 'postmaster.pid'), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES') {
      throw new TaskError('PG_DATA_ACCESS', `Cannot read ${layout.data}: it belongs to another user (was the server first started as root?).`, {
        hint: `Run as that user, or set PG_DATA_DIR to a new directory (the server there starts empty).`,
        cause: err,
      });
    }
    throw err;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/**
 * Removes postmaster.pid and socket lock files whose pid is no running postmaster: postgres refuses
 * to start while they name a live process, and a zombie or a recycled pid counts as live to it.
 * (Orphaned backends still attached to the old shared memory are caught by postgres itself.)
 */
export async function clearStaleLockFiles(layout: Layout): Promise<void> {
  const sockets = (await readdir(layout.run).catch(() => [] as string[])).filter((name) => /^\.s\.PGSQL\.\d+\.lock$/.test(name));
  for (const file of [join(layout.data, 'postmaster.pid'), ...sockets.map((name) => join(layout.run, name))]) {
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).split('\n')[0]);
    if (pid > 0 && !(await isPostmaster(pid))) await rm(file, { force: true });
  }
}

/** The server's log lines written since `offset` (the log size before our command), last `count` only. */
export async function logTail(layout: Layout, offset: number, count = 20): Promise<string> {
  const handle = await open(layout.log, 'r').catch(() => undefined);
  if (!handle) return '(no server log)';
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    const lines = buffer.toString('utf8').trimEnd().split('\n');
    return lines.slice(-count).join('\n');
  } finally {
    await handle.close();
  }
}
