import { statSync } from 'node:fs';
import { dirname, parse } from 'node:path';
import { TaskError } from '@mt/cli';
import { failureText, ProcessOutput, run } from '../run.ts';

/** The unprivileged account the server runs as when we are root (PostgreSQL refuses to run as root). */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

const NAME = 'postgres';

async function lookup(): Promise<ServerUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', NAME]), run('id', ['-g', NAME])]);
    return { name: NAME, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch (err) {
    if (err instanceof ProcessOutput && err.exitCode === 1) return undefined;
    throw err;
  }
}

let known: Promise<ServerUser | undefined> | undefined;

/** `undefined` when we are not root: then the binaries simply run as the current user. Looked up once per process. */
export function serverUser(): Promise<ServerUser | undefined> {
  known ??= findOrCreate();
  // A failure is not remembered: the next call tries again.
  known.catch(() => (known = undefined));
  return known;
}

async function findOrCreate(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookup();
  if (existing) return existing;
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', NAME]);
  } catch (err) {
    // Another program may have created it meanwhile; only a still-missing user is an error.
    const created = await lookup();
    if (created) return created;
    const detail = failureText(err);
    throw new TaskError('PG_USER_CREATE', `Running as root, the embedded PostgreSQL needs an unprivileged user "${NAME}", and creating it failed: ${detail}`, {
      hint: `Create a system user named ${NAME}, or run the tasks as a normal user.`,
      cause: err,
    });
  }
  const created = await lookup();
  if (!created) throw new TaskError('PG_USER_CREATE', `useradd reported success but user "${NAME}" does not exist.`);
  return created;
}

/**
 * The first directory from `dir` up to / that `user` may not enter (spawned processes get only the
 * primary group, so owner/group/other mode bits decide), with its mode; undefined when all can be
 * entered. Directories not created yet are skipped: their parents decide.
 */
export function firstUnreachable(dir: string, user: ServerUser): { dir: string; mode: number } | undefined {
  for (let current = dir; ; current = dirname(current)) {
    const info = statSync(current, { throwIfNoEntry: false });
    if (info) {
      const bit = info.uid === user.uid ? 0o100 : info.gid === user.gid ? 0o010 : 0o001;
      if (!(info.mode & bit)) return { dir: current, mode: info.mode & 0o777 };
    }
    if (current === parse(current).root) return undefined;
  }
}

/**
 * Checks that `user` may enter every directory down to `dir`. A repository under /root, or a mkdtemp
 * directory (0700), is the usual culprit; naming the directory saves a puzzling log.
 */
export function assertReachable(dir: string, user: ServerUser, what: string): void {
  const blocked = firstUnreachable(dir, user);
  if (!blocked) return;
  const mode = blocked.mode.toString(8).padStart(4, '0');
  throw new TaskError(
    'PG_PATH_NOT_TRAVERSABLE',
    `The embedded PostgreSQL runs as user "${user.name}" (it refuses to run as root), but that user cannot enter ${blocked.dir} (mode ${mode}), on the way to ${what} ${dir}.`,
    {
      hint: `Allow it with \`chmod o+x ${blocked.dir}\`, or move ${what} below a directory that user can reach (PG_DATA_DIR sets the data directory).`,
    },
  );
}
