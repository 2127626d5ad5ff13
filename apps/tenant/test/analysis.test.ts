import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { makeWorkspace, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
test.before(async () => {
  ws = await makeWorkspace();
  for (const tenant of ['tenant_a', 'tenant_b']) {
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', tenant]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
});
test.after.always(async () => ws?.cleanup());

const readJson = (tenant: string, name: string) => JSON.parse(ws.read(`dist/analysis/${tenant}/${name}.json`));
const rowsOf = (json: any, slug: string) => json.sections.find((s: any) => s.slug === slug).rows;

test.serial('dashboard and basic reproduce the published figures for tenant_a (from the JSON)', async (t) => {
  const r = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_a', '--name', 'dashboard', '--name', 'basic']);
  t.is(r.code, 0, r.stderr);
  const dashboard = readJson('tenant_a', 'dashboard');
  t.deepEqual(rowsOf(dashboard, 'kpis'), [{ total_customers: 5, total_orders: 5, total_sales: 3464.89, average_order_value: 692.98, active_customers: 5 }]);
  t.deepEqual(
    rowsOf(dashboard, 'product-ranking').map((p: any) => [p.rank, p.product_name, p.product_category, p.sales, p.orders]),
    [
      [1, 'Laptop', 'Electronics', 1999.98, 2],
      [2, 'Smartphone', 'Electronics', 1199.98, 2],
      [3, 'Running Shoes', 'Sports', 129.99, 1],
      [4, 'Book', 'Books', 74.97, 1],
      [5, 'Coffee Mug', 'Home & Kitchen', 59.97, 2],
    ],
  );
  t.deepEqual(
    rowsOf(dashboard, 'sales-by-category').map((c: any) => [c.category, c.sales, c.share_pct]),
    [
      ['Electronics', 3199.96, 92.4],
      ['Sports', 129.99, 3.8],
      ['Books', 74.97, 2.2],
      ['Home & Kitchen', 59.97, 1.7],
    ],
  );
  const basic = readJson('tenant_a', 'basic');
  t.deepEqual(
    rowsOf(basic, 'customer-segments').map((s: any) => [s.segment, s.customers]),
    [
      ['VIP', 0],
      ['Premium', 4],
      ['Regular', 0],
      ['New', 1],
    ],
  );
  t.deepEqual(rowsOf(basic, 'monthly-sales-trend'), [{ month: '2024-01', orders: 5, customers: 5, sales: 3464.89, average_order_value: 692.98 }]);
  t.is(rowsOf(basic, 'sales-per-customer').length, 5);

  // human output: one psql-style table per section, titled, numbers with separators
  t.regex(r.stdout, /^ +KPIs\n total_customers \| total_orders \| total_sales \| average_order_value \| active_customers \n-+\+/m);
  t.regex(r.stdout, /\|\s+3,464\.89 \|\s+692\.98 \|/);
  t.regex(r.stdout, /Electronics\s+\|\s+4 \| 3,199\.96 \|\s+92\.4\n/);
  t.is((r.stdout.match(/^\(\d+ rows?\)$/gm) ?? []).length, 8);
  // files: exact values in CSV, one per section
  t.is(
    ws.read('dist/analysis/tenant_a/dashboard.kpis.csv'),
    'total_customers,total_orders,total_sales,average_order_value,active_customers\n5,5,3464.89,692.98,5\n',
  );
  t.regex(
    ws.read('dist/analysis/tenant_a/dashboard.md'),
    /## Sales by category\n\n\| category \| orders \| sales \| share_pct \|\n\| --- \| ---: \| ---: \| ---: \|\n\| Electronics \| 4 \| 3199\.96 \| 92\.4 \|/,
  );
});

test.serial('tenant_b analyses read only tenant_b', async (t) => {
  const r = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_b', '--name', 'dashboard']);
  t.is(r.code, 0, r.stderr);
  const [kpi] = rowsOf(readJson('tenant_b', 'dashboard'), 'kpis');
  t.deepEqual(kpi, { total_customers: 4, total_orders: 7, total_sales: 2200.75, average_order_value: 314.39, active_customers: 4 });
});

test.serial('an analysis that returns no rows prints (0 rows) and still writes its files', async (t) => {
  ws.write('sql/analyses/empty.sql', "-- section: Nothing here\nselect customer_id, customer_name from {{ ref('dim_customers') }} where false\n");
  const r = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_a', '--name', 'empty']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /Nothing here\n customer_id \| customer_name \n-+\+-+\n\(0 rows\)/);
  t.is(ws.read('dist/analysis/tenant_a/empty.csv'), 'customer_id,customer_name\n');
  t.deepEqual(readJson('tenant_a', 'empty').sections[0].rows, []);
});

test.serial('unknown analysis: lists the available ones, writes nothing', async (t) => {
  const r = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_a', '--name', 'nope']);
  t.is(r.code, 1);
  t.regex(r.stderr, /\[UNKNOWN_ANALYSIS\] Unknown analysis "nope": there is no sql\/analyses\/nope\.sql\. Available: basic, dashboard, empty, products\./);
  t.false(readdirSync(join(ws.root, 'dist/analysis/tenant_a')).some((f) => f.startsWith('nope')));
});

test.serial('SQL error in an analysis: file:line:col with a caret; earlier results left as they were', async (t) => {
  const before = ws.read('dist/analysis/tenant_a/dashboard.json');
  ws.write(
    'sql/analyses/broken.sql',
    "-- section: Fine\nselect 1 as one;\n\n-- section: Broken\nselect customer_id,\n       lifetime_valu\nfrom {{ ref('dim_customers') }};\n",
  );
  const r = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_a', '--name', 'broken']);
  t.is(r.code, 1);
  t.regex(r.stderr, /\[SQL_ERROR\] sql\/analyses\/broken\.sql:6:8: ERROR: +column "lifetime_valu" does not exist\n +6 \|\s+lifetime_valu\n +\| +\^/);
  t.false(existsSync(join(ws.root, 'dist/analysis/tenant_a/broken.json')));
  t.is(ws.read('dist/analysis/tenant_a/dashboard.json'), before);
});

test('analysis on an unreachable database says so and suggests make up', async (t) => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  const r = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_a', '--name', 'basic'], {
    PG_MODE: 'external',
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
  });
  t.is(r.code, 1);
  t.regex(r.stderr, /\[DB_UNREACHABLE\][\s\S]*make up/);
});

test.serial('an analysis cannot write: a commit section is refused with its line, a writing CTE fails read-only; no row lost', async (t) => {
  const count = async () => (await ws.query('tenant_a', 'select count(*)::int as n from customers'))[0].n;
  const before = await count();
  ws.write('sql/analyses/evil.sql', '-- section: one\nselect 1 as one;\ncommit;\ndelete from customers;\n');
  try {
    const r = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_a', '--name', 'evil']);
    t.is(r.code, 1);
    t.regex(r.stderr, /\[ANALYSIS_NOT_A_QUERY\] sql\/analyses\/evil\.sql:3: "commit …" is not a query/);
    t.notRegex(r.stdout, /one/, 'not even the first section ran');
    ws.write('sql/analyses/evil.sql', '-- section: sneaky\nwith gone as (delete from customers returning *) select count(*) from gone;\n');
    const cte = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_a', '--name', 'evil']);
    t.is(cte.code, 1);
    t.regex(cte.stderr, /\[SQL_ERROR\] sql\/analyses\/evil\.sql:2: ERROR: +cannot execute \w+ in a read-only transaction/);
    t.is(await count(), before);
  } finally {
    rmSync(join(ws.root, 'sql/analyses/evil.sql'), { force: true });
  }
});
