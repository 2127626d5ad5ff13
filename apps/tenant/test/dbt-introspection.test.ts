/**
 * Templates that read the database while they render (lookups): dbt_utils.star, union_relations and
 * get_column_values, and a project macro using adapter.get_columns_in_relation, run_query and execute,
 * on the scratch project of fixtures/dbt-introspection laid over the sample — built first on an empty
 * database, then warm, then with a parent whose columns change in the same run, then with a lookup that fails.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { makeWorkspace, type TaskResult, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
type Result = { name: string; kind: string; status: string; rows?: number; detail?: string };

const task = (script: string, args: string[] = []) => ws.task(`tenant/src/${script}.ts`, ['--tenant', 'tenant_a', ...args]);
const report = (r: TaskResult) => {
  if (!r.stdout.trim().startsWith('{')) throw new Error(`no JSON report (exit ${r.code}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; results: Result[] };
};
const build = async (args: string[] = []) => report(await task('tenant-run', ['--json', ...args]));
const statusOf = (results: Result[], name: string) => results.find((r) => r.name === name)?.status;
const columnsOf = async (relation: string) =>
  (
    await ws.query('tenant_a', `select attname from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`, [relation])
  ).map((r) => r.attname as string);

let first: { ok: boolean; results: Result[] };

test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  const fixture = join(import.meta.dirname, 'fixtures', 'dbt-introspection');
  cpSync(join(fixture, 'sql'), join(ws.root, 'sql'), { recursive: true });
  cpSync(join(fixture, 'seeds'), join(ws.root, 'seeds'), { recursive: true });
  // The first build, on an empty database: nothing a template reads is there while the project loads.
  first = await build();
});
test.after.always(async () => ws?.cleanup());

test.serial('the first build on an empty database renders each reading template when it runs, after its parents', async (t) => {
  t.true(first.ok, JSON.stringify(first.results.filter((r) => r.detail)));
  for (const name of ['orders_star', 'orders_star_view', 'regions_copy', 'all_stores', 'category_pivot', 'introspected', 'orders_incremental'])
    t.is(statusOf(first.results, name), 'built', name);
  t.is(statusOf(first.results, 'region_columns'), 'ephemeral');
  t.is(statusOf(first.results, 'assert_union_keeps_every_store'), 'pass');
});

test.serial('star() lists the columns in order, quoted, one per line; except is case-insensitive; alias and prefix', async (t) => {
  t.deepEqual(await columnsOf('public.orders_star'), ['order_line_id', 'order_id', 'customer_id', 'product_id', 'order_date', 'line_amount']);
  t.deepEqual(await columnsOf('public.orders_star_view'), [
    'o_order_line_id',
    'o_order_id',
    'o_customer_id',
    'o_product_id',
    'o_order_date',
    'o_quantity',
    'o_line_amount',
  ]);
  t.deepEqual(await columnsOf('public.regions_copy'), ['region_id', 'region_name', 'country']);
  const [counts] = await ws.query('tenant_a', 'select (select count(*) from orders_star)::int as n, (select count(*) from stg_orders)::int as expected');
  t.is(counts.n, counts.expected);
  const compiled = await task('compile', ['--select', 'orders_star', '--print']);
  t.is(compiled.code, 0, compiled.stderr);
  t.regex(
    compiled.stdout,
    /select\n {2}"order_line_id",\n {2}"order_id",\n {2}"customer_id",\n {2}"product_id",\n {2}"order_date",\n {2}"line_amount"\nfrom "public"\."stg_orders"/,
  );
  t.regex(
    ws.read('dist/compiled/tenant_a/sql/models/introspection/orders_star_view.sql'),
    /\nselect o\."order_line_id" as "o_order_line_id",\n {2}o\."order_id" as "o_order_id",/,
  );
});

test.serial('union_relations: the union of the columns, null where a seed lacks one, and the relation each row came from', async (t) => {
  t.deepEqual(await columnsOf('public.all_stores'), ['_dbt_source_relation', 'store_id', 'store_name', 'opened_on', 'manager', 'region_id']);
  const rows = await ws.query(
    'tenant_a',
    'select _dbt_source_relation as source, store_id, store_name, opened_on::text, manager, region_id from all_stores order by store_id',
  );
  t.deepEqual(rows, [
    { source: '"public"."stores_east"', store_id: 1, store_name: 'Ueno', opened_on: '2023-04-01', manager: null, region_id: null },
    { source: '"public"."stores_east"', store_id: 2, store_name: 'Akihabara', opened_on: '2023-09-15', manager: null, region_id: null },
    { source: '"public"."stores_west"', store_id: 10, store_name: 'Umeda', opened_on: null, manager: 'Sato', region_id: 2 },
    { source: '"public"."stores_west"', store_id: 11, store_name: 'Namba', opened_on: null, manager: 'Tanaka', region_id: 2 },
    { source: '"public"."stores_west"', store_id: 12, store_name: 'Sannomiya', opened_on: null, manager: 'Ito', region_id: 2 },
  ]);
});

test.serial('get_column_values feeds pivot: a column per distinct value, in order_by order', async (t) => {
  const categories = (await ws.query('tenant_a', 'select distinct product_category as c from stg_products order by 1')).map((r) => r.c as string);
  t.true(categories.length > 1);
  t.deepEqual(await columnsOf('public.category_pivot'), ['customer_id', ...categories]);
  const [pivot] = await ws.query('tenant_a', `select sum(${categories.map((c) => `"${c}"`).join(' + ')})::numeric as total from category_pivot`);
  const [lines] = await ws.query('tenant_a', 'select sum(line_amount)::numeric as total from stg_orders');
  t.is(pivot.total, lines.total);
});

test.serial('a project macro with adapter.get_columns_in_relation, run_query and execute; run_query in an incremental model', async (t) => {
  const [row] = await ws.query('tenant_a', 'select * from introspected');
  const [max] = await ws.query('tenant_a', 'select max(order_id)::int as id from stg_orders');
  t.deepEqual(row, { region_columns: 'region_id:integer,region_name:text,country:text', max_order_id: max.id, executed: true });
  const [counts] = await ws.query('tenant_a', 'select (select count(*) from orders_incremental)::int as n, (select count(*) from stg_orders)::int as expected');
  t.is(counts.n, counts.expected);
});

test.serial('a warm run skips every node and reuses every test: the renders, and their checksums, are the same', async (t) => {
  const warm = await build();
  t.true(warm.ok);
  const changed = warm.results.filter((r) => !['skipped', 'ephemeral', 'reused'].includes(r.status) && r.kind !== 'hook');
  t.deepEqual(
    changed.map((r) => `${r.name}:${r.status}`),
    [],
  );
});

test.serial('a parent that gains a column in the same run: the tables, the view and the incremental model reading it with star() get it', async (t) => {
  await ws.edit(
    'sql/models/staging/stg_orders.sql',
    (sql) => sql.replace('total_amount as line_amount', 'total_amount as line_amount,\n        quantity * 2 as double_quantity'),
    async () => {
      const r = await build(['--select', 'stg_orders+']);
      t.true(r.ok, JSON.stringify(r.results.filter((x) => x.detail)));
      // stg_orders is a view replaced in place (a column added at the end): the view on it is still
      // there, and only its render, done again once stg_orders was built, shows what changed.
      for (const name of ['stg_orders', 'orders_star', 'orders_star_view', 'orders_incremental']) t.is(statusOf(r.results, name), 'built', name);
      t.is((await columnsOf('public.orders_star')).at(-1), 'double_quantity');
      t.is((await columnsOf('public.orders_star_view')).at(-1), 'o_double_quantity');
      t.is((await columnsOf('public.orders_incremental')).at(-1), 'double_quantity');
      const warm = await build(['--select', 'stg_orders+']);
      t.deepEqual(
        warm.results.filter((x) => x.status === 'built').map((x) => x.name),
        [],
        'the next run renders the same SQL and skips them',
      );
    },
  );
  const back = await build(['--select', 'stg_orders+']);
  t.true(back.ok);
  t.false((await columnsOf('public.orders_star')).includes('double_quantity'));
});

test.serial('a lookup that fails is the error of its node, at the template line of the call; the previous relation stays', async (t) => {
  const before = await ws.query('tenant_a', 'select * from category_pivot order by customer_id');
  const r = await ws.edit(
    'sql/models/introspection/category_pivot.sql',
    (sql) => sql.replace("'product_category', order_by", "'product_kind', order_by"),
    () => build(),
  );
  t.false(r.ok);
  const failed = r.results.find((x) => x.name === 'category_pivot');
  t.is(failed?.status, 'error');
  t.regex(
    failed?.detail ?? '',
    /\[LOOKUP_FAILED\] sql\/models\/introspection\/category_pivot\.sql:2 \(dbt_utils\.get_column_values\): its query failed: column "product_kind" does not exist\./,
  );
  t.regex(failed?.detail ?? '', /select product_kind as value from "public"\."stg_products" group by product_kind order by product_category, 1/);
  t.is(statusOf(r.results, 'orders_star'), 'skipped', 'the other nodes are not held up');
  t.deepEqual(await ws.query('tenant_a', 'select * from category_pivot order by customer_id'), before);

  const shown = await ws.edit(
    'sql/models/introspection/category_pivot.sql',
    (sql) => sql.replace("'product_category', order_by", "'product_kind', order_by"),
    () => task('compile', ['--select', 'category_pivot']),
  );
  t.is(shown.code, 1);
  t.regex(shown.stderr, /\[LOOKUP_FAILED\] sql\/models\/introspection\/category_pivot\.sql:2 \(dbt_utils\.get_column_values\): its query failed/);
});

test.serial('a relation that is still not there when the node runs is MISSING_RELATION at the line of the call', async (t) => {
  const r = await ws.edit(
    'sql/models/introspection/orders_star.sql',
    (sql) => sql.replace("from=ref('stg_orders')", "from=api.Relation.create(schema='public', identifier='no_such_table')"),
    () => build(['--select', 'orders_star']),
  );
  t.false(r.ok);
  const failed = r.results.find((x) => x.name === 'orders_star');
  t.is(failed?.status, 'error');
  t.regex(
    failed?.detail ?? '',
    /\[MISSING_RELATION\] sql\/models\/introspection\/orders_star\.sql:4 \(dbt_utils\.star\): it reads "public"\."no_such_table", which is not in \w+\./,
  );
  t.deepEqual(await columnsOf('public.orders_star'), ['order_line_id', 'order_id', 'customer_id', 'product_id', 'order_date', 'line_amount']);
});

test.serial('show and compile answer lookups as the reader role; a lookup in a hook is refused', async (t) => {
  const shown = await task('show', [
    '--inline',
    "select {{ dbt_utils.star(ref('stores_west'), except=['manager']) }} from {{ ref('stores_west') }} order by 1",
  ]);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, /^ store_id \| store_name \| region_id *\n/m);
  const hooked = await ws.edit(
    'sql/models/introspection/regions_copy.sql',
    (sql) => sql.replace("materialized='table'", `materialized='table', post_hook="select {{ dbt_utils.star(ref('stg_regions')) }}"`),
    () => build(['--select', 'regions_copy', '--full-refresh']),
  );
  const failed = hooked.results.find((x) => x.name === 'regions_copy');
  t.is(failed?.status, 'error');
  t.regex(failed?.detail ?? '', /a hook cannot read the database while it renders/);
});
