import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskError } from '@mt/cli';
import { isAlive } from './embedded/proc.ts';

async function holderOf(lockPath: string): Promise<number | undefined> {
  const text = await readFile(lockPath, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : Number(text.trim());
}

/**
 * Tries to create the lock file holding our pid. The file is written under a private name and
 * then hard-linked into place, so the lock never exists without its pid (link fails if it exists).
 */
async function tryAcquire(lockPath: string): Promise<boolean> {
  // Unique per attempt: this process may wait for the lock from several calls at once.
  const mine = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(mine, `${process.pid}\n`);
  try {
    await link(mine, lockPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(mine);
  }
}

/**
 * Runs `fn` while holding an exclusive lock file, so parallel tasks (Nx runs tenants at once) take
 * turns: the embedded engine's up and down (initdb, pg_ctl) and setting a tenant's roles up (roles.json).
 * A lock left by a crashed process is taken over once its pid is gone.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // 20 ms doubling to 250 ms: a short wait is noticed at once, a long one polls rarely.
  let delay = 20;
  while (!(await tryAcquire(lockPath))) {
    const holder = await holderOf(lockPath);
    if (holder !== undefined && !isAlive(holder)) {
      // Re-read just before removing, so a lock that another waiter has meanwhile taken over is
      // left alone (the remaining window is a few microseconds, after a crash only).
      if ((await holderOf(lockPath)) === holder) await unlink(lockPath).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) {
      throw new TaskError('PG_LOCK_TIMEOUT', `Waited ${timeoutMs / 1000} s for ${lockPath}, held by process ${holder}.`, {
        hint: `Check that process (ps -p ${holder}); remove the file if it is not a task runner.`,
      });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => {});
  }
}
