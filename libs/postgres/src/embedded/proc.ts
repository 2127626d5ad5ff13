import { readFile } from 'node:fs/promises';

/** True while a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the pid from postmaster.pid still is a running postgres server. After a crash the pid
 * is gone or a zombie (`kill -0` still succeeds while nobody has reaped it); after a container
 * restart it may belong to an unrelated process, which must neither block a start nor receive
 * pg_ctl's stop signal. /proc tells us on Linux; elsewhere we trust the pid.
 */
export async function isPostmaster(pid: number): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // "<pid> (<command>) <state> …"; the command may itself contain ") ".
  const match = stat === undefined ? null : /^\d+ \((.*)\) (\S)/s.exec(stat);
  return match ? match[1] === 'postgres' && match[2] !== 'Z' : true;
}
