import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import test from 'ava';
import type { TaskError } from '@mt/cli';
import { resolveEngine, withClient } from '@mt/postgres';
import { createDatabaseIfMissing } from '../src/database.ts';
import { isPostmaster } from '../src/embedded/proc.ts';
import { cleanup, closedPort, embedded, rootDir, tempDir } from './helpers.ts';

// One server for the whole file; the tests build on each other, so they run in order.
const dir = await tempDir('embedded');
// A preferred port of its own: the port it frees on `down` is not the 54329 other test servers try first.
const engine = embedded(dir, { POSTGRES_PORT: String(await closedPort()) });
test.after.always(() => cleanup(engine, dir));
const ensureDatabase = (name: string) => withClient(engine.connect('postgres'), (client) => createDatabaseIfMissing(client, name));

test.serial('a fresh directory is initialised and started; a second up finds it running', async (t) => {
  t.like(await engine.status(), { running: false, mode: 'embedded' });
  const first = await engine.up();
  t.is(first.status, 'started');
  const second = await engine.up();
  t.deepEqual({ status: second.status, port: second.port }, { status: 'already-running', port: first.port });

  const state = JSON.parse(await readFile(join(dir, 'engine.json'), 'utf8'));
  t.is(state.port, first.port);
  t.is(state.user, 'postgres');
  t.true(state.password.length >= 20);
  t.is((await stat(join(dir, 'engine.json'))).mode & 0o777, 0o600);
  t.regex(engine.describe(), new RegExp(`^embedded postgres 18\\.\\d+ at 127\\.0\\.0\\.1:${first.port} \\(data `));
  t.false(engine.describe().includes(state.password));
});

test.serial('ensureUp is a no-op on a running server; clientConfig connects', async (t) => {
  await engine.ensureUp();
  const client = await engine.connect('postgres');
  const { rows } = await client.query<{ user: string }>('select current_user as user');
  await client.end();
  t.is(rows[0].user, 'postgres');
  t.like(engine.clientConfig('x'), { host: '127.0.0.1', user: 'postgres', database: 'x' });
});

test.serial('createDatabaseIfMissing creates once, then reports exists, also when racing', async (t) => {
  t.is(await ensureDatabase('tenant_a'), 'created');
  t.is(await ensureDatabase('tenant_a'), 'exists');
  const results = await Promise.all(Array.from({ length: 4 }, () => ensureDatabase('tenant_race')));
  t.is(results.filter((r) => r === 'created').length, 1);
  t.is(results.filter((r) => r === 'exists').length, 3);
});

test.serial('status reports version, databases, pid and log file', async (t) => {
  const status = await engine.status();
  t.true(status.running);
  t.regex(status.version ?? '', /^18\./);
  t.true(status.databases?.includes('tenant_a'));
  t.is(typeof status.pid, 'number');
  t.is(status.logFile, join(dir, 'server.log'));
  t.is((await stat(join(dir, 'server.log'))).mode & 0o777, 0o600, 'the log holds statement texts: owner only');
});

test.serial('a wrong password is DB_AUTH and the password is not in the message', async (t) => {
  const { port } = (await engine.status()) as { port: number };
  const password = 'wrong-secret-123';
  const external = resolveEngine({ rootDir, env: { PG_MODE: 'external', PGHOST: '127.0.0.1', PGPORT: String(port), PGPASSWORD: password } });
  const err = await t.throwsAsync<TaskError>(external.ensureUp());
  t.is(err?.code, 'DB_AUTH');
  t.false(`${err?.message} ${err?.hint}`.includes(password));
});

test.serial('down stops the server; a second down finds nothing to stop', async (t) => {
  t.deepEqual(await engine.down(), { status: 'stopped' });
  t.deepEqual(await engine.down(), { status: 'not-running' });
  t.like(await engine.status(), { running: false });
  const err = await t.throwsAsync<TaskError>(engine.connect('postgres'));
  t.is(err?.code, 'DB_UNREACHABLE');
  t.true(err?.message.includes('embedded mode'));
  t.is(err?.hint, 'Run `make up` to start the embedded PostgreSQL.');
});

test.serial('ensureUp starts a stopped server', async (t) => {
  await engine.ensureUp();
  t.true((await engine.status()).running);
});

test.serial('a stale postmaster.pid (crash, or its pid reused by another program) does not block a start', async (t) => {
  await engine.down();
  // What a crash followed by a container restart leaves behind: a pid file naming a live, unrelated process.
  const sleeper = spawn('sleep', ['60']);
  t.teardown(() => sleeper.kill());
  const state = JSON.parse(await readFile(join(dir, 'engine.json'), 'utf8'));
  const pidFile = [sleeper.pid, join(dir, 'data'), '0', state.port, join(dir, 'run'), '127.0.0.1', '0', 'ready   ', ''].join('\n');
  await writeFile(join(dir, 'data', 'postmaster.pid'), pidFile);
  t.deepEqual(await engine.down(), { status: 'not-running' }, 'pg_ctl must not signal the unrelated process');
  t.is((await engine.up()).status, 'started');
  t.is(sleeper.exitCode, null);
});

test.serial('a crashed server (postmaster killed with open sessions) starts again', async (t) => {
  const { pid } = await engine.status();
  const session = await engine.connect('postgres');
  session.query('select pg_sleep(30)').catch(() => {});
  process.kill(pid!, 'SIGKILL');
  // Signal delivery is asynchronous; a zombie (nobody reaps it in some containers) counts as gone.
  while (await isPostmaster(pid!)) await sleep(10);
  t.is((await engine.up()).status, 'started');
  await session.end().catch(() => {});
  t.is(await ensureDatabase('tenant_a'), 'exists');
});
