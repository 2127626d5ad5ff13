import test from 'ava';
import { cleanup, embedded, tempDir, upInChild } from './helpers.ts';

const dir = await tempDir('concurrency');
const engine = embedded(dir);
test.after.always(() => cleanup(engine, dir));

test.serial('three processes bringing up a fresh directory at once: one initialises and starts, all succeed', async (t) => {
  const results = await Promise.all([upInChild(dir), upInChild(dir), upInChild(dir)]);
  t.deepEqual(results.map((r) => r.status).sort(), ['already-running', 'already-running', 'started']);
  t.is(new Set(results.map((r) => r.port)).size, 1);
  t.true((await engine.status()).running, 'the server outlives the processes that started it');
});

test.serial('after a stop, parallel ensureUp() calls in this process and up() in others agree', async (t) => {
  t.is((await engine.down()).status, 'stopped');
  const [child] = await Promise.all([upInChild(dir), engine.ensureUp(), engine.ensureUp()]);
  t.true(['started', 'already-running'].includes(child.status));
  t.is((await engine.up()).status, 'already-running');
});
