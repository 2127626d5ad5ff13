import { spawn } from 'node:child_process';
import { join } from 'node:path';
import test from 'ava';
import { REPO } from '../../../libs/postgres/test/shared-server.ts';

const script = (name: string) => join(REPO, 'apps/platform/src', `${name}.ts`);

test('output piped into a reader that stops early (| head) ends quietly, exit 0', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', script('examples')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((done) => child.on('close', done));
  t.is(code, 0);
  t.notRegex(stderr, /EPIPE|Error/);
});

test('every platform script has --help', async (t) => {
  for (const name of ['setup', 'up', 'down', 'status', 'logs', 'info', 'version', 'examples']) {
    const child = spawn(process.execPath, ['--import', 'tsx', script(name), '--help'], { cwd: REPO });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    t.is(await new Promise<number | null>((done) => child.on('close', done)), 0, name);
    t.regex(stdout, /--help/, name);
  }
});
