/**
 * The data lake as external tables, end to end on the shared test server: sql/sources → the local lake
 * (written from the seeds) → file_fdw foreign tables behind a view per table → a model and a test on it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { makeWorkspace, queryOn, type TestWorkspace } from './support/workspace.ts';

const ORDERS = 'data-lake/tenant-a-data-lake/ecommerce-data/orders';
let ws: TestWorkspace;
test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a', 'tenant_b'] });
});
test.after.always(() => ws?.cleanup());

const run = (tenant: string, ...args: string[]) => ws.task('tenant/src/tenant-run.ts', ['--tenant', tenant, ...args]);
const external = (tenant: string, ...args: string[]) => ws.task('tenant/src/external-tables.ts', ['--tenant', tenant, ...args]);
const explain = async (tenant: string, sql: string) =>
  (await ws.query<{ 'QUERY PLAN': string }>(tenant, `explain ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
/** A file of the lake, written as it would be in S3. */
const put = (path: string, text: string) => (mkdirSync(join(ws.root, path, '..'), { recursive: true }), writeFileSync(join(ws.root, path), text));

test.serial('a fresh tenant: its lake is written from the seeds, the external tables read it, a model and a test on them pass', async (t) => {
  const r = await run('tenant_a');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /lake\.orders: 8 rows from seeds\/orders\.csv in 5 partitions → data-lake\/tenant-a-data-lake\/ecommerce-data\/orders/);
  t.regex(r.stderr, /lake lake\.orders: created — 5 partitions, 5 files/);
  t.regex(r.stdout, /model stg_lake_orders\s+built/);
  t.deepEqual(readdirSync(join(ws.root, ORDERS)), [
    '_from_seed.json',
    'order_date=2024-01-10',
    'order_date=2024-01-11',
    'order_date=2024-01-12',
    'order_date=2024-01-15',
    'order_date=2024-01-16',
  ]);
  // The partition value lives in the folder name only, as in S3.
  t.is(
    readFileSync(join(ws.root, ORDERS, 'order_date=2024-01-11/part-00000.csv'), 'utf8'),
    'order_line_id,order_id,customer_id,product_id,quantity,total_amount\n2,1002,2,2,1,599.99\n3,1002,2,4,1,129.99\n',
  );
  const locations = JSON.parse(ws.read('dist/external/tenant_a/locations.json'));
  t.like(locations.tables[0], { source: 'lake', table: 'orders', location: 's3://tenant-a-data-lake/ecommerce-data/orders/', local: ORDERS });
  t.deepEqual(locations.tables[0].partitions[0], {
    values: { order_date: '2024-01-10' },
    location: 's3://tenant-a-data-lake/ecommerce-data/orders/order_date=2024-01-10/',
    files: ['part-00000.csv'],
  });
  // The reader role (analyses) reads the external table; the files behind it stay the admin's.
  const reader = ws.configAs('tenant_a', 'reader');
  t.deepEqual(await queryOn(reader, 'select count(*)::int as n, sum(total_amount)::text as total from lake.orders'), [{ n: 8, total: '3464.89' }]);
  const direct = await queryOn(ws.configAs('tenant_a', 'owner'), 'select * from lake_files.' + (await fileTables('tenant_a'))[0]).catch((e) => e.message);
  t.regex(direct, /permission denied for schema lake_files/);

  const again = await run('tenant_a');
  t.regex(again.stderr, /lake lake\.orders: unchanged — 5 partitions, 5 files/);
  t.regex(again.stdout, /tenant_a: OK — 18 skipped, 1 ephemeral, 36 reused/);
});

test.serial('a table written from a seed follows it: an edited seed rewrites that table on the next run, and the test still passes', async (t) => {
  await ws.edit(
    'seeds/orders.csv',
    (csv) => csv.replace('8,1005,5,3,2024-01-16,2,39.98', '8,1005,5,3,2024-01-17,3,59.97'),
    async () => {
      const r = await run('tenant_a');
      t.is(r.code, 0, r.stderr);
      t.regex(r.stderr, /lake\.orders: 8 rows from seeds\/orders\.csv in 5 partitions/);
      t.notRegex(r.stderr, /lake\.customers: \d+ rows/, 'only the table whose seed changed');
      t.regex(r.stderr, /lake lake\.orders: refreshed \(\+1 −1 files\)/);
      t.deepEqual(await ws.query('tenant_a', "select quantity from lake.orders where order_date = '2024-01-17'"), [{ quantity: 3 }]);
    },
  );
  const back = await run('tenant_a');
  t.is(back.code, 0, back.stderr);
  t.regex(back.stderr, /lake lake\.orders: refreshed \(\+1 −1 files\)/);
});

test.serial('a filter on the partition key reads one partition: the other files are never opened', async (t) => {
  const one = await explain('tenant_a', "select * from lake.orders where order_date = '2024-01-12'");
  t.is(one.match(/Foreign Scan/g)?.length, 1, one);
  t.regex(one, /Foreign File: .*order_date=2024-01-12\/part-00000\.csv/);
  const all = await explain('tenant_a', 'select * from lake.orders');
  t.is(all.match(/Foreign Scan/g)?.length, 5, all);
  const range = await explain('tenant_a', "select * from lake.orders where order_date between '2024-01-11' and '2024-01-12'");
  t.is(range.match(/Foreign Scan/g)?.length, 2, range);
  // A full scan opens every file at once; the embedded server allows a third of this (~2,700 files).
  t.deepEqual(await ws.query('tenant_a', 'show max_files_per_process'), [{ max_files_per_process: '8192' }]);
});

test.serial('a new partition folder is attached on the next run and a vanished one detached; --full-refresh rebuilds', async (t) => {
  const fingerprint = async () => (await ws.task('tenant/src/fingerprint.ts', ['--tenant', 'tenant_a'])).stdout;
  const before = await fingerprint();
  put(`${ORDERS}/order_date=2024-02-01/part-00000.csv`, 'order_line_id,order_id,customer_id,product_id,quantity,total_amount\n9,1006,1,2,1,599.99\n');
  try {
    const added = await external('tenant_a');
    t.not(await fingerprint(), before, 'the database fingerprint moves with the lake (the next build writes it for the analyses)');
    t.is(added.code, 0, added.stderr);
    t.regex(added.stderr, /lake lake\.orders: refreshed \(\+1 −0 files\) — 6 partitions, 6 files/);
    t.deepEqual(await ws.query('tenant_a', "select order_line_id from lake.orders where order_date = '2024-02-01'"), [{ order_line_id: 9 }]);
    // The sample's test sees the lake no longer matches the seed, naming the row.
    const r = await run('tenant_a');
    t.is(r.code, 1);
    t.regex(r.stderr, /assert_lake_orders_match_seed\.sql: 1 failing row/);
  } finally {
    rmSync(join(ws.root, ORDERS, 'order_date=2024-02-01'), { recursive: true });
  }
  const removed = await external('tenant_a');
  t.regex(removed.stderr, /lake lake\.orders: refreshed \(\+0 −1 files\) — 5 partitions, 5 files/);
  t.is((await fileTables('tenant_a')).filter((n) => n.startsWith('orders__')).length, 5, 'the foreign table of the vanished file is gone');
  const full = await external('tenant_a', '--full-refresh');
  t.regex(full.stderr, /lake lake\.orders: rebuilt — 5 partitions, 5 files/);
  // The view on it went with the rebuild; the next run puts it back.
  const r = await run('tenant_a');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /model stg_lake_orders\s+built/);
});

test.serial('a changed definition rebuilds that table only', async (t) => {
  await ws.edit(
    'sql/sources/lake.yml',
    (y) => y.replace('{ name: quantity, data_type: integer }', '{ name: quantity, data_type: bigint }'),
    async () => {
      const r = await run('tenant_a');
      t.is(r.code, 0, r.stderr);
      t.regex(r.stderr, /lake lake\.orders: rebuilt/);
      t.regex(r.stderr, /lake lake\.customers: unchanged/);
      const [col] = await ws.query(
        'tenant_a',
        "select data_type from information_schema.columns where table_schema = 'lake' and table_name = 'orders' and column_name = 'quantity'",
      );
      t.is(col.data_type, 'bigint');
    },
  );
  t.is((await run('tenant_a')).code, 0);
});

test.serial("tenant isolation: tenant_a's tables point into its own bucket only; a file dropped into tenant_b's lake never reaches tenant_a", async (t) => {
  t.is((await run('tenant_b')).code, 0);
  put(
    'data-lake/tenant-b-data-lake/ecommerce-data/orders/order_date=2030-01-01/part-00000.csv',
    'order_line_id,order_id,customer_id,product_id,quantity,total_amount\n99,9999,1,1,1,1.00\n',
  );
  t.is((await external('tenant_b')).code, 0);
  t.is((await external('tenant_a')).code, 0);
  t.deepEqual(await ws.query('tenant_b', "select count(*)::int as n from lake.orders where order_date = '2030-01-01'"), [{ n: 1 }]);
  t.deepEqual(await ws.query('tenant_a', "select count(*)::int as n from lake.orders where order_date = '2030-01-01'"), [{ n: 0 }]);
  const files = await ws.query<{ filename: string }>(
    'tenant_a',
    `select (select option_value from pg_options_to_table(ft.ftoptions) where option_name = 'filename') as filename from pg_foreign_table ft`,
  );
  t.true(files.length >= 8);
  for (const { filename } of files) t.true(filename.startsWith(join(ws.root, 'data-lake', 'tenant-a-data-lake') + '/'), filename);
});

test.serial('bad input: a file with a column too many names the file and line; a missing table folder fails only the models reading it', async (t) => {
  const file = `${ORDERS}/order_date=2024-01-10/part-00000.csv`;
  const before = ws.read(file);
  writeFileSync(join(ws.root, file), `${before}10,1007,1,1,1,5.00,surplus\n`);
  try {
    const r = await run('tenant_a');
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      /\[LAKE_FILE_ERROR\] data-lake\/tenant-a-data-lake\/ecommerce-data\/orders\/order_date=2024-01-10\/part-00000\.csv:3: extra data after last expected column/,
    );
  } finally {
    writeFileSync(join(ws.root, file), before);
  }
  const customers = join(ws.root, 'data-lake/tenant-a-data-lake/ecommerce-data/customers');
  const saved = `${customers}.saved`;
  rmSync(saved, { recursive: true, force: true });
  // Moved away, as if never written; the bucket folder is still there, so nothing is rewritten.
  writeFileSync(join(ws.root, 'sql/models/staging/stg_lake_customers.sql'), "select * from {{ source('lake', 'customers') }}\n");
  renameSync(customers, saved);
  try {
    const r = await run('tenant_a');
    t.is(r.code, 1);
    t.regex(r.stderr, /\[LAKE_MISSING\] data-lake\/tenant-a-data-lake\/ecommerce-data\/customers does not exist: no files for source\('lake', 'customers'\)/);
    t.regex(r.stderr, /make data-lake/);
    t.regex(r.stdout, /model stg_lake_customers\s+error/);
    t.regex(r.stdout, /model dim_customers\s+(built|skipped)/, 'models that do not read the lake still build');
    t.false(existsSync(customers), 'nothing was written behind the user’s back');
  } finally {
    renameSync(saved, customers);
    rmSync(join(ws.root, 'sql/models/staging/stg_lake_customers.sql'));
  }
  t.is((await run('tenant_a')).code, 0);
});

test.serial('cloud DDL: files byte-identical on every run; an unknown dialect lists the known ones; --dry-run changes nothing', async (t) => {
  const first = await external('tenant_a', '--dialect=athena');
  t.is(first.code, 0, first.stderr);
  const dir = join(ws.root, 'dist/external/tenant_a/athena');
  const files = readdirSync(dir).sort();
  t.deepEqual(files, ['lake.customers.sql', 'lake.orders.sql', 'lake.products.sql', 'lake.regions.sql']);
  const before = files.map((f) => readFileSync(join(dir, f), 'utf8'));
  t.regex(before[1], /CREATE EXTERNAL TABLE IF NOT EXISTS `tenant_a_lake`\.`orders`/);
  t.regex(before[1], /PARTITION \(`order_date` = '2024-01-10'\) LOCATION 's3:\/\/tenant-a-data-lake\/ecommerce-data\/orders\/order_date=2024-01-10\/'/);
  t.is((await external('tenant_a', '--dialect=athena')).code, 0);
  t.deepEqual(
    files.map((f) => readFileSync(join(dir, f), 'utf8')),
    before,
  );
  for (const dialect of ['glue', 'redshift', 'aurora']) t.is((await external('tenant_a', `--dialect=${dialect}`)).code, 0, dialect);

  const bad = await external('tenant_a', '--dialect=bigquery');
  t.is(bad.code, 1);
  t.regex(bad.stderr, /\[UNKNOWN_DIALECT\] Unknown dialect "bigquery": known dialects are athena, glue, redshift, aurora/);

  // tenant_c has never run: a dry run prints what would be made and makes nothing.
  const c = await makeWorkspace({ tenants: ['tenant_c'] });
  try {
    const lake = await c.task('platform/src/data-lake.ts', ['--tenant', 'tenant_c']);
    t.is(lake.code, 0, lake.stderr);
    const dry = await c.task('tenant/src/external-tables.ts', ['--tenant', 'tenant_c', '--dry-run']);
    t.is(dry.code, 0, dry.stderr);
    t.regex(dry.stdout, /create foreign table "lake_files"\."orders__[0-9a-f]{12}"/);
    t.regex(dry.stdout, /create or replace view "lake"\."orders" as/);
    t.false(existsSync(join(c.root, 'dist/external/tenant_c/locations.json')));
    t.deepEqual(await queryOn('postgres', 'select count(*)::int as n from pg_database where datname = $1', [c.databases.tenant_c]), [{ n: 0 }]);
  } finally {
    await c.cleanup();
  }
});

test.serial('JSON lines with value-only partition folders: each line a row, missing keys are null', async (t) => {
  ws.write(
    'sql/sources/events.yml',
    `sources:
  - name: events
    tables:
      - name: clicks
        external:
          location: "s3://{{ tenant.dataLake.bucket }}/events/clicks/"
          file_format: jsonl
          partitions: [{ name: year, data_type: integer, path_macro: dbt_external_tables.value_only }]
        columns: [{ name: id, data_type: integer }, { name: page, data_type: text }, { name: at, data_type: timestamp }]
`,
  );
  put('data-lake/tenant-a-data-lake/events/clicks/2023/part-0.jsonl', '{"id": 1, "page": "/a", "at": "2023-05-01 10:00:00"}\n');
  put('data-lake/tenant-a-data-lake/events/clicks/2024/part-0.jsonl', '{"id": 2, "page": "/b;\\"quoted\\"", "at": "2024-01-02 03:04:05"}\n{"id": 3}\n');
  try {
    const r = await external('tenant_a');
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /lake events\.clicks: created — 2 partitions, 2 files/);
    t.deepEqual(await ws.query('tenant_a', 'select year, id, page, at::text from events.clicks order by id'), [
      { year: 2023, id: 1, page: '/a', at: '2023-05-01 10:00:00' },
      { year: 2024, id: 2, page: '/b;"quoted"', at: '2024-01-02 03:04:05' },
      { year: 2024, id: 3, page: null, at: null },
    ]);
    const one = await explain('tenant_a', 'select * from events.clicks where year = 2024');
    t.is(one.match(/Foreign Scan/g)?.length, 1, one);
  } finally {
    rmSync(join(ws.root, 'sql/sources/events.yml'));
  }
  const removed = await external('tenant_a');
  t.regex(removed.stderr, /lake events\.clicks: dropped \(no longer defined in sql\/sources\)/);
  t.deepEqual(await ws.query('tenant_a', "select count(*)::int as n from pg_class where relnamespace = 'events_files'::regnamespace"), [{ n: 0 }]);
});

async function fileTables(tenant: string): Promise<string[]> {
  const rows = await ws.query<{ relname: string }>(
    tenant,
    "select relname from pg_class where relnamespace = 'lake_files'::regnamespace and relkind = 'f' order by 1",
  );
  return rows.map((r) => r.relname);
}
