import { rmSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { makeWorkspace, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
const run = async (args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
  const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json', ...args], env);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).results as Array<{ name: string; status: string; rows?: number }>;
};
const statusOf = (results: Array<{ name: string; status: string; rows?: number }>, name: string) => results.find((r) => r.name === name);

test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  ws.write(
    'sql/models/marts/inc_orders.sql',
    `{{ config(materialized='incremental', unique_key='order_id') }}
select order_id, order_total, {{ env_var('BATCH_LABEL', 'first') | literal }} as batch
from {{ ref('fct_orders') }}
{% if is_incremental() %}
where order_id >= (select max(order_id) from {{ this }})
{% endif %}
`,
  );
  ws.write('sql/models/staging/stg_region_names.sql', "select region_id, region_name from {{ ref('stg_regions') }}\n");
  ws.write('sql/models/staging/stg_region_labels.sql', "select region_id, upper(region_name) as label from {{ ref('stg_region_names') }}\n");
  ws.write(
    'sql/models/marts/tenant_vars.sql',
    "select {{ var('segment_vip') }} as vip, {{ var('missing_var', 42) }} as fallback, {{ tenant.aurora_schema | literal }} as aurora_schema\n",
  );
  await run();
});
test.after.always(async () => ws?.cleanup());

test.serial('incremental: delete+insert on unique_key for the new slice, full rebuild on --full-refresh', async (t) => {
  t.deepEqual(await ws.query('tenant_a', 'select count(*)::int as n, min(batch) as batch from inc_orders'), [{ n: 5, batch: 'first' }]);
  // change what the model would produce, then make it run again because its upstream changed
  ws.write('seeds/orders.csv', ws.read('seeds/orders.csv') + '9,1006,5,5,2024-01-20,1,24.99\n');
  const results = await run([], { BATCH_LABEL: 'second' });
  t.is(statusOf(results, 'inc_orders')?.status, 'built');
  // only order_id >= the previous max (1005) was replaced or added
  const rows = await ws.query('tenant_a', 'select order_id, batch from inc_orders order by order_id');
  t.deepEqual(
    rows.map((r) => `${r.order_id}:${r.batch}`),
    ['1001:first', '1002:first', '1003:first', '1004:first', '1005:second', '1006:second'],
  );
  await run(['--full-refresh'], { BATCH_LABEL: 'third' });
  const after = await ws.query('tenant_a', 'select count(*)::int as n, min(batch) as lo, max(batch) as hi from inc_orders');
  t.deepEqual(after, [{ n: 6, lo: 'third', hi: 'third' }]);
});

test.serial('incremental, a new column: on_schema_change fail (default) stops with a hint and changes nothing; append_new_columns adds it', async (t) => {
  const model = ws.read('sql/models/marts/inc_orders.sql');
  const before = await ws.query('tenant_a', 'select count(*)::int as n from inc_orders');
  try {
    ws.write('sql/models/marts/inc_orders.sql', model.replace('as batch', "as batch, 'x' as note"));
    const r = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a']);
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      /\[SCHEMA_CHANGED\] sql\/models\/marts\/inc_orders\.sql: the columns of the incremental model changed since its table was built \(new note\); on_schema_change is "fail"/,
    );
    t.regex(r.stderr, /--select inc_orders --full-refresh/);
    t.notRegex(r.stderr, /unexpected error/);
    t.deepEqual(await ws.query('tenant_a', 'select count(*)::int as n from inc_orders'), before);
    ws.write(
      'sql/models/marts/inc_orders.sql',
      model.replace("unique_key='order_id'", "unique_key='order_id', on_schema_change='append_new_columns'").replace('as batch', "as batch, 'x' as note"),
    );
    const results = await run();
    t.is(statusOf(results, 'inc_orders')?.status, 'built');
    const rows = await ws.query('tenant_a', 'select count(*)::int as n, count(note)::int as noted from inc_orders');
    t.deepEqual(rows, [{ n: before[0].n, noted: 1 }], 'the column exists; only the new slice has values');
  } finally {
    ws.write('sql/models/marts/inc_orders.sql', model);
    await run(['--full-refresh']);
  }
});

test.serial('a view whose columns change is swapped in and the views on it are rebuilt in the same run', async (t) => {
  ws.write('sql/models/staging/stg_region_names.sql', "select region_id, country, region_name from {{ ref('stg_regions') }}\n");
  const results = await run();
  t.is(statusOf(results, 'stg_region_names')?.status, 'built');
  t.is(statusOf(results, 'stg_region_labels')?.status, 'built', 'dropped by the cascade, so rebuilt');
  t.deepEqual(await ws.query('tenant_a', 'select label from stg_region_labels where region_id = 1'), [{ label: 'KANTO' }]);
  t.deepEqual(await ws.query('tenant_a', 'select country from stg_region_names where region_id = 1'), [{ country: 'Japan' }]);
});

test.serial('a seed whose columns change is swapped in; its dropped views come back', async (t) => {
  ws.write(
    'seeds/regions.csv',
    'region_id,region_name,country,continent\n1,Kanto,Japan,Asia\n2,Kansai,Japan,Asia\n3,California,United States,America\n4,Bavaria,Germany,Europe\n',
  );
  const results = await run();
  for (const name of ['regions', 'stg_regions', 'stg_region_names', 'stg_region_labels', 'dim_customers']) t.is(statusOf(results, name)?.status, 'built', name);
  t.deepEqual(await ws.query('tenant_a', 'select count(*)::int as n from stg_region_labels'), [{ n: 4 }]);
  t.deepEqual(await ws.query('tenant_a', "select data_type from information_schema.columns where table_name = 'regions' and column_name = 'continent'"), [
    { data_type: 'text' },
  ]);
});

test.serial('var() reads sql/dbt_project.yml, tenant.json vars override it, defaults apply', async (t) => {
  t.deepEqual(await ws.query('tenant_a', 'select * from tenant_vars'), [{ vip: 1000, fallback: 42, aurora_schema: 'tenant_a' }]);
  const config = JSON.parse(ws.read('tenants/tenant_a/tenant.json'));
  ws.write('tenants/tenant_a/tenant.json', JSON.stringify({ ...config, vars: { segment_vip: 700 } }));
  const results = await run();
  t.is(statusOf(results, 'tenant_vars')?.status, 'built');
  t.is(statusOf(results, 'dim_customers')?.status, 'built', 'the segment thresholds changed');
  t.deepEqual(await ws.query('tenant_a', 'select vip from tenant_vars'), [{ vip: 700 }]);
  t.deepEqual(await ws.query('tenant_a', "select count(*)::int as n from dim_customers where customer_segment = 'VIP'"), [{ n: 3 }]);
});

test.serial('a Jinja syntax error names the file, line and column; nothing is touched', async (t) => {
  ws.write('sql/models/marts/tenant_vars.sql', "select 1 as x\nfrom {{ ref('stg_regions' }}\n");
  const r = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a']);
  t.is(r.code, 1);
  t.regex(r.stderr, /\[TEMPLATE_ERROR\] sql\/models\/marts\/tenant_vars\.sql:2:\d+: Jinja error: /);
  t.deepEqual(await ws.query('tenant_a', 'select vip from tenant_vars'), [{ vip: 700 }]);
});

test.serial('source() resolves a relation declared in YAML and it is queryable through a model', async (t) => {
  ws.write(
    'sql/models/staging/_sources.yml',
    'sources:\n  - name: raw\n    schema: public\n    tables:\n      - name: region_table\n        identifier: regions\n',
  );
  ws.write('sql/models/staging/stg_region_source.sql', "select count(*) as n from {{ source('raw', 'region_table') }}\n");
  ws.write('sql/models/marts/tenant_vars.sql', "select {{ var('segment_vip') }} as vip\n");
  const results = await run();
  t.is(statusOf(results, 'stg_region_source')?.status, 'built');
  t.deepEqual(await ws.query('tenant_a', 'select n::int from stg_region_source'), [{ n: 4 }]);
  ws.write('sql/models/staging/stg_region_source.sql', "select * from {{ source('raw', 'nope') }}\n");
  const bad = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /\[UNKNOWN_SOURCE\] sql\/models\/staging\/stg_region_source\.sql: source\('raw', 'nope'\) is not declared/);
});

test.serial("alias names a model's relation (dbt's config): built, refreshed and read through ref() under that name", async (t) => {
  rmSync(join(ws.root, 'sql/models/staging/stg_region_source.sql'), { force: true }); // the test before left it broken
  ws.write(
    'sql/models/marts/region_list.sql',
    "{{ config(materialized='table', alias='regions_v2') }}select region_id, region_name from {{ ref('stg_regions') }}\n",
  );
  ws.write('sql/models/marts/region_count.sql', "select count(*)::int as n from {{ ref('region_list') }}\n");
  try {
    const results = await run();
    t.is(statusOf(results, 'region_list')?.status, 'built');
    t.deepEqual(await ws.query('tenant_a', 'select count(*)::int as n from public.regions_v2'), [{ n: 4 }]);
    t.deepEqual(await ws.query('tenant_a', "select to_regclass('public.region_list') is null as absent"), [{ absent: true }]);
    t.deepEqual(await ws.query('tenant_a', 'select n from region_count'), [{ n: 4 }]);
    t.is(statusOf(await run(), 'region_list')?.status, 'skipped', 'a warm run finds it under its alias');
    ws.write('sql/models/marts/region_count.sql', "{{ config(alias='regions_v2') }}select 1 as n\n");
    const clash = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(clash.code, 1);
    t.regex(
      clash.stderr,
      /\[DUPLICATE_NODE\] model region_count \(sql\/models\/marts\/region_count\.sql\) and model region_list \(sql\/models\/marts\/region_list\.sql\) would both build "public"\."regions_v2"|model region_list .* and model region_count .* would both build "public"\."regions_v2"/,
    );
  } finally {
    rmSync(join(ws.root, 'sql/models/marts/region_list.sql'));
    rmSync(join(ws.root, 'sql/models/marts/region_count.sql'));
    await run();
  }
});
