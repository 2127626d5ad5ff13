import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { makeWorkspace, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
test.before(async () => {
  ws = await makeWorkspace();
  const first = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
  if (first.code !== 0) throw new Error(first.stderr);
});
test.after.always(async () => ws?.cleanup());

/** A port where nothing listens (bound then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

test('unknown tenant: the error lists the known tenants', async (t) => {
  const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_zz']);
  t.is(r.code, 1);
  t.regex(r.stderr, /\[UNKNOWN_TENANT\] Unknown tenant "tenant_zz".*Known tenants: tenant_a, tenant_b\./);
  t.notRegex(r.stderr, /at .*\.ts:\d+/, 'no stack trace for a user error');
});

for (const bad of ['a;drop', '../x', 'Tenant-A', 'x'.repeat(64)]) {
  test(`invalid tenant name ${JSON.stringify(bad.slice(0, 12))} is rejected before any connection`, async (t) => {
    // The database points at a closed port: reaching it would print DB_UNREACHABLE instead.
    const env = { PG_MODE: 'external', PGHOST: '127.0.0.1', PGPORT: String(await closedPort()) };
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', bad], env);
    t.is(r.code, 1);
    t.regex(r.stderr, /\[INVALID_TENANT\] Invalid tenant name/);
    t.notRegex(r.stderr, /DB_UNREACHABLE/);
  });
}

test('database not reachable: names host and port, suggests make up, never shows the password', async (t) => {
  const port = await closedPort();
  const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a'], {
    PG_MODE: 'external',
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: 'alice',
    PGPASSWORD: 's3cret-pw',
  });
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`\\[DB_UNREACHABLE\\].*127\\.0\\.0\\.1:${port}`));
  t.regex(r.stderr, /make up/);
  t.notRegex(r.stderr + r.stdout, /s3cret-pw/);
});

test.serial('malformed CSV row: file and line named, previous table intact', async (t) => {
  await ws.edit(
    'seeds/regions.csv',
    (csv) => `${csv}5,Lombardy\n6,Texas,United States\n`,
    async () => {
      const r = await ws.task('tenant/src/seed.ts', ['--tenant', 'tenant_a']);
      t.is(r.code, 1);
      t.regex(r.stderr, /\[SEED_MALFORMED\] seeds\/regions\.csv:6: malformed CSV row/);
      const rows = await ws.query('tenant_a', 'select count(*)::int as n from regions');
      t.is(rows[0].n, 4);
    },
  );
});

test.serial('invalid UTF-8 in a CSV is refused with file:line, not loaded as U+FFFD; previous table intact', async (t) => {
  const file = join(ws.root, 'seeds/regions.csv');
  const before = readFileSync(file);
  writeFileSync(file, Buffer.concat([before, Buffer.from('5,'), Buffer.from([0x4c, 0x6f, 0x6d, 0xe9, 0x0a])]));
  try {
    const r = await ws.task('tenant/src/seed.ts', ['--tenant', 'tenant_a']);
    t.is(r.code, 1);
    t.regex(r.stderr, /\[SEED_ENCODING\] seeds\/regions\.csv:6: the file is not valid UTF-8/);
    const rows = await ws.query('tenant_a', "select count(*)::int as n, count(*) filter (where region_name like '%\uFFFD%')::int as bad from regions");
    t.deepEqual(rows[0], { n: 4, bad: 0 });
  } finally {
    writeFileSync(file, before);
  }
});

test.serial('two long header names equal in their first 63 bytes are refused with their names', async (t) => {
  const long = 'x'.repeat(63);
  await ws.edit(
    'seeds/regions.csv',
    (csv) =>
      csv
        .replace(/^([^\n]*)/, `$1,${long}_a,${long}_b`)
        .split('\n')
        .map((l, i) => (i === 0 || !l ? l : `${l},1,2`))
        .join('\n'),
    async () => {
      const r = await ws.task('tenant/src/seed.ts', ['--tenant', 'tenant_a']);
      t.is(r.code, 1, r.stdout);
      t.regex(r.stderr, new RegExp(`\\[SEED_HEADER\\] seeds/regions\\.csv:1: column names may have at most 63 bytes .*too long: "${long}_a", "${long}_b"`));
      t.notRegex(r.stderr, /unexpected error/);
      const rows = await ws.query('tenant_a', 'select count(*)::int as n from regions');
      t.is(rows[0].n, 4);
    },
  );
});

test.serial('blank lines at the end of a CSV are no rows: it loads', async (t) => {
  await ws.edit(
    'seeds/regions.csv',
    (csv) => `${csv}\n\n`,
    async () => {
      const r = await ws.task('tenant/src/seed.ts', ['--tenant', 'tenant_a']);
      t.is(r.code, 0, r.stderr);
      const rows = await ws.query('tenant_a', 'select count(*)::int as n, count(*) filter (where region_id is null)::int as empty from regions');
      t.deepEqual(rows[0], { n: 4, empty: 0 });
    },
  );
});

test.serial('a value of the wrong type: file, line and column named, previous table intact', async (t) => {
  const before = ws.read('seeds/orders.csv');
  ws.write('seeds/orders.csv', before.replace('8,1005,5,3,2024-01-16,2,39.98', '8,1005,5,3,2024-01-16,two,39.98'));
  try {
    // quantity is inferred as text now, so pin it to see COPY's own type check
    ws.write(
      'sql/dbt_project.yml',
      ws.read('sql/dbt_project.yml').replace('{ total_amount: "numeric(12,2)" }', '{ total_amount: "numeric(12,2)", quantity: integer }'),
    );
    const r = await ws.task('tenant/src/seed.ts', ['--tenant', 'tenant_a']);
    t.is(r.code, 1);
    t.regex(r.stderr, /\[SEED_LOAD\] seeds\/orders\.csv:9: invalid input syntax for type integer: "two" \(column quantity\)/);
    const rows = await ws.query('tenant_a', 'select count(*)::int as n, sum(quantity)::int as q from orders');
    t.deepEqual(rows[0], { n: 8, q: 11 });
  } finally {
    ws.write('seeds/orders.csv', before);
    ws.write('sql/dbt_project.yml', ws.read('sql/dbt_project.yml').replace(', quantity: integer', ''));
  }
});

test.serial('SQL error in a model: file:line:col with a caret, previous relation still queryable', async (t) => {
  await ws.edit(
    'sql/models/marts/agg_monthly_sales.sql',
    (sql) => sql.replace('sum(order_total) as sales', 'sum(order_totl) as sales'),
    async () => {
      const r = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a']);
      t.is(r.code, 1);
      t.regex(r.stderr, /sql\/models\/marts\/agg_monthly_sales\.sql:10:13: ERROR: +column "order_totl" does not exist/);
      t.regex(r.stderr, /\n\s+10 \|\s+sum\(order_totl\) as sales,\n\s+\|\s+\^/);
      const rows = await ws.query('tenant_a', 'select count(*)::int as n from agg_monthly_sales');
      t.is(rows[0].n, 1);
    },
  );
});

test.serial('a model with a second statement is refused with its line; the second statement never runs', async (t) => {
  const attacks = [
    (sql: string) => `${sql.trimEnd()};\ncreate table public.pwned as select 1 as x`,
    // Closing the wrapper's parenthesis, as an injection would: `… ) as q; create …; select * from (select 1`
    (sql: string) => `${sql.trimEnd()}\n) as q; create table public.pwned as select 1 as x; select * from (select 1 as y`,
  ];
  for (const attack of attacks) {
    await ws.edit('sql/models/marts/agg_monthly_sales.sql', attack, async () => {
      const r = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a', '--full-refresh']);
      t.is(r.code, 1);
      t.regex(
        r.stderr,
        /\[MULTIPLE_STATEMENTS\] sql\/models\/marts\/agg_monthly_sales\.sql:\d+: a second statement \("create table public\.pwned …"\): a model is exactly one query/,
      );
      const [pwned] = await ws.query('tenant_a', "select count(*)::int as n from pg_tables where tablename = 'pwned'");
      t.is(pwned.n, 0, 'the second statement did not run');
      const rows = await ws.query('tenant_a', 'select count(*)::int as n from agg_monthly_sales');
      t.is(rows[0].n, 1, 'the previous relation is intact');
    });
  }
});

test.serial('an undefined name in a template is an error with file:line:col and what exists; nothing is built', async (t) => {
  const cases: Array<[string, RegExp, RegExp]> = [
    [
      '{{ tenant.nme }}',
      /\{\{ tenant\.nme \}\}: tenant\.nme is undefined \(or null\)/,
      /hint {2}tenant has: name, display_name, database, aurora_schema, s3_bucket, s3_prefix, s3_location\./,
    ],
    [
      '{{ tenant.nme | literal }}',
      /\{\{ tenant\.nme \| literal \}\}: tenant\.nme is undefined: it would leave nothing in the SQL\./,
      /hint {2}tenant has: name,/,
    ],
    [
      "'{{ tenant_nam }}'",
      /\{\{ tenant_nam \}\}: tenant_nam is undefined/,
      /hint {2}Check the name: a template here can use ref, source, var, env_var, config, is_incremental, this, model, project_name, .*, tenant, target, /,
    ],
  ];
  for (const [written, message, hint] of cases) {
    await ws.edit(
      'sql/models/staging/stg_customers_tenant.sql',
      (sql) => sql.replace('{{ tenant.name | literal }}', written),
      async () => {
        const r = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a', '--full-refresh']);
        t.is(r.code, 1, written);
        t.regex(r.stderr, /\[TEMPLATE_ERROR\] sql\/models\/staging\/stg_customers_tenant\.sql:9:\d+: Jinja error: /, written);
        t.regex(r.stderr, message, written);
        t.regex(r.stderr, hint, written);
        const [view] = await ws.query('tenant_a', 'select count(*)::int as n from stg_customers_tenant');
        t.true(view.n > 0, 'the previous view is intact');
      },
    );
  }
});

test.serial('a config key the engine does not read is refused with its line and the keys it takes, not ignored', async (t) => {
  const cases: Array<[string, RegExp, RegExp]> = [
    [
      "{{ config(materialized='table', indexes=[{'columns': ['order_id']}]) }}\n",
      /\[UNKNOWN_CONFIG\] sql\/models\/marts\/fct_orders\.sql:1: config key "indexes" is not one this engine reads for a model, so it would be ignored\./,
      /hint {2}A model takes: materialized, schema, alias, unique_key, incremental_strategy, on_schema_change, pre_hook, post_hook, tags, enabled\./,
    ],
    ["{{ config(\n  materalized='table'\n) }}\n", /fct_orders\.sql:2: config key "materalized"/, /hint {2}Did you mean "materialized"\? A model takes/],
  ];
  for (const [written, message, hint] of cases) {
    await ws.edit(
      'sql/models/marts/fct_orders.sql',
      (sql) => written + sql,
      async () => {
        const r = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a']);
        t.is(r.code, 1, written);
        t.regex(r.stderr, message, written);
        t.regex(r.stderr, hint, written);
      },
    );
  }
  await ws.edit(
    'sql/models/marts/_marts.yml',
    (yml) => yml.replace('  - name: fct_orders\n', '  - name: fct_orders\n    config:\n      sql_header: "set x = 1"\n'),
    async () => {
      const r = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a']);
      t.is(r.code, 1);
      t.regex(
        r.stderr,
        /\[UNKNOWN_CONFIG\] sql\/models\/marts\/_marts\.yml, model fct_orders: config key "sql_header" is not one this engine reads for a model/,
      );
    },
  );
  const [orders] = await ws.query('tenant_a', 'select count(*)::int as n from fct_orders');
  t.true(orders.n > 0, 'nothing was dropped or rebuilt');
});

test.serial('ref to a missing model names the file and the missing name', async (t) => {
  await ws.edit(
    'sql/models/marts/agg_daily_sales.sql',
    (sql) => sql.replace("ref('fct_orders')", "ref('fct_order')"),
    async () => {
      const r = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a']);
      t.is(r.code, 1);
      t.regex(r.stderr, /\[UNKNOWN_REF\] sql\/models\/marts\/agg_daily_sales\.sql:2: ref\('fct_order'\) points to nothing/);
      t.regex(r.stderr, /Did you mean 'fct_orders'/);
      const rows = await ws.query('tenant_a', 'select count(*)::int as n from agg_daily_sales');
      t.is(rows[0].n, 5);
    },
  );
});

test.serial('a ref cycle is named with its files', async (t) => {
  await ws.edit(
    'sql/models/staging/stg_regions.sql',
    (sql) => `${sql}\n-- {{ ref('dim_customers') }}\n`,
    async () => {
      const r = await ws.task('tenant/src/run.ts', ['--tenant', 'tenant_a']);
      t.is(r.code, 1);
      t.regex(r.stderr, /\[REF_CYCLE\] ref\(\) cycle: (dim_customers -> stg_regions -> dim_customers|stg_regions -> dim_customers -> stg_regions) \(/);
      t.regex(r.stderr, /\(.*sql\/models\/staging\/stg_regions\.sql/);
      t.regex(r.stderr, /\(.*sql\/models\/marts\/dim_customers\.sql/);
    },
  );
});

test.serial('a failing data test exits non-zero and shows the failing rows; severity warn does not fail', async (t) => {
  ws.write('sql/tests/assert_no_laptops.sql', "select product_id, product_name from {{ ref('stg_products') }} where product_name = 'Laptop'\n");
  ws.write(
    'sql/tests/assert_no_mugs_warn.sql',
    "{{ config(severity='warn') }}\nselect product_id from {{ ref('stg_products') }} where product_name = 'Coffee Mug'\n",
  );
  try {
    const r = await ws.task('tenant/src/test.ts', ['--tenant', 'tenant_a']);
    t.is(r.code, 1);
    t.regex(r.stderr, /assert_no_laptops\s+fail\s+1 failing/);
    t.regex(r.stderr, /product_id \| product_name\n.*\n\s+1\s+\| Laptop/);
    t.regex(r.stderr, /assert_no_mugs_warn\s+warn/);
    t.regex(r.stdout, /FAILED/);
    ws.write('sql/tests/assert_no_laptops.sql', 'select 1 where false\n');
    const ok = await ws.task('tenant/src/test.ts', ['--tenant', 'tenant_a']);
    t.is(ok.code, 0, ok.stderr);
    t.regex(ok.stderr, /assert_no_mugs_warn\s+warn/);
  } finally {
    ws.write('sql/tests/assert_no_laptops.sql', 'select 1 where false\n');
    ws.write('sql/tests/assert_no_mugs_warn.sql', 'select 1 where false\n');
  }
});
