import { execFileSync } from 'node:child_process';
import test from 'ava';
import { makeWorkspace, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
test.before(async () => {
  ws = await makeWorkspace();
});
test.after.always(async () => ws?.cleanup());

test.serial('tenant-run builds tenant_a end to end and reproduces the published figures', async (t) => {
  const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /connection ok/);
  t.regex(r.stdout, /tenant_a: OK/);

  const [kpi] = await ws.query(
    'tenant_a',
    `select count(*)::int as customers, sum(lifetime_value)::text as sales,
      count(*) filter (where order_count > 0)::int as active from dim_customers`,
  );
  t.deepEqual(kpi, { customers: 5, sales: '3464.89', active: 5 });
  const [aov] = await ws.query('tenant_a', 'select round(avg(order_total), 2)::text as aov, count(*)::int as orders from fct_orders');
  t.deepEqual(aov, { aov: '692.98', orders: 5 });

  const ranking = await ws.query(
    'tenant_a',
    `select revenue_rank::int as rank, product_name, product_category, revenue::text, times_ordered::int
      from dim_products order by revenue_rank, product_name`,
  );
  t.deepEqual(ranking, [
    { rank: 1, product_name: 'Laptop', product_category: 'Electronics', revenue: '1999.98', times_ordered: 2 },
    { rank: 2, product_name: 'Smartphone', product_category: 'Electronics', revenue: '1199.98', times_ordered: 2 },
    { rank: 3, product_name: 'Running Shoes', product_category: 'Sports', revenue: '129.99', times_ordered: 1 },
    { rank: 4, product_name: 'Book', product_category: 'Books', revenue: '74.97', times_ordered: 1 },
    { rank: 5, product_name: 'Coffee Mug', product_category: 'Home & Kitchen', revenue: '59.97', times_ordered: 2 },
  ]);
  const shares = await ws.query(
    'tenant_a',
    `select product_category, sum(line_amount)::text as sales,
      round(100 * sum(line_amount) / sum(sum(line_amount)) over (), 1)::text as share
      from fct_order_lines group by 1 order by sum(line_amount) desc`,
  );
  t.deepEqual(
    shares.map((s) => [s.product_category, s.sales, s.share]),
    [
      ['Electronics', '3199.96', '92.4'],
      ['Sports', '129.99', '3.8'],
      ['Books', '74.97', '2.2'],
      ['Home & Kitchen', '59.97', '1.7'],
    ],
  );
  const segments = await ws.query('tenant_a', 'select customer_segment, count(*)::int as n from dim_customers group by 1 order by 1');
  t.deepEqual(segments, [
    { customer_segment: 'New', n: 1 },
    { customer_segment: 'Premium', n: 4 },
  ]);

  const [tenantRow] = await ws.query('tenant_a', 'select distinct tenant_name, s3_location from stg_customers_tenant');
  t.deepEqual(tenantRow, { tenant_name: 'tenant_a', s3_location: 's3://tenant-a-data-lake/ecommerce-data/customers/' });
});

test.serial('a second run with nothing changed rebuilds nothing', async (t) => {
  const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json']);
  t.is(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.is(report.results.filter((x: any) => x.status === 'built').length, 0);
  t.true(report.results.filter((x: any) => x.status === 'skipped').length >= 16);
  // Passed tests on unchanged inputs are reused; a warning runs again.
  const tests = report.results.filter((x: any) => x.kind === 'test');
  t.true(
    tests.every((x: any) => ['reused', 'warn'].includes(x.status)),
    JSON.stringify(tests.map((x: any) => x.status)),
  );
});

test.serial('tenant_b has data of its own, in its own database', async (t) => {
  const r = await ws.task('tenant/src/tenant-run.ts', [], { TENANT_NAME: 'tenant_b' });
  t.is(r.code, 0, r.stderr);
  const [b] = await ws.query('tenant_b', 'select count(*)::int as customers, sum(lifetime_value)::text as sales from dim_customers');
  t.deepEqual(b, { customers: 4, sales: '2200.75' });
  const [tenantRow] = await ws.query('tenant_b', 'select distinct tenant_name, s3_location from stg_customers_tenant');
  t.deepEqual(tenantRow, { tenant_name: 'tenant_b', s3_location: 's3://tenant-b-data-lake/ecommerce-data/customers/' });
});

test.serial('a changed seed row rebuilds its downstream nodes and the snapshot closes the old version', async (t) => {
  const csv = ws
    .read('seeds/customers.csv')
    .replace(
      '2,Jane Smith,jane.smith@example.com,2,2024-01-02 10:00:00,2024-01-02 10:00:00',
      '2,Jane Smith-Lee,jane.smith@example.com,2,2024-01-02 10:00:00,2024-03-01 08:00:00',
    );
  ws.write('seeds/customers.csv', csv);
  const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json']);
  t.is(r.code, 0, r.stderr);
  const built = JSON.parse(r.stdout)
    .results.filter((x: any) => x.status === 'built')
    .map((x: any) => x.name)
    .sort();
  t.deepEqual(built, ['customers', 'customers_snapshot', 'dim_customers']);

  const history = await ws.query(
    'tenant_a',
    `select customer_name, dbt_valid_from::text, dbt_valid_to::text from snapshots.customers_snapshot
     where customer_id = 2 order by dbt_valid_from`,
  );
  t.deepEqual(history, [
    { customer_name: 'Jane Smith', dbt_valid_from: '2024-01-02 10:00:00', dbt_valid_to: '2024-03-01 08:00:00' },
    { customer_name: 'Jane Smith-Lee', dbt_valid_from: '2024-03-01 08:00:00', dbt_valid_to: null },
  ]);
  const [scd] = await ws.query('tenant_a', 'select count(distinct dbt_scd_id)::int as ids, count(*)::int as n from snapshots.customers_snapshot');
  t.deepEqual(scd, { ids: 6, n: 6 });
  // the staging view was kept (truncate + COPY), and it sees the new name
  const [v] = await ws.query('tenant_a', 'select customer_name from stg_customers where customer_id = 2');
  t.is(v.customer_name, 'Jane Smith-Lee');
});

test.serial('check-strategy snapshot records a price change once the seed is loaded', async (t) => {
  ws.write('seeds/products.csv', ws.read('seeds/products.csv').replace('5,Book,Books,24.99', '5,Book,Books,27.50'));
  // snapshot alone: the products table has not changed yet, so there is nothing to record
  const early = await ws.task('tenant/src/snapshot.ts', ['--tenant', 'tenant_a', '--json']);
  t.is(early.code, 0, early.stderr);
  t.is(JSON.parse(early.stdout).results.find((x: any) => x.name === 'products_snapshot').status, 'skipped');
  const seeded = await ws.task('tenant/src/seed.ts', ['--tenant', 'tenant_a']);
  t.is(seeded.code, 0, seeded.stderr);
  const r = await ws.task('tenant/src/snapshot.ts', ['--tenant', 'tenant_a', '--json']);
  t.is(r.code, 0, r.stderr);
  t.is(JSON.parse(r.stdout).results.find((x: any) => x.name === 'products_snapshot').status, 'built');
  const rows = await ws.query(
    'tenant_a',
    `select product_price::text, dbt_valid_to is null as current from snapshots.products_snapshot where product_id = 5 order by dbt_valid_from`,
  );
  t.deepEqual(rows, [
    { product_price: '24.99', current: false },
    { product_price: '27.50', current: true },
  ]);
});

test.serial('--select and --full-refresh pick what is rebuilt', async (t) => {
  const one = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a', '--select', 'stg_regions+', '--full-refresh', '--json']);
  t.is(one.code, 0, one.stderr);
  const names = JSON.parse(one.stdout)
    .results.filter((x: any) => x.kind === 'model')
    .map((x: any) => x.name)
    .sort();
  t.deepEqual(names, ['dim_customers', 'stg_regions']);
  const up = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a', '--select', '+fct_orders', '--json']);
  const upNames = JSON.parse(up.stdout)
    .results.filter((x: any) => x.kind === 'model')
    .map((x: any) => x.name)
    .sort();
  t.deepEqual(upNames, ['fct_orders', 'stg_orders']);
  // dbt's behaviour: a selector that matches nothing warns, and there is nothing to do.
  const none = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a', '--select', 'nope']);
  t.is(none.code, 0, none.stderr);
  t.regex(none.stderr, /warning: The selection criterion 'nope' does not match any node\./);
  const bad = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a', '--select', 'colour:red']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /\[UNKNOWN_SELECTOR\] --select colour:red: "colour:" is not a selection method here\.[\s\S]*Methods: name, fqn, tag, path/);
});

test.serial('db-connect runs psql on the tenant database; dev-shell sets TENANT_NAME and PG*', async (t) => {
  const q = await ws.task('tenant/src/db-connect.ts', ['--tenant', 'tenant_a', '--sql', 'select count(*) as customers from stg_customers_tenant']);
  t.is(q.code, 0, q.stderr);
  t.regex(q.stdout, /customers\s*\n-+\n\s+5\n\(1 row\)/);
  // Debian 12's psql 15 against PostgreSQL 18: \l fails, so db-connect says so (and is quiet with a new psql).
  const client = Number(/(\d+)/.exec(execFileSync('psql', ['--version'], { encoding: 'utf8' }))?.[1]);
  if (client < 18) t.regex(q.stderr, new RegExp(`warning: psql ${client} is older than the server \\(PostgreSQL 18\\).*\\\\l.*Install psql 18 or newer`));
  else t.notRegex(q.stderr, /older than the server/);
  const sh = await ws.task('tenant/src/dev-shell.ts', ['--tenant', 'tenant_b', '--run', 'echo "$TENANT_NAME"; psql -XAtc "select current_database()"']);
  t.is(sh.code, 0, sh.stderr);
  t.deepEqual(sh.stdout.trim().split('\n'), ['tenant_b', ws.databases.tenant_b]);
});
