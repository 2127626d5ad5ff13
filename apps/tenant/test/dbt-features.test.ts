/**
 * What a dbt user reaches for after ref/source/var, on the scratch project of fixtures/dbt-features laid
 * over the sample: macros, custom and shipped generic tests, the template context, hooks, ephemeral
 * models, materialized views, incremental strategies, node selection, and steps run on their own.
 */
import test from 'ava';
import { makeFeaturesWorkspace } from './support/features.ts';
import type { TaskResult, TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
type Result = { name: string; kind: string; status: string; rows?: number; hooks?: number; detail?: string };

const task = (script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) => ws.task(`tenant/src/${script}.ts`, ['--tenant', 'tenant_a', ...args], env);
const report = (r: TaskResult) => {
  if (!r.stdout.trim().startsWith('{')) throw new Error(`no JSON report (exit ${r.code}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; results: Result[] };
};
const build = async (args: string[] = [], env: NodeJS.ProcessEnv = {}) => report(await task('tenant-run', ['--json', ...args], env));
const statusOf = (results: Result[], name: string) => results.find((r) => r.name === name)?.status;

test.before(async () => {
  ws = await makeFeaturesWorkspace();
  const first = await build(['--vars', '{"label": "from --vars"}']);
  if (!first.ok) throw new Error(JSON.stringify(first.results.filter((r) => r.detail)));
});
test.after.always(async () => ws?.cleanup());

test.serial('macros (with return()), the context and --vars render into the model; the ephemeral model is inlined, never built', async (t) => {
  const rows = await ws.query('tenant_a', 'select * from big_orders order by order_id limit 1');
  t.like(rows[0], { label: 'from --vars', target_name: 'tenant_a', run_year: String(new Date().getUTCFullYear()) });
  t.is(Number(rows[0].total_cents), Math.round(Number(rows[0].order_total) * 100));
  t.deepEqual(Object.keys(rows[0]), ['order_id', 'customer_id', 'total_cents', 'label', 'target_name', 'run_year', 'order_total']);
  t.deepEqual(await ws.query('tenant_a', "select to_regclass('public.order_facts') as r"), [{ r: null }]);
  const compiled = ws.read('dist/compiled/tenant_a/sql/models/marts/big_orders.sql');
  t.regex(
    compiled,
    /^\s*with "__dbt__cte__order_facts" as \(\n[\s\S]*from "public"."fct_orders"\n+\),\nfacts as \(\n {4}select \* from "__dbt__cte__order_facts"/,
  );
});

test.serial('hooks: on-run-start and on-run-end in the run, post_hook in the model; all shown in the summary', async (t) => {
  const r = await task('run', ['--select', 'big_orders', '--full-refresh']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /hook on-run-start \(\+2 hooks\)\s+ran/);
  t.regex(r.stdout, /model big_orders \(\+2 hooks\)\s+built/);
  t.regex(r.stdout, /hook on-run-end \(\+1 hook\)\s+ran/);
  const runs = await ws.query('tenant_a', 'select run_id from pipeline_meta.runs order by started_at desc limit 1');
  const audit = await ws.query('tenant_a', 'select event from run_audit where invocation = $1 order by event desc', [runs[0].run_id]);
  t.deepEqual(
    audit.map((a) => a.event),
    ['start', 'end'],
  );
  const comment = await ws.query('tenant_a', "select obj_description('public.big_orders'::regclass) as c");
  t.is(comment[0].c, `run ${runs[0].run_id}`);
});

test.serial('a post_hook that fails rolls the model back: the previous table stays, the error names the hook', async (t) => {
  const before = await ws.query('tenant_a', 'select count(*)::int as n, min(label) as label from big_orders');
  await ws.edit(
    'sql/models/marts/big_orders.sql',
    (sql) =>
      sql.replace(`post_hook="comment on table {{ this }} is 'run {{ invocation_id }}'"`, `post_hook="select 1 / 0"`).replace('as label', "|| '!' as label"),
    async () => {
      const r = await task('run', ['--select', 'big_orders']);
      t.is(r.code, 1);
      t.regex(r.stderr, /\[HOOK_FAILED\] sql\/models\/marts\/big_orders\.sql: post_hook 1 failed: division by zero\. Its transaction was rolled back/);
    },
  );
  t.deepEqual(await ws.query('tenant_a', 'select count(*)::int as n, min(label) as label from big_orders'), before);
});

test.serial('a macro that raises stops the run with the macro file:line and the calling model, and builds nothing', async (t) => {
  const before = await ws.query('tenant_a', 'select count(*)::int as n from big_orders');
  const r = await task('run', ['--vars', 'min_total: 0']);
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /\[TEMPLATE_ERROR\] sql\/macros\/helpers\.sql:12 \(macro at_least_one, called from sql\/models\/marts\/big_orders\.sql:13\): Compilation error: at_least_one: the minimum must be 1 or more, not 0/,
  );
  t.deepEqual(await ws.query('tenant_a', 'select count(*)::int as n from big_orders'), before);
  const ok = await task('run', ['--select', 'big_orders', '--full-refresh']);
  t.regex(ok.stderr, /sql\/models\/marts\/big_orders\.sql: minimum total: 1/, 'log(…, info=True) prints');
});

test.serial('custom and shipped generic tests run with the others, and fail with their failing rows', async (t) => {
  const r = report(await task('test', ['--json', '--retest']));
  for (const name of [
    'max_length_big_orders_label',
    'not_empty_string_big_orders_label',
    'accepted_range_big_orders_total_cents',
    'expression_is_true_big_orders',
    'unique_combination_of_columns_big_orders',
    'positive_fct_orders_order_total',
    'source_not_null_audit_run_audit_event',
    'source_accepted_values_audit_run_audit_event',
  ])
    t.is(statusOf(r.results, name), 'pass', name);
  await ws.edit(
    'sql/models/marts/_features.yml',
    (yml) => yml.replace('length: 20', 'length: 3'),
    async () => {
      const failing = report(await task('test', ['--json', '--select', 'big_orders']));
      const result = failing.results.find((x) => x.name === 'max_length_big_orders_label');
      t.is(result?.status, 'fail');
      t.regex(result?.detail ?? '', /failing row/);
    },
  );
  const unknown = await ws.edit(
    'sql/models/marts/_features.yml',
    (yml) => yml.replace('- not_empty_string', '- not_empty'),
    () => task('test'),
  );
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /\[UNKNOWN_TEST\] sql\/models\/marts\/_features\.yml: test "not_empty" on big_orders\.label is not a generic test of this project\./);
  t.regex(
    unknown.stderr,
    /accepted_range, expression_is_true, max_length, not_empty_string, not_null_proportion, positive, recency, unique_combination_of_columns/,
  );
});

test.serial('a materialized view is refreshed when its inputs change and rebuilt when its query does', async (t) => {
  const view = async () => (await ws.query('tenant_a', "select oid::int, relkind from pg_class where oid = 'public.customer_totals_mv'::regclass"))[0];
  const orders = async () => (await ws.query('tenant_a', 'select sum(orders)::int as n from customer_totals_mv'))[0].n;
  const first = await view();
  t.is(first.relkind, 'm');
  const before = await orders();
  // Its input is an incremental model, changed in place (a rebuilt table would take its dependents with it).
  await ws.edit(
    'seeds/orders.csv',
    (csv) => `${csv}99,1099,1,1,2024-02-01,1,10.00\n`,
    async () => {
      t.is(statusOf((await build()).results, 'customer_totals_mv'), 'built');
      t.is((await view()).oid, first.oid, 'refreshed in place');
      t.is(await orders(), before + 1);
      await ws.edit(
        'sql/models/marts/customer_totals_mv.sql',
        (sql) => sql.replace('as total', 'as total, max(order_id) as last_order'),
        async () => {
          await build();
          t.not((await view()).oid, first.oid, 'rebuilt');
          t.deepEqual(await ws.query('tenant_a', 'select max(last_order)::int as id from customer_totals_mv'), [{ id: 1099 }]);
        },
      );
    },
  );
  await build();
});

test.serial("incremental_strategy='merge' updates matching rows in place and inserts the others", async (t) => {
  await build(['--select', 'orders_merged', '--full-refresh']);
  const r = await build(['--select', 'tag:incremental'], { BATCH: 'second' });
  t.is(statusOf(r.results, 'orders_merged'), 'built');
  const rows = await ws.query('tenant_a', 'select count(*)::int as n, count(distinct order_id)::int as ids, min(batch) as batch from orders_merged');
  t.deepEqual(rows, [{ n: rows[0].ids, ids: rows[0].ids, batch: 'second' }]);
});

test.serial('selection: tag:, intersection, --exclude, and a criterion that matches nothing warns and exits 0', async (t) => {
  const tagged = await build(['--select', 'tag:daily', '--full-refresh']);
  t.deepEqual(
    tagged.results.filter((r) => r.kind !== 'test' && r.kind !== 'hook' && r.status !== 'skipped').map((r) => r.name),
    ['big_orders'],
  );
  const both = await build(['--select', 'marts,config.materialized:materialized_view', '--full-refresh']);
  t.deepEqual(
    both.results.filter((r) => r.status === 'built').map((r) => r.name),
    ['customer_totals_mv'],
  );
  const none = await task('run', ['--select', 'no_such_model'], {});
  t.is(none.code, 0, none.stderr);
  t.regex(none.stderr, /tenant_a: warning: The selection criterion 'no_such_model' does not match any node\./);
  t.regex(none.stderr, /warning: Nothing to do: the selection matches no model\./);
  const excluded = await build(['--select', '+big_orders', '--exclude', 'resource_type:seed', '--full-refresh']);
  t.true(excluded.results.every((r) => r.kind !== 'seed'));
  t.is(statusOf(excluded.results, 'fct_orders'), 'built');
});

test.serial('state:modified builds what changed since the last build, and what reads it with +', async (t) => {
  await build();
  await ws.edit(
    'sql/models/marts/customer_totals_mv.sql',
    (sql) => sql.replace('group by 1', 'group by 1 having count(*) > 0'),
    async () => {
      const r = await build(['--select', 'state:modified+']);
      t.deepEqual(
        r.results.filter((x) => x.kind !== 'test' && x.kind !== 'hook').map((x) => x.name),
        ['customer_totals_mv'],
      );
    },
  );
  await build();
});

test.serial('test and snapshot run on their own; a missing input names the target that builds it; seed --full-refresh reloads', async (t) => {
  const alone = await ws.task('tenant/src/test.ts', ['--tenant', 'tenant_b', '--json']);
  t.is(alone.code, 1);
  const results = report(alone).results;
  t.false(
    results.some((r) => r.kind === 'seed' || r.kind === 'model'),
    'no seed or model ran',
  );
  const missing = results.find((r) => r.status === 'error');
  t.regex(missing?.detail ?? '', /\[MISSING_RELATION\] .*: it reads (model|seed) \w+, which is not in \w+ yet\./);
  t.regex(missing?.detail ?? '', /make dbt-(run|seed) TENANT=tenant_b \(npx nx run tenant_b:(run|seed)\)/);
  const snapshot = await ws.task('tenant/src/snapshot.ts', ['--tenant', 'tenant_b', '--json']);
  t.is(snapshot.code, 1);
  t.true(report(snapshot).results.every((r) => r.kind === 'snapshot' || r.kind === 'hook'));

  const seeds = report(await task('seed', ['--json', '--full-refresh'])).results.filter((r) => r.kind === 'seed');
  t.true(seeds.length > 0 && seeds.every((r) => r.status === 'built'));
  t.true(report(await task('test', ['--json'])).ok);
});

test.serial("Python's Jinja in a model: str and list methods, {% do %}, format, tuples and tojson", async (t) => {
  const [row] = await ws.query('tenant_a', 'select * from python_semantics limit 1');
  t.deepEqual(Object.keys(row), ['order_id', 'customer_id', 'label', 'payload', 'is_staging']);
  t.like(row, { label: 'tenant_a-3', payload: '{"a": [true, null], "b": 1}', is_staging: true });
});

test.serial("dbt_utils' macros and tests, built in: date_spine, generate_surrogate_key, pivot; recency, not_null_proportion", async (t) => {
  const rows = await ws.query('tenant_a', 'select day_key, date_day::text as day, "1"::int as p1, "2"::int as p2 from utils_days order by date_day');
  t.deepEqual(
    rows.map((r) => r.day),
    // dbt_utils' date_spine gives timestamps (start date + interval), as on dbt-postgres.
    ['2024-01-10 00:00:00', '2024-01-11 00:00:00', '2024-01-12 00:00:00'],
  );
  t.true(rows.every((r) => /^[0-9a-f]{32}$/.test(r.day_key)));
  const [expected] = await ws.query(
    'tenant_a',
    "select md5(cast(coalesce(cast(timestamp '2024-01-10' as text), '_dbt_utils_surrogate_key_null_') as text)) as k",
  );
  t.is(rows[0].day_key, expected.k);
  const [lines] = await ws.query('tenant_a', "select count(*) filter (where product_id = 1)::int as p1 from fct_order_lines where order_date = '2024-01-10'");
  t.is(rows[0].p1, lines.p1);
  const r = report(await task('test', ['--json', '--retest', '--select', 'utils_days']));
  t.deepEqual(
    r.results
      .filter((x) => x.kind === 'test')
      .map((x) => `${x.name}:${x.status}`)
      .sort(),
    [
      'accepted_range_utils_days_1:pass',
      'not_null_proportion_utils_days_day_key:pass',
      'recency_utils_days:pass',
      'unique_combination_of_columns_utils_days:pass',
    ],
  );
  // The dbt_utils macros that read the database while rendering (star, union_relations, get_column_values):
  // dbt-introspection.test.ts.
});

test.serial('packages.yml: dbt_utils is built in; any other package is refused with what is', async (t) => {
  ws.write('sql/packages.yml', 'packages:\n  - package: dbt-labs/dbt_utils\n    version: [">=1.0.0"]\n');
  t.is((await task('run')).code, 0);
  ws.write('sql/packages.yml', 'packages:\n  - package: calogica/dbt_expectations\n    version: 0.10.0\n');
  const r = await task('run');
  t.is(r.code, 1);
  t.regex(
    r.stderr,
    /\[UNKNOWN_CONFIG\] sql\/packages\.yml: package "calogica\/dbt_expectations" cannot be installed here \(no downloads\), and it is not built in\./,
  );
  t.regex(r.stderr, /Built in: dbt-labs\/dbt_utils, dbt-labs\/dbt_external_tables/);
  ws.write('sql/packages.yml', 'packages: []\n');
});

test.serial('a custom schema builds into <target schema>_<custom>, as dbt names it, readable by the reader role', async (t) => {
  const [counts] = await ws.query(
    'tenant_a',
    'select (select count(*) from public_reporting.reporting_orders)::int as n, (select count(*) from fct_orders)::int as expected',
  );
  t.is(counts.n, counts.expected);
  const shown = await task('show', ['--inline', "select count(*) as n from {{ ref('reporting_orders') }}"]);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, new RegExp(`^ +${counts.n}\\n\\(1 row\\)`, 'm'));
});
