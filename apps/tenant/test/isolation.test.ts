import test from 'ava';
import { makeWorkspace } from './support/workspace.ts';

test('two concurrent runs of one tenant: the second waits, both succeed', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'] });
  try {
    const [a, b] = await Promise.all([
      ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json']),
      ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json']),
    ]);
    t.is(a.code, 0, a.stderr);
    t.is(b.code, 0, b.stderr);
    t.regex(a.stderr + b.stderr, /waiting for another run of tenant_a/);
    const built = [a, b].map((r) => JSON.parse(r.stdout).results.filter((x: any) => x.status === 'built').length).sort((x, y) => x - y);
    t.is(built[0], 0, 'the run that waited found everything built');
    t.true(built[1] >= 16);
    const [runs] = await ws.query('tenant_a', `select count(*)::int as n, count(*) filter (where status = 'success')::int as ok from pipeline_meta.runs`);
    t.deepEqual(runs, { n: 2, ok: 2 });
  } finally {
    await ws.cleanup();
  }
});

test("a run for tenant_a touches nothing in tenant_b's database", async (t) => {
  const ws = await makeWorkspace();
  try {
    for (const tenant of ['tenant_a', 'tenant_b']) {
      const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', tenant]);
      t.is(r.code, 0, r.stderr);
    }
    const fingerprintB = async () => (await ws.query('tenant_b', `select
        (select md5(string_agg(unique_id || fingerprint || finished_at::text, ',' order by unique_id)) from pipeline_meta.node_state) as state,
        (select count(*) from pipeline_meta.runs) as runs,
        (select md5(string_agg(c::text, ',' order by customer_id)) from dim_customers c) as data,
        (select sum(n_tup_ins + n_tup_upd + n_tup_del) from pg_stat_user_tables) as writes`))[0];
    const before = await fingerprintB();
    ws.write('seeds/customers.csv', ws.read('seeds/customers.csv').replace('John Doe', 'John Q. Doe').replace('2024-01-01 09:00:00\n', '2024-02-01 09:00:00\n'));
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--full-refresh']);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(await fingerprintB(), before);
    const [a] = await ws.query('tenant_a', "select count(*)::int as n from dim_customers where customer_name = 'John Q. Doe'");
    t.is(a.n, 1);
    const [b] = await ws.query('tenant_b', "select count(*)::int as n from dim_customers where customer_name like 'John%'");
    t.is(b.n, 0);
  } finally {
    await ws.cleanup();
  }
});
