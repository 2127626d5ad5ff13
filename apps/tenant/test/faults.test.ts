/**
 * Faults under a running build, on a server of this file's own (it is stopped on purpose): the
 * server going away mid-run ends the run with one clear message, and the run row it leaves is marked
 * as interrupted by the next run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import test from 'ava';
import { resolveEngine } from '@mt/postgres';
import { cleanup, tempDir } from '../../../libs/postgres/test/helpers.ts';
import { makeWorkspace, queryOn, REPO, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
let dataDir: string;
const engine = () => resolveEngine({ rootDir: REPO, dataDir, env: { PATH: process.env.PATH } });
const task = (script: string, args: string[]) => ws.task(`tenant/src/${script}.ts`, args, { PG_DATA_DIR: dataDir });

// async: "not created yet" while the server starts is a rejection the polling loop below tolerates
const query = async (database: string, sql: string) => queryOn(engine().clientConfig(database), sql);

test.before(async () => {
  dataDir = join(await tempDir('faults'), 'pg');
  ws = await makeWorkspace({ tenants: ['tenant_a'] });
  // A model that takes a while, so the server can go away under it.
  ws.write('sql/models/marts/zz_slow.sql', "select 1 as slept, (select count(*) from {{ ref('dim_customers') }}) > 0 as after\nfrom pg_sleep(6)\n");
});
test.after.always(async () => {
  await ws?.cleanup().catch(() => {});
  await cleanup(engine(), join(dataDir, '..'));
});

test.serial('the server stopped mid-run (make down): one "lost the connection" message, no stack trace', async (t) => {
  const run = task('tenant-run', ['--tenant', 'tenant_a']);
  // Wait until the slow model runs, then stop the server as `make down` does.
  for (let i = 0; i < 200; i++) {
    await sleep(100);
    const busy = await query('postgres', "select count(*)::int as n from pg_stat_activity where query like '%pg_sleep%' and pid <> pg_backend_pid()").catch(
      () => [{ n: 0 }],
    );
    if (busy[0].n > 0) break;
  }
  t.deepEqual(await engine().down(), { status: 'stopped' });
  const r = await run;
  t.is(r.code, 1, r.stdout);
  t.is(r.stderr.match(/\[DB_CONNECTION_LOST\]/g)?.length, 1, r.stderr);
  t.regex(r.stderr, /Lost the connection to PostgreSQL \(embedded postgres .*\): .*The run stopped there; what it finished is kept/);
  t.regex(r.stderr, /hint {2}The server stopped or restarted .*`make up`/);
  t.notRegex(r.stderr + r.stdout, /unexpected error|at .*\.ts:\d+/);
});

test.serial('the next run marks the run that never finished as interrupted, then builds what is missing', async (t) => {
  const again = await task('tenant-run', ['--tenant', 'tenant_a']);
  t.is(again.code, 0, again.stderr);
  const runs = await query(ws.databases.tenant_a, 'select status from pipeline_meta.runs order by started_at');
  t.deepEqual(
    runs.map((r) => r.status),
    ['interrupted', 'success'],
  );
  const [slow] = await query(ws.databases.tenant_a, 'select slept, after from zz_slow');
  t.deepEqual(slow, { slept: 1, after: true });
});
