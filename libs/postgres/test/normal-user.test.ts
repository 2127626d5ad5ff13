import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { rootDir, tempDir } from './helpers.ts';

const exec = promisify(execFile);

// As root the engine runs the server as `postgres`; this runs the whole engine as that normal user,
// as a developer without root would.
const canSwitch = process.getuid?.() === 0 && existsSync('/usr/sbin/runuser');

(canSwitch ? test : test.skip)('the embedded engine works for a normal (non-root) user (needs root and runuser, to become one)', async (t) => {
  const dir = await tempDir('normal-user');
  const uid = Number((await exec('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await exec('id', ['-g', 'postgres'])).stdout.trim());
  await chown(dir, uid, gid);
  try {
    const { stdout } = await exec(
      '/usr/sbin/runuser',
      ['-u', 'postgres', '--', process.execPath, '--import', 'tsx', join(import.meta.dirname, 'fixtures', 'lifecycle.ts'), dir],
      {
        cwd: rootDir,
        env: { PATH: process.env.PATH, HOME: dir },
      },
    );
    t.deepEqual(JSON.parse(stdout), { uid, up: 'started', created: 'created', db: 'normal_user_db', down: 'stopped' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
