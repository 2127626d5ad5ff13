/**
 * A dbt 1.8 project brought in the way its users bring one: the sample project of a throw-away clone is
 * replaced by apps/tenant/test/fixtures/dbt-project (a small tea shop written for this test: macros with
 * Python's str and dict methods, return(), {% set %}…{% endset %}, {% do %} and {% call %}; a snapshot
 * block; a custom generic test; a singular test; sources with tests; +column_types; +schema;
 * dbt_utils' macros and tests; an analysis; a profiles.yml), then built, tested, compiled and looked at
 * per tenant with the commands users type (`make tenant-a`, `make dbt-run TENANT=tenant_b`, `npx nx run
 * tenant_a:compile`, …) and checked in each tenant database: relations in their schemas, rows that
 * depend on the tenant (env_var('TENANT_NAME'), vars), test results, compiled SQL. Then generate_schema_name
 * overridden, a macro that raises, and an unknown key of dbt_project.yml. The tests at the end are where
 * this engine once differed from dbt for such a project: each says what dbt does.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { resolveEngine } from '@mt/postgres';
import { makeClone, userEnv, type Clone, type Typed } from './support/clone.ts';

/** The fixture, as the clone holds it (a folder beside the sample, like ../dbt-poc beside a user's clone). */
const FIXTURE = 'apps/tenant/test/fixtures/dbt-project';

let clone: Clone;
const outputs: string[] = [];

async function type(command: string): Promise<Typed> {
  const r = await clone.type(command);
  outputs.push(r.out);
  return r;
}

async function ok(t: ExecutionContext, command: string, patterns: RegExp[] = []): Promise<Typed> {
  const r = await type(command);
  t.is(r.code, 0, `${command}\n${r.out}`);
  for (const p of patterns) t.regex(r.out, p, command);
  return r;
}

async function refused(t: ExecutionContext, command: string, patterns: RegExp[]): Promise<Typed> {
  const r = await type(command);
  t.not(r.code, 0, `${command} should fail\n${r.out}`);
  for (const p of patterns) t.regex(r.out, p, command);
  return r;
}

/** Rows of a query on a tenant database, as the clone's admin (values as the query casts them). */
async function query(tenant: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = await resolveEngine({ rootDir: clone.root, env: userEnv() }).connect(`${tenant}_db`);
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

const read = (path: string) => readFileSync(join(clone.root, path), 'utf8');
const write = (path: string, text: string) => writeFileSync(join(clone.root, path), text);
/** dbt writes relations with their database ("tenant_a_db"."public"."x"); here "public"."x": the same relation. */
const compiled = (tenant: string, path: string) => read(`dist/compiled/${tenant}/${path}`).replaceAll(`"${tenant}_db".`, '');
/** The 1-based line of the first line of a fixture file that holds `text`. */
const lineOf = (path: string, text: string) =>
  read(join(FIXTURE, path))
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

/** The relations of the project's schemas, as `schema.name type`. */
const relations = (tenant: string) =>
  query(
    tenant,
    `select table_schema || '.' || table_name || ' ' || table_type as r from information_schema.tables
     where table_schema in ('public', 'public_reporting', 'reporting', 'history') order by 1`,
  ).then((rows) => rows.map((row) => row.r));

const PUBLIC = [
  'public.dim_customers BASE TABLE',
  'public.fct_orders BASE TABLE',
  'public.order_events BASE TABLE',
  'public.raw_customers BASE TABLE',
  'public.raw_order_items BASE TABLE',
  'public.raw_orders BASE TABLE',
  'public.raw_payments BASE TABLE',
  'public.stg_customers VIEW',
  'public.stg_order_items VIEW',
  'public.stg_orders VIEW',
  'public.stg_payments VIEW',
  'public.tea_catalog BASE TABLE',
];
const REPORTING = (schema: string) => [
  `${schema}.agg_daily_revenue BASE TABLE`,
  `${schema}.agg_payment_methods BASE TABLE`,
  `${schema}.payments_by_method BASE TABLE`,
];

/** What the tenant's settings (vars.tenants.<tenant>, TENANT_NAME) put into its rows. */
const TENANT_ROWS = {
  tenant_a: { tenant_name: 'tenant_a', tenant_code: 'A', tenant_label: 'Leaf & Ladle Europe', landed_from: 's3://tenant-a-data-lake/raw/customers/' },
  tenant_b: { tenant_name: 'tenant_b', tenant_code: 'B', tenant_label: 'Leaf & Ladle Japan', landed_from: 's3://tenant-b-data-lake/raw/customers/' },
};

test.before(async () => {
  clone = await makeClone();
  // What a user does with the sample once their own project replaces it (their seeds in the workspace's seeds/).
  for (const command of [
    'rm -rf sql/dbt_project.yml sql/models sql/macros sql/snapshots sql/tests sql/analyses sql/sources tenants/tenant_b/seeds seeds/*.csv',
    `cp -r ${FIXTURE}/{dbt_project.yml,profiles.yml,models,macros,snapshots,tests,analyses} sql/`,
    `cp ${FIXTURE}/seeds/*.csv seeds/`,
  ]) {
    const r = await type(command);
    if (r.code !== 0) throw new Error(`${command}\n${r.out}`);
  }
});
test.after.always(async () => {
  await clone?.cleanup();
});

test.serial(
  'make tenant-a: seeds, views and tables in public, the +schema folder in public_reporting, the snapshot in history; all tests pass but the warn one',
  async (t) => {
    t.timeout(240_000);
    const r = await ok(t, 'make tenant-a', [
      /tenant_a: OK — 16 built, 33 pass, 1 warn in /,
      // the warn-severity test is reported with its failing row, and does not fail the build
      /test +valid_email_stg_customers_email +warn +1 failing/,
      /\n +no-email-given *\n/,
      // {{ log(…, info=True) }} in a macro
      /tenant_a: orders of at least 0 are kept \(build\)/,
    ]);
    // dbt's own keys are accepted and named once, as ignored.
    t.is(r.out.match(/sql\/dbt_project\.yml: profile, target-path, clean-targets do not apply here and are ignored/g)?.length, 1, r.out);

    t.deepEqual(await relations('tenant_a'), ['history.customers_snapshot BASE TABLE', ...PUBLIC, ...REPORTING('public_reporting')]);
    // +column_types
    t.deepEqual(
      await query(
        'tenant_a',
        `select attrelid::regclass::text || '.' || attname || ' ' || format_type(atttypid, atttypmod) as c from pg_attribute
       where (attrelid, attname) in (('raw_customers'::regclass, 'zip_code'), ('raw_payments'::regclass, 'amount'), ('tea_catalog'::regclass, 'unit_price'))
       order by 1`,
      ),
      [{ c: 'raw_customers.zip_code character varying(10)' }, { c: 'raw_payments.amount numeric(10,2)' }, { c: 'tea_catalog.unit_price numeric(8,2)' }],
    );
    // {% call %} with caller(), the tenant's settings through return()ing macros, str and dict methods
    t.deepEqual(await query('tenant_a', 'select distinct tenant_name, tenant_code, tenant_label, landed_from from stg_customers'), [TENANT_ROWS.tenant_a]);
    t.deepEqual(
      await query('tenant_a', 'select customer_id, customer_name, email, country_code, zip_code from stg_customers where customer_id in (2, 3) order by 1'),
      [
        { customer_id: 2, customer_name: 'Bruno Keller', email: 'bruno.keller@example.com', country_code: 'DE', zip_code: '10115' },
        { customer_id: 3, customer_name: 'Chiara Rossi', email: 'chiara.rossi@example.com', country_code: 'IT', zip_code: '00184' },
      ],
    );
    t.deepEqual(
      await query(
        'tenant_a',
        'select order_id, order_stage, channel, tea_count::int, order_amount_usd::text, paid_local::text, local_currency from fct_orders order by 1',
      ),
      [
        { order_id: 101, order_stage: 'closed', channel: 'web', tea_count: 3, order_amount_usd: '34.00', paid_local: '31.28', local_currency: 'EUR' },
        { order_id: 102, order_stage: 'closed', channel: 'shop', tea_count: 1, order_amount_usd: '18.00', paid_local: '16.56', local_currency: 'EUR' },
        { order_id: 103, order_stage: 'open', channel: 'web', tea_count: 4, order_amount_usd: '34.25', paid_local: '31.51', local_currency: 'EUR' },
        { order_id: 104, order_stage: 'closed', channel: 'web', tea_count: 2, order_amount_usd: '18.00', paid_local: '16.56', local_currency: 'EUR' },
        { order_id: 105, order_stage: 'closed', channel: 'app', tea_count: 3, order_amount_usd: '48.50', paid_local: '44.62', local_currency: 'EUR' },
        { order_id: 106, order_stage: 'open', channel: 'app', tea_count: 1, order_amount_usd: '7.25', paid_local: '6.67', local_currency: 'EUR' },
      ],
    );
    // dbt_utils.generate_surrogate_key; the loyalty tiers of vars.loyalty_tiers (dict .items(), {% set %}…{% endset %})
    t.deepEqual(
      await query(
        'tenant_a',
        `select customer_id, order_count::int, last_order_date::text, lifetime_value_usd::text, loyalty_tier,
              customer_key = md5(tenant_name || '-' || customer_id) as dbt_utils_key
       from dim_customers order by 1`,
      ),
      [
        { customer_id: 1, order_count: 2, last_order_date: '2024-03-03', lifetime_value_usd: '68.25', loyalty_tier: 'gold', dbt_utils_key: true },
        { customer_id: 2, order_count: 2, last_order_date: '2024-03-06', lifetime_value_usd: '25.25', loyalty_tier: 'bronze', dbt_utils_key: true },
        { customer_id: 3, order_count: 1, last_order_date: '2024-03-04', lifetime_value_usd: '18.00', loyalty_tier: 'bronze', dbt_utils_key: true },
        { customer_id: 4, order_count: 0, last_order_date: null, lifetime_value_usd: '0', loyalty_tier: 'bronze', dbt_utils_key: true },
        { customer_id: 5, order_count: 1, last_order_date: '2024-03-04', lifetime_value_usd: '48.50', loyalty_tier: 'silver', dbt_utils_key: true },
      ],
    );
    // dbt_utils.date_spine: every day of the window, [report_start, report_end)
    t.deepEqual(
      (
        await query(
          'tenant_a',
          'select date_day::date::text as d, order_count::int as n, revenue_usd::text as usd from public_reporting.agg_daily_revenue order by 1',
        )
      ).map((row) => `${row.d} ${row.n} ${row.usd}`),
      ['2024-03-01 2 52.00', '2024-03-02 0 0', '2024-03-03 1 34.25', '2024-03-04 2 66.50', '2024-03-05 0 0', '2024-03-06 1 7.25', '2024-03-07 0 0'],
    );
    // dbt_utils.pivot over the list a macro return()s
    t.deepEqual(
      await query(
        'tenant_a',
        'select channel, credit_card_usd::text as credit, bank_transfer_usd::text as bank, gift_card_usd::text as gift from public_reporting.agg_payment_methods order by 1',
      ),
      [
        { channel: 'app', credit: '40.00', bank: '7.25', gift: '8.50' },
        { channel: 'shop', credit: '8.00', bank: '0', gift: '10.00' },
        { channel: 'web', credit: '52.00', bank: '34.25', gift: '0' },
      ],
    );
    // dbt_utils.star, get_column_values and a {% call statement %} block: the tenant database read while the model rendered
    t.deepEqual(await query('tenant_a', 'select * from public_reporting.payments_by_method where payment_id in (1, 2, 4) order by 1'), [
      { payment_id: 1, order_id: 101, payment_method: 'credit_card', amount_usd: '34.00', method_rank: 2, channel_count: 3 },
      { payment_id: 2, order_id: 102, payment_method: 'gift_card', amount_usd: '10.00', method_rank: 3, channel_count: 3 },
      { payment_id: 4, order_id: 103, payment_method: 'bank_transfer', amount_usd: '34.25', method_rank: 1, channel_count: 3 },
    ]);
    // dbt_utils.union_relations: the columns of both, where each row came from
    t.deepEqual(
      await query(
        'tenant_a',
        'select _dbt_source_relation as source, count(*)::int as n, count(payment_method)::int as methods from order_events group by 1 order by 1',
      ),
      [
        { source: '"public"."stg_orders"', n: 6, methods: 0 },
        { source: '"public"."stg_payments"', n: 8, methods: 8 },
      ],
    );
    // the {% snapshot %} block, under snapshots.tea_shop.+target_schema, with dbt's SCD-2 columns
    t.deepEqual(
      await query(
        'tenant_a',
        `select count(*)::int as n, count(*) filter (where dbt_valid_to is null and dbt_valid_from = updated_at and dbt_updated_at = updated_at)::int as current,
              bool_and(dbt_scd_id = md5(id::text || '|' || updated_at::text)) as scd_ids
       from history.customers_snapshot`,
      ),
      [{ n: 5, current: 5, scd_ids: true }],
    );
  },
);

test.serial("make dbt-run TENANT=tenant_b: tenant_b's database, with TENANT_NAME and its own vars", async (t) => {
  t.timeout(120_000);
  await ok(t, 'make dbt-run TENANT=tenant_b', [
    /tenant_b: seed\n/,
    /tenant_b: OK — 5 built in /,
    /tenant_b: run\n/,
    /tenant_b: OK — 10 built in /,
    /tenant_b: orders of at least 0 are kept \(run\)/,
  ]);
  // No snapshot step: dbt run builds seeds (here: the step before) and models only.
  t.deepEqual(await relations('tenant_b'), [...PUBLIC, ...REPORTING('public_reporting')]);
  t.deepEqual(await query('tenant_b', 'select distinct tenant_name, tenant_code, tenant_label, landed_from from stg_customers'), [TENANT_ROWS.tenant_b]);
  t.deepEqual(await query('tenant_b', 'select payment_id, amount_local::text, local_currency from stg_payments where payment_id in (4, 6) order by 1'), [
    { payment_id: 4, amount_local: '5188.88', local_currency: 'JPY' },
    { payment_id: 6, amount_local: '6060.00', local_currency: 'JPY' },
  ]);
  t.deepEqual(await query('tenant_b', "select customer_key = md5('tenant_b-1') as key from dim_customers where customer_id = 1"), [{ key: true }]);
  // tenant_a's database is its own
  t.deepEqual(await query('tenant_a', 'select distinct local_currency from fct_orders'), [{ local_currency: 'EUR' }]);
});

test.serial('npx nx run tenant_a:compile: the SQL of every node and of the analysis, rendered for tenant_a, in dist/compiled/tenant_a/', async (t) => {
  t.timeout(120_000);
  await ok(t, 'rm -rf dist/compiled/tenant_a');
  await ok(t, 'npx nx run tenant_a:compile', [/tenant_a: compiled 46 nodes into dist\/compiled\/tenant_a\//]);
  t.is(
    compiled('tenant_a', 'sql/models/staging/stg_payments.sql').trim(),
    `select
    id as payment_id,
    order_id,
    payment_method,
    amount as amount_usd,
    round(amount * 0.92, 2) as amount_local,
    'EUR' as local_currency
from "public"."raw_payments"`,
  );
  const customers = compiled('tenant_a', 'sql/models/staging/stg_customers.sql');
  t.regex(
    customers,
    /^\s*select\n {4}tenant_rows\.\*,\n {4}'tenant_a' as tenant_name,\n {4}'A' as tenant_code,\n {4}'Leaf & Ladle Europe' as tenant_label,\n {4}'s3:\/\/tenant-a-data-lake\/raw\/customers\/' as landed_from\nfrom \(\n/,
  );
  t.regex(
    customers,
    /\n {4}initcap\(first_name\) \|\| ' ' \|\| initcap\(last_name\) as customer_name,\n[\s\S]*\nfrom "public"\."raw_customers"\n+\) as tenant_rows\s*$/,
  );
  t.regex(
    compiled('tenant_a', 'sql/models/staging/stg_orders.sql'),
    /case status\n {8}when 'placed' then 'open'\n {8}when 'shipped' then 'open'\n {8}when 'completed' then 'closed'\n {8}when 'returned' then 'closed'\n {4}end as order_stage/,
  );
  t.regex(
    compiled('tenant_a', 'sql/models/marts/core/dim_customers.sql'),
    /case when coalesce\(orders\.lifetime_value_usd, 0\) >= 60 then 'gold' when coalesce\(orders\.lifetime_value_usd, 0\) >= 30 then 'silver' else 'bronze' end as loyalty_tier/,
  );
  t.regex(compiled('tenant_a', 'sql/models/marts/core/fct_orders.sql'), /'EUR' as local_currency\nfrom orders\n[\s\S]*\nwhere items\.order_amount >= 0\s*$/);
  t.regex(compiled('tenant_a', 'sql/snapshots/customers_snapshot.sql'), /^\s*select \* from "public"\."raw_customers"\s*$/);
  t.regex(compiled('tenant_a', 'sql/tests/assert_daily_revenue_matches_orders.sql'), /from "public_reporting"\."agg_daily_revenue"/);
  t.regex(compiled('tenant_a', 'sql/analyses/customer_tiers.sql'), /from "public"\."dim_customers"\ngroup by loyalty_tier/);
});

test.serial('make dbt-test TENANT=tenant_b: generic, custom, dbt_utils, source and singular tests pass; the warn one is reported', async (t) => {
  t.timeout(120_000);
  await ok(t, 'make dbt-test TENANT=tenant_b', [
    /tenant_b: OK — 33 pass, 1 warn in /,
    /test +valid_email_stg_customers_email +warn +1 failing/,
    /\n +no-email-given *\n/,
  ]);
  const r = await ok(t, 'make dbt-test TENANT=tenant_b ARGS="--json --retest"');
  const report = JSON.parse(/^\{\n[\s\S]*?\n\}$/m.exec(r.stdout)?.[0] ?? '{}') as {
    ok: boolean;
    results: Array<{ kind: string; name: string; status: string }>;
  };
  t.true(report.ok);
  const tests = report.results.filter((x) => x.kind === 'test');
  t.is(tests.length, 34);
  t.deepEqual(
    tests.filter((x) => x.status !== 'pass').map((x) => `${x.name} ${x.status}`),
    ['valid_email_stg_customers_email warn'],
  );
  // each kind of test is there (whatever the names this engine gives them)
  const names = tests.map((x) => x.name).join('\n');
  for (const kind of [
    /^assert_daily_revenue_matches_orders$/m,
    /^.*at_least_rows.*agg_daily_revenue.*$/m,
    /^.*relationships.*stg_orders.*customer_id.*$/m,
    /^.*expression_is_true.*fct_orders.*$/m,
    /^.*accepted_range.*stg_order_items.*quantity.*$/m,
    /^.*unique_combination_of_columns.*stg_order_items.*$/m,
    /^.*unique_combination_of_columns.*source.*raw_order_items.*$|^.*source.*unique_combination_of_columns.*raw_order_items.*$/m,
    /^.*not_null_proportion.*dim_customers.*last_order_date.*$/m,
    /^.*accepted_values.*source.*raw_orders.*status.*$|^.*source.*accepted_values.*raw_orders.*status.*$/m,
  ])
    t.regex(names, kind);
});

test.serial('make dbt-snapshot and make dbt-source-freshness work on what is built; the analysis is a target of every tenant', async (t) => {
  t.timeout(120_000);
  const snapshot = await ok(t, 'make dbt-snapshot', [/tenant_a: snapshot\n/, /snapshot customers_snapshot/, /tenant_a: OK/]);
  t.notRegex(snapshot.out, /seed raw_customers|model stg_orders|data tests/);
  await ok(t, 'make dbt-source-freshness TENANT=tenant_a', [
    /shop\.raw_customers +2024-02-11 16:45:00\+00 .* pass/,
    /shop\.raw_orders +2024-03-06 11:00:00\+00 .* pass/,
    /tenant_a: 2 source tables checked, none too old/,
  ]);
  await ok(t, 'make analysis-customer_tiers TENANT=tenant_b', [
    / gold +\| +1 \| +68\.25\n/,
    / bronze +\| +3 \| +43\.25\n/,
    /tenant_b: analysis customer_tiers → /,
  ]);
});

test.serial('--vars reach the macros; a macro that raises stops the run with its file:line, exits non-zero, and what was built stays', async (t) => {
  t.timeout(120_000);
  await ok(t, `make dbt-run TENANT=tenant_a ARGS="--vars '{min_order_amount: 30}'"`, [
    /tenant_a: orders of at least 30 are kept \(run\)/,
    /model +fct_orders +built +3 rows/,
  ]);
  const before = await query('tenant_a', 'select (select count(*)::int from fct_orders) as orders, (select count(*)::int from dim_customers) as customers');
  t.deepEqual(before, [{ orders: 3, customers: 5 }]);
  const raise = lineOf('macros/guards.sql', 'exceptions.raise_compiler_error');
  const call = lineOf('models/marts/core/fct_orders.sql', 'checked_min_amount(');
  await refused(t, `make dbt-run TENANT=tenant_a ARGS="--vars '{min_order_amount: -5}'"`, [
    new RegExp(
      `\\[TEMPLATE_ERROR\\] sql/macros/guards\\.sql:${raise} \\(macro checked_min_amount, called from sql/models/marts/core/fct_orders\\.sql:${call}\\): Compilation error: min_order_amount must be zero or more, got -5`,
    ),
  ]);
  t.deepEqual(
    await query('tenant_a', 'select (select count(*)::int from fct_orders) as orders, (select count(*)::int from dim_customers) as customers'),
    before,
  );
  t.deepEqual(await relations('tenant_a'), ['history.customers_snapshot BASE TABLE', ...PUBLIC, ...REPORTING('public_reporting')]);
  // dbt's flags reach the macros: flags.WHICH is the step, flags.FULL_REFRESH the option.
  await ok(t, `make dbt-run TENANT=tenant_a ARGS="--select fct_orders --full-refresh --vars '{min_order_amount: 30}'"`, [
    /tenant_a: orders of at least 30 are kept \(run, full refresh\)/,
    /model +fct_orders +built +3 rows/,
  ]);
});

test.serial('generate_schema_name in sql/macros: the +schema folder is built in the schema it names, as dbt does with that macro', async (t) => {
  t.timeout(120_000);
  await ok(t, `cp ${FIXTURE}/extras/generate_schema_name.sql sql/macros/`);
  try {
    await ok(t, 'make dbt-run TENANT=tenant_a', [/model +agg_daily_revenue +built +7 rows/, /model +fct_orders +built +6 rows/]);
    // The relations of the other schema stay where they were, as dbt leaves them.
    t.deepEqual(await relations('tenant_a'), ['history.customers_snapshot BASE TABLE', ...PUBLIC, ...REPORTING('public_reporting'), ...REPORTING('reporting')]);
    t.deepEqual(await query('tenant_a', 'select count(*)::int as days, sum(order_count)::int as orders from reporting.agg_daily_revenue'), [
      { days: 7, orders: 6 },
    ]);
    await ok(t, 'make dbt-test TENANT=tenant_a', [/tenant_a: OK — .*1 warn in /]);
    t.regex(read('dist/compiled/tenant_a/sql/tests/assert_daily_revenue_matches_orders.sql'), /from "(tenant_a_db"\.")?reporting"\."agg_daily_revenue"/);
  } finally {
    await ok(t, 'rm sql/macros/generate_schema_name.sql');
  }
});

test.serial('dbt_project.yml: an unknown key is named, with the key it resembles, and nothing is built', async (t) => {
  t.timeout(120_000);
  const file = 'sql/dbt_project.yml';
  const project = read(file);
  t.regex(project, /^snapshot-paths: /m);
  const runs = () => query('tenant_a', 'select count(*)::int as n from pipeline_meta.runs');
  const before = await runs();
  write(file, project.replace(/^snapshot-paths: /m, 'snapshot-path: '));
  try {
    await refused(t, 'make tenant-a', [/\[INVALID_PROJECT\] sql\/dbt_project\.yml: unknown key "snapshot-path" \(did you mean "snapshot-paths"\?\)/]);
  } finally {
    write(file, project);
  }
  t.deepEqual(await runs(), before, 'no run started');
});

test.serial("the profile's password never shows: not in any output, not in dist/", (t) => {
  const password = /password: "([^"]+)"/.exec(read(`${FIXTURE}/profiles.yml`))?.[1];
  t.truthy(password);
  t.true(outputs.length > 10);
  t.false(
    outputs.some((out) => out.includes(password!)),
    'printed by a command',
  );
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
  const dist = join(clone.root, 'dist');
  t.true(existsSync(dist));
  t.deepEqual(
    files(dist).filter((f) => readFileSync(f, 'latin1').includes(password!)),
    [],
  );
});

// Where this engine once differed from dbt 1.8 for this project: each test asserts what dbt does.

test.serial('dbt_utils.date_spine gives timestamps on PostgreSQL (date + interval), not dates, as dbt_utils does', async (t) => {
  t.deepEqual(
    await query(
      'tenant_a',
      "select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'public_reporting.agg_daily_revenue'::regclass and attname = 'date_day'",
    ),
    [{ type: 'timestamp without time zone' }],
  );
});

test.serial('with generate_schema_name gone again, make dbt-run rebuilds public_reporting, last built there from other data', async (t) => {
  t.timeout(120_000);
  // public_reporting's tables were built with --vars '{min_order_amount: 30}' (3 orders), then the
  // override moved the folder to reporting (6 orders); without it, dbt run builds public_reporting again.
  try {
    await ok(t, 'make dbt-run TENANT=tenant_a');
    t.deepEqual(await query('tenant_a', 'select sum(order_count)::int as orders from public_reporting.agg_daily_revenue'), [{ orders: 6 }]);
  } finally {
    // As dbt would have left it, for the tests after this one.
    await type('make dbt-run TENANT=tenant_a ARGS="--select agg_daily_revenue agg_payment_methods --full-refresh"');
  }
});

test.serial('a source changed by whatever loads it (here a seed) reaches the tables on the next make dbt-run, as dbt run rebuilds them', async (t) => {
  t.timeout(120_000);
  const file = 'seeds/raw_customers.csv';
  write(
    file,
    read(file).replace('BRUNO.KELLER@EXAMPLE.COM,de,10115,2024-01-05,2024-01-05 10:30:00', 'bruno@keller.example,de,10117,2024-01-05,2024-03-10 08:00:00'),
  );
  await ok(t, 'make dbt-seed TENANT=tenant_a', [/seed +raw_customers +built +5 rows/]);
  t.deepEqual(await query('tenant_a', 'select email from stg_customers where customer_id = 2'), [{ email: 'bruno@keller.example' }]);
  await ok(t, 'make dbt-run TENANT=tenant_a');
  t.deepEqual(await query('tenant_a', 'select email from dim_customers where customer_id = 2'), [{ email: 'bruno@keller.example' }]);
});

test.serial('make dbt-snapshot records the changed source row as a new version, as dbt snapshot does', async (t) => {
  t.timeout(120_000);
  await ok(t, 'make dbt-snapshot');
  t.deepEqual(
    await query(
      'tenant_a',
      'select email, dbt_valid_from::text as valid_from, dbt_valid_to::text as valid_to from history.customers_snapshot where id = 2 order by dbt_valid_from',
    ),
    [
      { email: 'BRUNO.KELLER@EXAMPLE.COM', valid_from: '2024-01-05 10:30:00', valid_to: '2024-03-10 08:00:00' },
      { email: 'bruno@keller.example', valid_from: '2024-03-10 08:00:00', valid_to: null },
    ],
  );
});

test.serial('make dbt-test runs the tests over a changed source again, and fails as dbt test does', async (t) => {
  t.timeout(120_000);
  const file = 'seeds/raw_customers.csv';
  write(file, read(file).replace('chiara.rossi@example.com,it,', 'chiara.rossi@example.com,es,'));
  await ok(t, 'make dbt-seed TENANT=tenant_a', [/seed +raw_customers +built +5 rows/]);
  await refused(t, 'make dbt-test TENANT=tenant_a', [/test +accepted_values_stg_customers_country_code +fail +1 failing/]);
});
