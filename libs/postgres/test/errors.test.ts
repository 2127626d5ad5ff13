import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { TaskError } from '@mt/cli';
import { resolveEngine, type Env } from '@mt/postgres';
import { assertDatabaseName } from '../src/database.ts';
import { closedPort, rootDir } from './helpers.ts';

const PASSWORD = 'pw-Secret-4711';
const external = (env: Env) => resolveEngine({ rootDir, env: { PG_MODE: 'external', ...env } });
const text = (err: TaskError | undefined) => `${err?.message}\n${err?.hint}`;

test('external mode, nothing listening: DB_UNREACHABLE names host:port and mode, not the password', async (t) => {
  const port = await closedPort();
  const engine = external({ PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'app', PGPASSWORD: PASSWORD });
  const err = await t.throwsAsync<TaskError>(engine.ensureUp());
  t.is(err?.code, 'DB_UNREACHABLE');
  t.true(err?.message.startsWith(`Cannot reach PostgreSQL at 127.0.0.1:${port} (external mode)`), err?.message);
  t.regex(err?.hint ?? '', /PGHOST\/PGPORT\/DATABASE_URL/);
  t.false(text(err).includes(PASSWORD));
  t.like(await engine.status(), { running: false, mode: 'external', port });
  t.like(await engine.down(), { status: 'not-running' });
});

test('external mode from DATABASE_URL: parts are decoded, the password is masked in describe() and errors', async (t) => {
  const port = await closedPort();
  const engine = external({ DATABASE_URL: `postgresql://app%40corp:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/maint?sslmode=disable` });
  t.like(engine.clientConfig('tenant_x'), { host: '127.0.0.1', port, user: 'app@corp', password: PASSWORD, database: 'tenant_x' });
  t.is(engine.describe(), `external postgres at postgres://app@corp:****@127.0.0.1:${port}/maint`);
  const err = await t.throwsAsync<TaskError>(engine.up());
  t.is(err?.code, 'DB_UNREACHABLE');
  t.false(text(err).includes(PASSWORD));
});

test('a DATABASE_URL that is not a postgres URL is rejected without repeating it', (t) => {
  for (const url of [`mysql://root:${PASSWORD}@db/x`, `postgres://root:${PASSWORD}%zz@db/x`, `${PASSWORD} no url`]) {
    const err = t.throws<TaskError>(() => external({ DATABASE_URL: url }));
    t.is(err?.code, 'PG_CONFIG_INVALID');
    t.false(text(err).includes(PASSWORD));
  }
});

test('DATABASE_URL parts fall back one by one to the PG* variables (empty counts as unset); [IPv6] hosts lose their brackets', (t) => {
  const env = { PGHOST: 'envhost', PGPORT: '6543', PGUSER: 'envuser', PGPASSWORD: PASSWORD, PGDATABASE: 'envdb' };
  const ipv6 = external({ ...env, DATABASE_URL: 'postgres://[::1]/my%2Fdb%23' });
  t.like(ipv6.clientConfig('x'), { host: '::1', port: 6543, user: 'envuser', password: PASSWORD });
  t.is(ipv6.describe(), 'external postgres at postgres://envuser:****@::1:6543/my/db#', 'the database name is decoded in full, as libpq does');
  t.like(external({ ...env, DATABASE_URL: 'postgres://app:@db/' }).clientConfig('x'), { host: 'db', port: 6543, user: 'app', password: PASSWORD });
  t.is(external({ ...env, DATABASE_URL: 'postgresql://' }).describe(), 'external postgres at postgres://envuser:****@envhost:6543/envdb');
});

test('DATABASE_URL query parameters as libpq takes them: host (a socket folder), port, user and password win over the URL parts', (t) => {
  const socket = external({ PGPORT: '6543', DATABASE_URL: 'postgres://app@db.example:5432/maint?host=/var/run/postgresql&port=6432' });
  t.like(socket.clientConfig('x'), { host: '/var/run/postgresql', port: 6432, user: 'app', database: 'x' });
  t.like(external({ DATABASE_URL: 'postgres://app:old@db/maint?user=other&password=p%2Fw' }).clientConfig('x'), { host: 'db', user: 'other', password: 'p/w' });
  for (const port of ['abc', '0', '70000']) {
    const err = t.throws<TaskError>(() => external({ DATABASE_URL: `postgres://app:${PASSWORD}@db/maint?port=${port}` }));
    t.is(err?.code, 'PG_CONFIG_INVALID');
    t.regex(err?.message ?? '', /DATABASE_URL port=".*" is not a TCP port/);
    t.false(text(err).includes(PASSWORD));
  }
});

test('DATABASE_URL sslmode has libpq meaning; certificate parameters are not read and nothing warns about sslmode', async (t) => {
  const warnings: Error[] = [];
  const listen = (w: Error) => warnings.push(w);
  process.on('warning', listen);
  t.teardown(() => process.off('warning', listen));
  const ssl = (url: string, env: Env = {}) => external({ ...env, DATABASE_URL: url }).clientConfig('x').ssl;
  t.deepEqual(ssl('postgres://db/maint?sslmode=require&sslrootcert=/nonexistent/ca.pem&sslcert=/nonexistent/c.pem'), { rejectUnauthorized: false });
  t.is(ssl('postgres://db/maint?sslmode=verify-ca'), true);
  t.is(ssl('postgres://db/maint?sslmode=prefer'), undefined);
  t.is(ssl('postgres://db/maint?sslmode=disable', { PGSSLMODE: 'verify-full' }), undefined, 'the URL wins over PGSSLMODE');
  t.is(ssl('postgres://db/maint', { PGSSLMODE: 'verify-full' }), true);
  t.is(t.throws<TaskError>(() => ssl('postgres://db/maint?sslmode=yes'))?.code, 'PG_CONFIG_INVALID');
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(warnings, []);
});

test('a database name that is not a plain identifier is refused before anything connects', (t) => {
  for (const name of ['Tenant', '1abc', 'a-b', 'x"; drop database postgres; --', 'a'.repeat(64), '']) {
    const err = t.throws<TaskError>(() => assertDatabaseName(name));
    t.is(err?.code, 'INVALID_IDENTIFIER', name);
  }
  t.notThrows(() => assertDatabaseName('a'.repeat(63)));
});

test('an unknown PG_MODE is a clear error', (t) => {
  const err = t.throws<TaskError>(() => resolveEngine({ rootDir, env: { PG_MODE: 'podman' } }));
  t.is(err?.code, 'PG_MODE_INVALID');
  t.regex(err?.message ?? '', /embedded, docker, external/);
});

const hasDocker = spawnSync('docker', ['--version']).status === 0;
(hasDocker ? test : test.skip)(
  'docker mode without a daemon: DOCKER_DAEMON_DOWN suggests the embedded default (needs the docker CLI; DOCKER_NOT_FOUND is tested without it)',
  async (t) => {
    const engine = resolveEngine({ rootDir, env: { PG_MODE: 'docker', PATH: process.env.PATH, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    for (const action of [() => engine.up(), () => engine.down(), () => engine.status()]) {
      const err = await t.throwsAsync<TaskError>(action());
      t.is(err?.code, 'DOCKER_DAEMON_DOWN');
      t.regex(err?.message ?? '', /Docker daemon is not running/);
      t.regex(err?.hint ?? '', /unset PG_MODE/);
    }
    t.is(engine.describe(), 'docker postgres (compose service postgres) at postgres://postgres:****@127.0.0.1:5432/postgres');
  },
);

test('docker mode without the docker command: DOCKER_NOT_FOUND', async (t) => {
  const engine = resolveEngine({ rootDir, env: { PG_MODE: 'docker', PATH: '/nonexistent' } });
  const err = await t.throwsAsync<TaskError>(engine.up());
  t.is(err?.code, 'DOCKER_NOT_FOUND');
  t.regex(err?.hint ?? '', /unset PG_MODE/);
});

test('docker mode: ensureUp only checks reachability', async (t) => {
  const port = await closedPort();
  const engine = resolveEngine({ rootDir, env: { PG_MODE: 'docker', POSTGRES_PORT: String(port), POSTGRES_PASSWORD: PASSWORD } });
  const err = await t.throwsAsync<TaskError>(engine.ensureUp());
  t.is(err?.code, 'DB_UNREACHABLE');
  t.regex(err?.message ?? '', /\(docker mode\)/);
  t.regex(err?.hint ?? '', /make up/);
  t.false(text(err).includes(PASSWORD));
});

const isRoot = process.getuid?.() === 0;
(isRoot ? test : test.skip)('as root: a data directory the postgres user cannot reach is placed, once, in a private folder it owns (needs root)', async (t) => {
  const locked = await mkdtemp(join(tmpdir(), 'mt-pg-locked-')); // 0700, owned by root
  const engine = resolveEngine({ rootDir, dataDir: join(locked, 'pg'), env: { PATH: process.env.PATH } });
  // eslint-disable-next-line prefer-const -- read by the teardown below, which runs even when engine.up() throws before it is set
  let base: string | undefined;
  t.teardown(async () => {
    await engine.down().catch(() => {});
    await rm(locked, { recursive: true, force: true });
    if (base) await rm(base, { recursive: true, force: true });
  });
  t.is((await engine.up()).status, 'started');
  base = JSON.parse(readFileSync(join(locked, 'pg', 'relocated.json'), 'utf8')).base;
  const info = statSync(String(base));
  t.is(info.mode & 0o777, 0o700);
  t.is(info.uid, Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim()));
  t.true(existsSync(join(String(base), 'data', 'PG_VERSION')), 'the cluster lives in the private folder');
  t.regex(engine.describe(), /files in .*mt-postgres/);
  // A new engine object (another command) finds it again.
  const again = resolveEngine({ rootDir, dataDir: join(locked, 'pg'), env: { PATH: process.env.PATH } });
  t.is((await again.status()).running, true);
});
