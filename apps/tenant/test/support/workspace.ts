/**
 * Test workspaces: a temporary copy of the project's sql/, seeds/ and tenants/ whose tenants get
 * unique database names, all served by one embedded PostgreSQL shared by the whole test run
 * (PG_DATA_DIR=.data/test-pg; the engine's start lock makes parallel test files safe).
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import pg from 'pg';
import type { TaskMain } from '@mt/cli';
import { GENERATED_SEEDS } from '@mt/tenant-config';
import { REPO, TEST_DATA_DIR, testEngine } from '../../../../libs/postgres/test/shared-server.ts';

export { REPO, TEST_DATA_DIR, testEngine };

/** One query on one database of a server (the shared test server unless another config is given). */
export async function queryOn<T extends pg.QueryResultRow = any>(database: string | pg.ClientConfig, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client(typeof database === 'string' ? testEngine().clientConfig(database) : database);
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Drops a database of the shared test server (test clean-up). */
export async function dropDatabase(name: string): Promise<void> {
  await queryOn('postgres', `drop database if exists "${name.replaceAll('"', '""')}" with (force)`);
}

export interface TaskResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A task's exit code and output, its `main` called in-process with `cwd` and `env` (what run-task.mjs does for a process). */
export async function runTaskInProcess(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<TaskResult> {
  const { main } = (await import(join(REPO, 'apps', script))) as { main: TaskMain };
  const stdout = { text: '', write: (s: string) => void (stdout.text += s) };
  const stderr = { text: '', write: (s: string) => void (stderr.text += s) };
  const code = await main(args, { cwd, env: { ...env }, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The same through `node tools/bundle/run-task.mjs <app>/<script>` (from source: MT_FROM_SOURCE=1 under tsx). */
export function runTaskProcess(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<TaskResult> {
  const task = script.replace('/src/', '/').replace(/\.ts$/, '');
  const argv = ['--import', 'tsx', join(REPO, 'tools', 'bundle', 'run-task.mjs'), task, ...args];
  return new Promise((done) => {
    execFile('node', argv, { cwd, env: { ...env, MT_FROM_SOURCE: '1' } }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

export interface TestWorkspace {
  root: string;
  /** tenant name → its (unique) database name */
  databases: Record<string, string>;
  /** tenant name → its (unique) roles */
  roles: Record<string, { owner: string; reader: string }>;
  write(path: string, content: string): void;
  read(path: string): string;
  /** Runs `fn` with `path` changed by `change`, then puts the file back as it was. */
  edit<T>(path: string, change: (text: string) => string, fn: () => Promise<T>): Promise<T>;
  /** Calls the `main` of a task script of apps/ (e.g. `tenant/src/run.ts`) in-process, in this workspace; never throws. */
  task(script: string, args?: string[], env?: NodeJS.ProcessEnv): Promise<TaskResult>;
  /**
   * The same as a process of its own (`node tools/bundle/run-task.mjs`, from source), for what only a
   * process shows: the AWS SDK reads its settings from process.env, a process can be paused or killed.
   */
  taskProcess(script: string, args?: string[], env?: NodeJS.ProcessEnv): Promise<TaskResult>;
  /** Connection settings for a tenant's database as one of its roles (the password from roles.json). */
  configAs(tenant: string, kind: 'owner' | 'reader'): pg.ClientConfig;
  /** A query on a tenant's database. */
  query<T extends pg.QueryResultRow = any>(tenant: string, sql: string, params?: unknown[]): Promise<T[]>;
  cleanup(): Promise<void>;
}

/**
 * `lake: false` leaves out the sample's data lake (sql/sources, the model on it and its test): for tests
 * about something else (roles, locks, the engine's semantics), which it would only slow down; the lake
 * is tested in lake.test.ts and by every test that keeps it.
 */
export async function makeWorkspace(options: { tenants?: string[]; lake?: boolean } = {}): Promise<TestWorkspace> {
  // Inside the repo (git-ignored) so `node --import tsx` resolves from its node_modules.
  mkdirSync(join(REPO, '.data', 'test-workspaces'), { recursive: true });
  const root = mkdtempSync(join(REPO, '.data', 'test-workspaces', 'ws-'));
  // The server (user postgres when the tests run as root) reads the workspace's data lake itself.
  chmodSync(root, 0o755);
  const engine = testEngine();
  await engine.ensureUp();
  for (const dir of ['sql', 'seeds']) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
  writeFileSync(join(root, 'nx.json'), '{}\n');
  if (options.lake === false)
    for (const path of ['sql/sources', 'sql/models/staging/stg_lake_orders.sql', 'sql/tests/assert_lake_orders_match_seed.sql'])
      rmSync(join(root, path), { recursive: true });
  const suffix = randomBytes(4).toString('hex');
  const databases: Record<string, string> = {};
  const roles: TestWorkspace['roles'] = {};
  for (const tenant of options.tenants ?? ['tenant_a', 'tenant_b']) {
    // What the repository holds: not the seeds a developer generated here (make generate-data).
    cpSync(join(REPO, 'tenants', tenant), join(root, 'tenants', tenant), { recursive: true, filter: (src) => !src.endsWith(join('seeds', GENERATED_SEEDS)) });
    const file = join(root, 'tenants', tenant, 'tenant.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    config.database = `t${suffix}_${tenant}`;
    // Roles are server-wide: each workspace gets its own, so parallel test files never share one.
    config.roles = { owner: `${config.database}_owner`, reader: `${config.database}_reader` };
    roles[tenant] = config.roles;
    databases[tenant] = config.database;
    writeFileSync(file, JSON.stringify(config, null, 2));
  }
  // The caller's TENANT_NAME must not leak in (a workspace's .env may set it).
  const { TENANT_NAME: _ignored, ...inherited } = process.env;
  const env = { ...inherited, PG_MODE: 'embedded', PG_DATA_DIR: TEST_DATA_DIR, NO_COLOR: '1' };
  return {
    root,
    databases,
    roles,
    write: (path, content) => writeFileSync(join(root, path), content),
    read: (path) => readFileSync(join(root, path), 'utf8'),
    async edit(path, change, fn) {
      const before = readFileSync(join(root, path), 'utf8');
      writeFileSync(join(root, path), change(before));
      try {
        return await fn();
      } finally {
        writeFileSync(join(root, path), before);
      }
    },
    task: (script, args = [], extra = {}) => runTaskInProcess(script, args, root, { ...env, ...extra }),
    taskProcess: (script, args = [], extra = {}) => runTaskProcess(script, args, root, { ...env, ...extra }),
    configAs(tenant, kind) {
      const role = roles[tenant][kind];
      const { passwords } = JSON.parse(readFileSync(engine.rolesFile, 'utf8'));
      return { ...engine.clientConfig(databases[tenant]), user: role, password: passwords[role] };
    },
    query: (tenant, sql, params) => queryOn(engine.clientConfig(databases[tenant]), sql, params),
    async cleanup() {
      for (const db of Object.values(databases)) await dropDatabase(db);
      for (const role of Object.values(roles).flatMap((r) => [r.owner, r.reader]))
        await queryOn('postgres', `drop role if exists ${pg.escapeIdentifier(role)}`);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
