import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { step } from '../src/step.ts';

/** A stderr stand-in that keeps what is written. */
function fakeStream(isTTY: boolean, columns = 80) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (text: string) => writes.push(text) } };
}

/** A clock that answers these times, one per call, in ms. */
const clock =
  (...times: number[]) =>
  () =>
    times.shift() ?? 0;

/** The lines a terminal shows after `text`: \r goes back to the line start, ESC[K erases to its end, \n starts a line. */
function screen(text: string): string[] {
  const lines = [''];
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const last = lines.length - 1;
    if (text.startsWith('\x1b[K', i)) {
      lines[last] = lines[last].slice(0, col);
      i += 2;
    } else if (text[i] === '\r') col = 0;
    else if (text[i] === '\n') {
      lines.push('');
      col = 0;
    } else {
      lines[last] = lines[last].slice(0, col).padEnd(col) + text[i] + lines[last].slice(col + 1);
      col++;
    }
  }
  return lines;
}

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const noCI = { PATH: process.env.PATH };

test('off a terminal, a fast step prints nothing and returns what its function returned', async (t) => {
  const { writes, stream } = fakeStream(false);
  t.is(await step('loading', () => 42, { stream, now: clock(0, 120), env: noCI }), 42);
  t.is(await step('loading', async () => 'async', { stream, now: clock(0, 999), env: noCI }), 'async');
  t.deepEqual(writes, []);
});

test('off a terminal, a step of a second or more ends with one summary line', async (t) => {
  const { writes, stream } = fakeStream(false);
  await step('creating the database cluster (initdb)', () => undefined, { stream, now: clock(0, 1234), env: noCI });
  t.deepEqual(writes, ['creating the database cluster (initdb) … done in 1.23 s\n']);
});

test('off a terminal, a step whose caller reports the outcome prints nothing, however long it took', async (t) => {
  const { writes, stream } = fakeStream(false);
  await step('starting', () => undefined, { stream, now: clock(0, 5000), env: noCI, summary: false });
  t.deepEqual(writes, []);
});

test('a failing step passes its error on and prints nothing, slow or not', async (t) => {
  const { writes, stream } = fakeStream(false);
  const boom = new Error('boom');
  const thrown = await t.throwsAsync(
    step(
      'failing',
      () => {
        throw boom;
      },
      { stream, now: clock(0, 3000), env: noCI },
    ),
  );
  t.is(thrown, boom);
  await t.throwsAsync(
    step('failing', () => Promise.reject(boom), { stream, now: clock(0, 10), env: noCI }),
    { is: boom },
  );
  t.deepEqual(writes, []);
});

test('on a terminal, a spinner turns while the step runs and is replaced by the summary line', async (t) => {
  const { writes, stream } = fakeStream(true);
  await step(
    '  running the 3 files of phase schema on the bastion',
    async () => {
      await sleep(350);
      t.regex(writes.join(''), SPINNER, 'frames are drawn while it runs');
      t.regex(screen(writes.join('')).at(-1)!, /^ {2}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running the 3 files of phase schema on the bastion$/);
    },
    { stream, now: clock(0, 350), env: noCI },
  );
  t.deepEqual(screen(writes.join('')), ['  running the 3 files of phase schema on the bastion … done in 350 ms', '']);
});

test('on a terminal, a failing step leaves a clean line for the error', async (t) => {
  const { writes, stream } = fakeStream(true);
  const slow = async () => {
    await sleep(250);
    throw new Error('pg_ctl failed');
  };
  await t.throwsAsync(step('starting', slow, { stream, env: noCI }), { message: 'pg_ctl failed' });
  t.regex(writes.join(''), SPINNER);
  t.deepEqual(screen(writes.join('')), ['']);
  t.is(writes.at(-1), '\r\x1b[K');
});

test('on a terminal, summary: false only clears the spinner', async (t) => {
  const { writes, stream } = fakeStream(true);
  await step('starting embedded postgres', () => sleep(250), { stream, env: noCI, summary: false });
  t.regex(writes.join(''), SPINNER);
  t.deepEqual(screen(writes.join('')), ['']);
});

test('a step inside another takes the spinner line over, and each ends with its own line', async (t) => {
  const { writes, stream } = fakeStream(true);
  await step(
    'starting embedded postgres',
    async () => {
      await step('creating the database cluster (initdb)', () => sleep(250), { stream, now: clock(0, 1500), env: noCI });
      await sleep(250);
      t.regex(screen(writes.join('')).at(-1)!, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] starting embedded postgres$/, 'the outer spinner turns again');
    },
    { stream, now: clock(0, 2000), env: noCI },
  );
  t.deepEqual(screen(writes.join('')), ['creating the database cluster (initdb) … done in 1.50 s', 'starting embedded postgres … done in 2.00 s', '']);
});

test('the spinner line never wraps: it is cut to the width of the terminal', async (t) => {
  const { writes, stream } = fakeStream(true, 20);
  await step('a label far longer than the terminal is wide', () => sleep(250), { stream, env: noCI, summary: false });
  const frames = writes.filter((w) => SPINNER.test(w));
  t.true(frames.length > 0);
  for (const f of frames) t.true(screen(f)[0].length <= 19, f);
});

test('with CI set, a terminal is treated like a log: no spinner, no line for a fast step', async (t) => {
  const { writes, stream } = fakeStream(true);
  await step('starting', () => sleep(250), { stream, env: { ...noCI, CI: 'true' } });
  t.deepEqual(writes, []);
});
