import { spawn } from 'node:child_process';
import { join } from 'node:path';
import test from 'ava';
import { REPO, runTaskInProcess } from '../../tenant/test/support/workspace.ts';

test('output piped into a reader that stops early (| head) ends quietly, exit 0', async (t) => {
  const launcher = join(REPO, 'tools', 'bundle', 'run-task.mjs');
  const child = spawn(process.execPath, ['--import', 'tsx', launcher, 'platform/examples'], {
    cwd: REPO,
    env: { ...process.env, MT_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((done) => child.on('close', done));
  t.is(code, 0);
  t.notRegex(stderr, /EPIPE|Error/);
});

test('every platform script has --help; an unknown option is a usage error on stderr, exit 1', async (t) => {
  for (const name of ['setup', 'up', 'down', 'status', 'logs', 'info', 'version', 'examples']) {
    const help = await runTaskInProcess(`platform/src/${name}.ts`, ['--help'], REPO, process.env);
    t.is(help.code, 0, name);
    t.regex(help.stdout, /--help/, name);
    t.is(help.stderr, '', name);
    const wrong = await runTaskInProcess(`platform/src/${name}.ts`, ['--bogus'], REPO, process.env);
    t.is(wrong.code, 1, name);
    t.regex(wrong.stderr, /Unknown argument: bogus/, name);
    t.is(wrong.stdout, '', name);
  }
});
