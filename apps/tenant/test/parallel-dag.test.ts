/**
 * The parallel DAG (--threads): independent nodes build at once on connections of their own; the
 * summary is in the same order as a sequential run; a failure stops what depends on it, not the rest.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { makeWorkspace, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  // Three independent tables that each hold their connection a moment and say which one it was.
  for (const name of ['lane_a', 'lane_b', 'lane_c'])
    ws.write(`sql/models/marts/${name}.sql`, "{{ config(materialized='table') }}\nselect pg_backend_pid() as pid from pg_sleep(0.3)\n");
});
test.after.always(() => ws?.cleanup());

const run = (...args: string[]) => ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', ...args]);
const report = (stdout: string) => JSON.parse(stdout) as { ok: boolean; results: Array<{ id: string; name: string; status: string }> };
const pids = async () =>
  new Set(
    (await ws.query<{ pid: number }>('tenant_a', 'select pid from lane_a union all select pid from lane_b union all select pid from lane_c')).map((r) => r.pid),
  );

test.serial('one thread builds everything on one connection; three threads build independent nodes on several, in the same summary order', async (t) => {
  const one = await run('--threads', '1', '--json');
  t.is(one.code, 0, one.stderr);
  t.is((await pids()).size, 1);
  const three = await run('--threads', '3', '--full-refresh', '--retest', '--json');
  t.is(three.code, 0, three.stderr);
  t.true((await pids()).size > 1, 'the three tables were built on more than one connection');
  t.deepEqual(
    report(three.stdout).results.map((r) => r.id),
    report(one.stdout).results.map((r) => r.id),
  );
});

test.serial('a failing node in one branch: its descendants are upstream-failed, the other branches complete', async (t) => {
  ws.write('sql/models/marts/broken.sql', "{{ config(materialized='table') }}\nselect 1 / 0 as boom from {{ ref('stg_orders') }}\n");
  ws.write('sql/models/marts/broken_child.sql', "select * from {{ ref('broken') }}\n");
  try {
    const r = await run('--threads', '2', '--full-refresh', '--json');
    t.is(r.code, 1);
    const results = report(r.stdout);
    const status = (name: string) => results.results.find((x) => x.name === name)?.status;
    t.false(results.ok);
    t.is(status('broken'), 'error');
    t.is(status('broken_child'), 'upstream-failed');
    for (const name of ['dim_customers', 'fct_order_lines', 'lane_a', 'agg_monthly_sales']) t.is(status(name), 'built', name);
  } finally {
    for (const name of ['broken', 'broken_child']) rmSync(join(ws.root, `sql/models/marts/${name}.sql`));
  }
  t.is((await run()).code, 0);
});

test.serial('--threads must be a whole number of at least 1', async (t) => {
  const r = await run('--threads', '0');
  t.is(r.code, 1);
  t.regex(r.stderr, /--threads must be a whole number of at least 1, not 0\./);
});
