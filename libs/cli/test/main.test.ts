import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { TaskError, io, log, out, parseOptions, taskCli, taskMain } from '../src/index.ts';

/** Streams that keep what a task writes. */
function collect() {
  const stdout = { text: '', write: (s: string) => void (stdout.text += s) };
  const stderr = { text: '', write: (s: string) => void (stderr.text += s) };
  return { stdout, stderr };
}

const greet = taskMain(async (args) => {
  const argv = parseOptions(taskCli('greet', '$0 --name <who>').option('name', { type: 'string', demandOption: true }), args);
  // Awaits between the writes: another task running meanwhile must not take these streams over.
  await sleep(Math.random() * 20);
  log(`greeting ${argv.name} in ${io().cwd}`);
  await sleep(Math.random() * 20);
  out(`hello ${argv.name}`);
  return argv.name === 'nobody' ? 3 : 0;
});

test('a task writes to its own streams and returns its exit code; tasks at once keep theirs apart', async (t) => {
  const runs = ['ann', 'bob', 'cy', 'nobody'].map((name) => ({ name, ...collect() }));
  const codes = await Promise.all(runs.map((r) => greet(['--name', r.name], { cwd: `/w/${r.name}`, stdout: r.stdout, stderr: r.stderr })));
  t.deepEqual(codes, [0, 0, 0, 3]);
  for (const r of runs) {
    t.is(r.stdout.text, `hello ${r.name}\n`);
    t.is(r.stderr.text, `greeting ${r.name} in /w/${r.name}\n`);
  }
});

test('--help goes to stdout with exit 0; a usage error to stderr with the usage, exit 1; neither runs the body', async (t) => {
  const help = collect();
  t.is(await greet(['--help'], help), 0);
  t.regex(help.stdout.text, /greet --name <who>[\s\S]*--help/);
  t.is(help.stderr.text, '');
  const wrong = collect();
  t.is(await greet(['--name', 'x', '--bogus'], wrong), 1);
  t.regex(wrong.stderr.text, /greet --name <who>[\s\S]*Unknown argument: bogus/);
  t.is(wrong.stdout.text, '');
  const missing = collect();
  t.is(await greet([], missing), 1);
  t.regex(missing.stderr.text, /Missing required argument: name/);
});

test('a TaskError is one paragraph with its hint and exit code; anything else is a bug: its stack, exit 70', async (t) => {
  const refused = collect();
  const code = await taskMain(async () => {
    throw new TaskError('UNKNOWN_PHASE', 'Unknown phase "x".', { hint: 'Use letters.', exitCode: 2 });
  })([], { ...refused, env: { NO_COLOR: '1' } });
  t.is(code, 2);
  t.is(refused.stderr.text, 'error [UNKNOWN_PHASE] Unknown phase "x".\nhint  Use letters.\n');
  const bug = collect();
  t.is(
    await taskMain(async () => {
      throw new RangeError('off by one');
    })([], bug),
    70,
  );
  t.regex(bug.stderr.text, /unexpected error \(a bug in the task runner, please report it\):\nRangeError: off by one\n\s+at /);
});
