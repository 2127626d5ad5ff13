/**
 * loadProject / loadSettings / renderNode on a minimal sql/ project written to a temporary folder:
 * files become nodes, ref() calls become edges, config precedence, per-tenant seeds, and the errors
 * for broken projects. No database.
 */
import test, { type ExecutionContext } from 'ava';
import { TaskError } from '@mt/cli';
import { loadProject, relationFor, renderNode } from '../../src/project.ts';
import { loadSettings } from '../../src/config.ts';
import { parseSelector, selectNodes } from '../../src/graph.ts';
import { fakeTenant, tempWorkspace, type TempWorkspace } from './support/fixtures.ts';

const SHOP: Record<string, string> = {
  'sql/dbt_project.yml': `name: shop
profile: shop
vars:
  region: EU
  currency: EUR
models:
  shop:
    marts:
      +materialized: table
      finance:
        +materialized: incremental
seeds:
  shop:
    customers:
      +column_types:
        zip: text
snapshots:
  shop:
    +target_schema: history
`,
  'seeds/customers.csv': 'id,zip\n1,00501\n',
  'seeds/orders.csv': 'id,customer_id,total\n1,1,10\n',
  'tenants/tenant_a/seeds/orders.csv': 'id,customer_id,total\n7,1,70\n',
  'sql/models/staging/stg_orders.sql': "select * from {{ ref('orders') }}\n",
  'sql/models/marts/fct_orders.sql':
    "{{ config(materialized='incremental', unique_key='id') }}\nselect o.*, {{ var('region') | literal }} as region, {{ var('currency') | literal }} as currency\nfrom {{ ref('stg_orders') }} o join {{ ref('customers') }} c on c.id = o.customer_id\n",
  'sql/models/marts/dim_customers.sql': "select * from {{ ref('customers') }}\n",
  'sql/models/marts/finance/revenue.sql': "select sum(total) as total from {{ ref('fct_orders') }} join {{ source('stripe', 'charges') }} using (id)\n",
  'sql/models/marts/history_report.sql': "select * from {{ ref('orders_snapshot') }}\n",
  'sql/models/marts/schema.yml': `models:
  - name: dim_customers
    config:
      materialized: view
  - name: fct_orders
    config:
      materialized: view
    columns:
      - name: customer_id
        tests:
          - not_null
          - relationships:
              to: ref('customers')
              field: id
sources:
  - name: stripe
    schema: raw_stripe
    tables:
      - name: charges
        identifier: charges_v2
`,
  'sql/snapshots/orders_snapshot.sql': "{{ config(unique_key='id', strategy='check', check_cols='all') }}\nselect * from {{ ref('stg_orders') }}\n",
  'sql/tests/assert_positive_totals.sql': "select * from {{ ref('fct_orders') }} where total < 0\n",
};

/** SHOP, written once and only read by the tests that load it unchanged. */
let shop: TempWorkspace;
test.before(() => {
  shop = tempWorkspace(SHOP);
});
test.after.always(() => shop?.cleanup());
const loadShop = (vars: Record<string, unknown> = {}) => loadProject(shop.root, fakeTenant(shop.root, 'tenant_a', vars), {});

/** Loads `base` (SHOP by default) with `changes` applied, from a folder removed after the test. */
function load(t: ExecutionContext, changes: Record<string, string>, base: Record<string, string> = SHOP) {
  const ws = tempWorkspace({ ...base, ...changes });
  t.teardown(() => ws.cleanup());
  return loadProject(ws.root, fakeTenant(ws.root), {});
}
const ids = (set: Iterable<string>) => [...set].sort();

/** The smallest project for error cases: one seed and one model. */
const TINY: Record<string, string> = { 'seeds/orders.csv': 'id\n1\n', 'sql/models/stg_orders.sql': "select * from {{ ref('orders') }}\n" };

test('every seed, model, snapshot and test becomes a node whose parents are its ref() targets, sorted', (t) => {
  const project = loadShop();
  const edges = Object.fromEntries([...project.nodes.values()].map((n) => [n.id, n.dependsOn]));
  t.deepEqual(edges, {
    'seed.customers': [],
    'seed.orders': [],
    'model.dim_customers': ['seed.customers'],
    'model.fct_orders': ['model.stg_orders', 'seed.customers'],
    'model.history_report': ['snapshot.orders_snapshot'],
    'model.revenue': ['model.fct_orders'],
    'model.stg_orders': ['seed.orders'],
    'snapshot.orders_snapshot': ['model.stg_orders'],
    'test.assert_positive_totals': ['model.fct_orders'],
    'test.not_null_fct_orders_customer_id': ['model.fct_orders'],
    'test.relationships_fct_orders_customer_id': ['model.fct_orders', 'seed.customers'],
  });
  t.deepEqual([...project.byName.keys()].sort(), [
    'customers',
    'dim_customers',
    'fct_orders',
    'history_report',
    'orders',
    'orders_snapshot',
    'revenue',
    'stg_orders',
  ]);
});

test('rendered SQL uses the project schema, the snapshot schema for snapshots, declared source identifiers and vars', (t) => {
  const { nodes } = loadShop();
  t.is(nodes.get('model.revenue')?.sql, 'select sum(total) as total from "public"."fct_orders" join "raw_stripe"."charges_v2" using (id)\n');
  t.is(nodes.get('model.history_report')?.sql, 'select * from "history"."orders_snapshot"\n');
  t.is(
    nodes.get('model.fct_orders')?.sql,
    '\nselect o.*, \'EU\' as region, \'EUR\' as currency\nfrom "public"."stg_orders" o join "public"."customers" c on c.id = o.customer_id\n',
  );
  t.is(nodes.get('test.not_null_fct_orders_customer_id')?.sql, 'select * from "public"."fct_orders" where "customer_id" is null');
});

test('tenant vars override project vars', (t) => {
  const { nodes } = loadShop({ region: 'APAC' });
  t.regex(nodes.get('model.fct_orders')?.sql ?? '', /'APAC' as region, 'EUR' as currency/);
});

test('materialized: view by default < folder defaults (nested folders too) < YAML config < config() in the file', (t) => {
  const { nodes } = loadShop();
  const materialized = (name: string) => nodes.get(`model.${name}`)?.config.materialized;
  t.is(materialized('stg_orders'), 'view', 'default');
  t.is(materialized('history_report'), 'table', 'models.marts');
  t.is(materialized('revenue'), 'incremental', 'models.marts.finance');
  t.is(materialized('dim_customers'), 'view', 'schema.yml beats the folder');
  t.is(materialized('fct_orders'), 'incremental', 'config() beats schema.yml');
  t.deepEqual(nodes.get('snapshot.orders_snapshot')?.config, { unique_key: 'id', strategy: 'check', check_cols: 'all' });
  t.deepEqual(nodes.get('test.assert_positive_totals')?.config, { severity: 'error' });
});

test("a tenant's seeds/<name>.csv replaces the shared seed of that name; column_types come from dbt_project.yml", (t) => {
  const { nodes } = loadShop();
  t.is(nodes.get('seed.orders')?.file, 'tenants/tenant_a/seeds/orders.csv');
  t.is(nodes.get('seed.customers')?.file, 'seeds/customers.csv');
  t.deepEqual(nodes.get('seed.customers')?.config, { column_types: { zip: 'text' } });
});

test('checksums are stable across loads and change only for the nodes whose content changed', (t) => {
  const a = loadShop();
  const b = loadShop();
  const c = loadShop({ region: 'APAC' });
  const sums = (p: typeof a) => Object.fromEntries([...p.nodes.values()].map((n) => [n.id, n.checksum]));
  t.deepEqual(sums(a), sums(b));
  const changed = Object.keys(sums(a)).filter((id) => sums(a)[id] !== sums(c)[id]);
  t.deepEqual(changed, ['model.fct_orders']);
  t.regex(sums(a)['model.fct_orders'], /^[0-9a-f]{64}$/);
});

test('renderNode renders the is_incremental() branch on demand without changing the loaded node', (t) => {
  const project = load(t, {
    'sql/models/marts/finance/revenue.sql': 'select 1{% if is_incremental() %} where id > (select max(id) from {{ this }}){% endif %}\n',
  });
  const node = project.nodes.get('model.revenue')!;
  t.deepEqual(renderNode(project, node, true), { sql: 'select 1 where id > (select max(id) from "public"."revenue")\n', config: {}, refs: [], sources: [] });
  t.is(node.sql, 'select 1\n');
});

test('a ref() cycle across files fails as the project loads, with the files involved', (t) => {
  // A model renders the models it refs first (to know whether they are ephemeral): the cycle shows there.
  t.throws(() => load(t, { 'sql/models/staging/stg_orders.sql': "select * from {{ ref('fct_orders') }}\n" }), {
    code: 'REF_CYCLE',
    message: 'ref() cycle: fct_orders -> stg_orders -> fct_orders (sql/models/marts/fct_orders.sql, sql/models/staging/stg_orders.sql).',
  });
});

test('ref() to a missing name is UNKNOWN_REF at its line, with the closest names as a suggestion', (t) => {
  const err = t.throws(() => load(t, { 'sql/models/dim_customers.sql': "select 1 as id\nfrom {{ ref('stg_order') }}\n" }, TINY), { instanceOf: TaskError });
  t.is(err?.code, 'UNKNOWN_REF');
  t.is(err?.message, `sql/models/dim_customers.sql:2: ref('stg_order') points to nothing: there is no model, seed or snapshot named "stg_order".`);
  t.is(err?.hint, "Did you mean 'stg_orders'?");
  const far = t.throws(() => load(t, { 'sql/models/dim_customers.sql': "select * from {{ ref('zzzz_unrelated') }}\n" }, TINY), { instanceOf: TaskError });
  t.is(far?.hint, 'Check the name against the files in sql/models, sql/snapshots and seeds.');
});

test('ref() to a missing name reports the line of that ref() call, not the first line where the name appears', (t) => {
  const err = t.throws(
    () =>
      load(
        t,
        {
          'sql/models/dim_customers.sql':
            "select * from {{ ref('orders') }}\n-- {# ref('order') #} in a comment does not count\njoin {{ ref('shop', 'order') }} using (id)\n",
        },
        TINY,
      ),
    {
      instanceOf: TaskError,
    },
  );
  t.is(err?.message, `sql/models/dim_customers.sql:3: ref('order') points to nothing: there is no model, seed or snapshot named "order".`);
  const multiline = t.throws(() => load(t, { 'sql/models/dim_customers.sql': "select 'order' as kind\nfrom {{\n  ref(\n    'order'\n  )\n}}\n" }, TINY), {
    instanceOf: TaskError,
  });
  t.regex(multiline?.message ?? '', /^sql\/models\/dim_customers\.sql:3: ref\('order'\)/, 'the line where the call starts');
  const computed = t.throws(() => load(t, { 'sql/models/dim_customers.sql': "{% set name = 'order' %}\nselect * from {{ ref(name) }}\n" }, TINY), {
    instanceOf: TaskError,
  });
  t.regex(computed?.message ?? '', /^sql\/models\/dim_customers\.sql: ref\('order'\)/, 'no line rather than a wrong one when the name is computed');
});

test('the same generic test in two YAML files, or a generic test named like a singular test, keeps both (numbered past the taken name)', (t) => {
  const yml = (column: string) => `models:\n  - name: stg_orders\n    columns:\n      - name: ${column}\n        tests:\n          - not_null\n`;
  const project = load(
    t,
    {
      'sql/models/a.yml': yml('id'),
      'sql/models/b.yml': yml('id'),
      'sql/tests/not_null_stg_orders_total.sql': "select 1 from {{ ref('stg_orders') }} where false\n",
      'sql/models/c.yml': yml('total'),
    },
    TINY,
  );
  const tests = [...project.nodes.values()].filter((n) => n.kind === 'test').map((n) => [n.name, n.file, n.generic?.column ?? null]);
  t.deepEqual(tests, [
    ['not_null_stg_orders_total', 'sql/tests/not_null_stg_orders_total.sql', null],
    ['not_null_stg_orders_id', 'sql/models/a.yml', 'id'],
    ['not_null_stg_orders_id_2', 'sql/models/b.yml', 'id'],
    ['not_null_stg_orders_total_2', 'sql/models/c.yml', 'total'],
  ]);
});

test('two singular tests with one name (in different folders of sql/tests) are DUPLICATE_NODE naming both files', (t) => {
  const err = t.throws(
    () => load(t, { 'sql/tests/finance/assert_positive.sql': 'select 1 where false\n', 'sql/tests/sales/assert_positive.sql': 'select 2 where false\n' }, TINY),
    { instanceOf: TaskError },
  );
  t.is(err?.code, 'DUPLICATE_NODE');
  t.is(err?.message, 'Two tests are named "assert_positive": sql/tests/finance/assert_positive.sql and sql/tests/sales/assert_positive.sql.');
  t.is(err?.hint, 'Test names are unique in the project, whatever folder of sql/tests they are in: rename one of the files.');
});

test("a singular test's config(severity=…) is warn or error in any case; anything else is INVALID_CONFIG", (t) => {
  const project = load(t, { 'sql/tests/assert_warned.sql': "{{ config(severity='WARN') }}select 1 where false\n" }, TINY);
  t.deepEqual(project.nodes.get('test.assert_warned')?.config, { severity: 'warn' });
  t.throws(() => load(t, { 'sql/tests/assert_fatal.sql': "{{ config(severity='fatal') }}select 1 where false\n" }, TINY), {
    instanceOf: TaskError,
    code: 'INVALID_CONFIG',
    message: 'sql/tests/assert_fatal.sql: severity="fatal" is not supported; use warn or error.',
  });
});

test('two nodes with one name (a seed and a model) are DUPLICATE_NODE naming both files', (t) => {
  t.throws(() => load(t, { 'sql/models/staging/orders.sql': 'select 1\n' }, TINY), {
    code: 'DUPLICATE_NODE',
    message: 'Two nodes are named "orders": seeds/orders.csv and sql/models/staging/orders.sql.',
  });
});

test('file names that are not lowercase identifiers are INVALID_NODE_NAME', (t) => {
  t.throws(() => load(t, { 'sql/models/staging/Stg-Payments.sql': 'select 1\n' }, TINY), {
    code: 'INVALID_NODE_NAME',
    message: 'sql/models/staging/Stg-Payments.sql: "Stg-Payments" is not a valid relation name (lowercase letters, digits and _, starting with a letter).',
  });
});

test('an unsupported materialization, strategy or schema-change policy is INVALID_CONFIG', (t) => {
  t.throws(() => load(t, { 'sql/models/stg_orders.sql': "{{ config(materialized='snapshot') }}select 1\n" }, TINY), {
    code: 'INVALID_CONFIG',
    message: "sql/models/stg_orders.sql: materialized='snapshot' is not supported.",
  });
  const err = t.throws(() => load(t, { 'sql/models/stg_orders.sql': "{{ config(materialized='snapshot') }}select 1\n" }, TINY));
  t.is((err as TaskError).hint, 'Use view, table, incremental, ephemeral, materialized_view.');
  t.throws(() => load(t, { 'sql/models/stg_orders.sql': "{{ config(materialized='incremental', incremental_strategy='upsert') }}select 1\n" }, TINY), {
    message: "sql/models/stg_orders.sql: incremental_strategy='upsert' is not supported.",
  });
  t.throws(() => load(t, { 'sql/models/stg_orders.sql': "{{ config(materialized='incremental', incremental_strategy='merge') }}select 1\n" }, TINY), {
    message: "sql/models/stg_orders.sql: incremental_strategy='merge' needs a unique_key: which rows of the table a new row replaces.",
  });
  t.throws(() => load(t, { 'sql/models/stg_orders.sql': "{{ config(materialized='incremental', on_schema_change='sync') }}select 1\n" }, TINY), {
    message: "sql/models/stg_orders.sql: on_schema_change='sync' is not supported.",
  });
  t.throws(() => load(t, { 'sql/models/stg_orders.sql': '{{ config(post_hook=[1]) }}select 1\n' }, TINY), {
    message: 'sql/models/stg_orders.sql: post_hook holds 1; it takes text (or a list of texts).',
  });
});

test('YAML about a model without SQL, an undeclared source and a relationships test to nowhere are refused', (t) => {
  t.throws(() => load(t, { 'sql/models/extra.yml': 'models:\n  - name: ghost\n' }, TINY), {
    code: 'UNKNOWN_MODEL',
    message: 'sql/models/extra.yml: describes model "ghost", but there is no sql/models/**/ghost.sql.',
  });
  t.throws(() => load(t, { 'sql/models/stg_orders.sql': "select * from {{ source('stripe', 'refunds') }}\n" }, TINY), {
    code: 'UNKNOWN_SOURCE',
    message: "sql/models/stg_orders.sql: source('stripe', 'refunds') is not declared in any sql/models/**/*.yml \"sources:\" block or sql/sources/*.yml.",
  });
  const yml =
    "models:\n  - name: stg_orders\n    columns:\n      - name: customer_id\n        tests:\n          - relationships:\n              to: ref('clients')\n              field: id\n";
  t.throws(() => load(t, { 'sql/models/staging/schema.yml': yml }, TINY), {
    code: 'UNKNOWN_REF',
    message: 'sql/models/staging/schema.yml: relationships test on stg_orders.customer_id points to "clients", which does not exist.',
  });
});

test('loadSettings: defaults without dbt_project.yml; names must be lowercase identifiers; YAML errors carry line:column', (t) => {
  const empty = tempWorkspace();
  t.teardown(() => empty.cleanup());
  t.deepEqual(loadSettings(empty.root), {
    name: 'project',
    schema: 'public',
    paths: {
      models: ['sql/models'],
      seeds: ['seeds'],
      snapshots: ['sql/snapshots'],
      tests: ['sql/tests'],
      macros: ['sql/macros'],
      analyses: ['sql/analyses'],
    },
    snapshotSchema: 'snapshots',
    folderConfig: {},
    testConfig: {},
    seedColumnTypes: {},
    vars: {},
    onRunStart: [],
    onRunEnd: [],
  });
  t.throws(() => load(t, { 'sql/dbt_project.yml': 'name: Shop\n' }, TINY), {
    code: 'INVALID_PROJECT',
    message: 'sql/dbt_project.yml: "name" must be a lowercase identifier.',
  });
  t.throws(() => load(t, { 'sql/dbt_project.yml': 'name: shop\nsnapshots:\n  shop:\n    +target_schema: "a;drop"\n' }, TINY), {
    code: 'INVALID_PROJECT',
    message: /snapshots\.shop\.\+target_schema must be a lowercase identifier, found "a;drop"/,
  });
  t.throws(() => load(t, { 'sql/dbt_project.yml': 'name: shop\nvars:\n  a: 1\n b: 2\n' }, TINY), {
    code: 'INVALID_YAML',
    message: /^sql\/dbt_project\.yml:\d+:\d+: /,
  });
});

test('dbt_project.yml: every problem at once, unknown keys with the closest known one; dbt-only keys accepted; the old project.yml refused', (t) => {
  const err = t.throws(() =>
    load(t, { 'sql/dbt_project.yml': 'name: shop\nprofile: shop\nmodel-path: [models]\nmacro-paths: [../macros]\nvars: [1]\n' }, TINY),
  );
  t.is(
    (err as TaskError).message,
    'sql/dbt_project.yml has 3 problems:\n' +
      '  - "vars" must be a mapping\n' +
      '  - unknown key "model-path" (did you mean "model-paths"?)\n' +
      '  - "macro-paths": ../macros is outside sql/; each kind of file needs a folder of its own in sql/',
  );
  t.notThrows(() =>
    load(t, { 'sql/dbt_project.yml': 'name: shop\nprofile: shop\ntarget-path: target\nclean-targets: [target]\nmodel-paths: ["models/"]\n' }, TINY),
  );
  t.throws(() => load(t, { 'sql/project.yml': 'name: shop\n' }, TINY), { code: 'INVALID_PROJECT', message: /sql\/project\.yml is the old project file/ });
  t.throws(() => load(t, { 'sql/dbt_project.yml': 'name: shop\nmodels:\n  dbt_utils:\n    +materialized: table\n' }, TINY), {
    code: 'UNKNOWN_CONFIG',
    message: 'sql/dbt_project.yml: models.dbt_utils is not this project (shop), so its settings would apply to nothing.',
  });
  t.throws(() => load(t, { 'sql/dbt_project.yml': 'name: shop\nseeds:\n  shop:\n    order:\n      +column_types: { id: bigint }\n' }, TINY), {
    code: 'UNKNOWN_CONFIG',
    message: 'sql/dbt_project.yml: seeds.shop.order is no seed of seeds/, so its settings would apply to nothing.',
  });
});

test('model YAML: a misspelt key is refused instead of dropping its tests; dbt documentation keys are accepted', (t) => {
  const yaml = (columns: string) => ({
    ...TINY,
    'sql/models/schema.yml': `version: 2\nmodels:\n  - name: stg_orders\n    description: Orders.\n    meta: { owner: data }\n    ${columns}\n`,
  });
  const project = load(t, {}, yaml('columns:\n      - name: id\n        description: Key.\n        data_type: integer\n        tests: [unique, not_null]'));
  t.deepEqual([...project.nodes.keys()].filter((id) => id.startsWith('test.')).sort(), ['test.not_null_stg_orders_id', 'test.unique_stg_orders_id']);
  t.throws(() => load(t, {}, yaml('colums:\n      - name: id\n        tests: [unique]')), {
    code: 'INVALID_MODEL_YAML',
    message:
      'sql/models/schema.yml: unknown key "models.0.colums" (did you mean "columns"?) (known: name, description, meta, docs, tags, config, columns, tests, data_tests).',
  });
  t.throws(() => load(t, {}, { ...TINY, 'sql/models/schema.yml': 'models:\n  - name: stg_orders\n    columns:\n      - tests: [unique]\n' }), {
    code: 'INVALID_MODEL_YAML',
    message: 'sql/models/schema.yml: "models.0.columns.0.name" is missing.',
  });
});

test('dbt_project.yml models: a folder that does not exist, or a key no model reads, is refused with the close match', (t) => {
  const yml = (models: string) => ({ 'sql/dbt_project.yml': `name: shop\nvars:\n  region: EU\n  currency: EUR\nmodels:\n  shop:\n${models}` });
  t.throws(() => load(t, yml('    marts:\n      +materialized: table\n      finanse:\n        +materialized: incremental\n')), {
    code: 'UNKNOWN_CONFIG',
    message: 'sql/dbt_project.yml: models.shop.marts.finanse is no folder of sql/models/marts, so it would be ignored.',
  });
  const typo = t.throws(() => load(t, yml('    marts:\n      +materialized: table\n      finanse:\n        +materialized: incremental\n')));
  t.is((typo as TaskError).hint, 'Did you mean "finance"? Folders there: finance.');
  const alias = t.throws(() => load(t, yml('    staging:\n      +sql_header: "set x = 1"\n')));
  t.is(
    (alias as TaskError).message,
    'sql/dbt_project.yml: models.shop.staging.+sql_header is not a model config key this engine reads, so it would be ignored.',
  );
  t.is(
    (alias as TaskError).hint,
    'A model takes: materialized, schema, alias, unique_key, incremental_strategy, on_schema_change, pre_hook, post_hook, tags, enabled.',
  );
  t.notThrows(() => load(t, yml('    staging:\n      materialized: view\n    marts:\n      finance:\n        +on_schema_change: append_new_columns\n')));
});

test('config levels: folder < YAML < config(), except tags and hooks, which add up; dbt spellings (+key, pre-hook) accepted', (t) => {
  const project = load(
    t,
    {
      'sql/dbt_project.yml': 'name: p\nmodels:\n  p:\n    staging:\n      +materialized: table\n      tags: [staging]\n      pre-hook: "select \'folder\'"\n',
      'sql/models/staging/stg_orders.sql': "{{ config(materialized='view', tags=['daily'], post_hook=\"select 'file'\") }}select * from {{ ref('orders') }}\n",
      'sql/models/staging/schema.yml': 'models:\n  - name: stg_orders\n    config:\n      tags: finance\n      materialized: incremental\n',
      'seeds/orders.csv': 'id\n1\n',
    },
    {},
  );
  const { config } = project.nodes.get('model.stg_orders')!;
  t.is(config.materialized, 'view');
  t.deepEqual(config.tags, ['staging', 'finance', 'daily']);
  t.deepEqual(config.pre_hook, ["select 'folder'"]);
  t.deepEqual(config.post_hook, ["select 'file'"]);
});

test("an ephemeral model is inlined as a CTE: into the query's own WITH (after its comments), or a WITH of its own", (t) => {
  const project = load(
    t,
    {
      'seeds/orders.csv': 'id\n1\n',
      'sql/models/base.sql': "{{ config(materialized='ephemeral') }}select * from {{ ref('orders') }}",
      'sql/models/with_cte.sql': "-- a comment\nWITH x as (select 1) select * from x, {{ ref('base') }}",
      'sql/models/plain.sql': "select * from {{ ref('base') }}",
    },
    {},
  );
  const sql = (name: string) => project.nodes.get(`model.${name}`)!.sql;
  t.is(sql('with_cte'), '-- a comment\nWITH "__dbt__cte__base" as (\nselect * from "public"."orders"\n),\nx as (select 1) select * from x, "__dbt__cte__base"');
  t.is(sql('plain'), 'with "__dbt__cte__base" as (\nselect * from "public"."orders"\n)\nselect * from "__dbt__cte__base"');
  t.deepEqual(project.nodes.get('model.plain')!.dependsOn, ['model.base']);
  t.throws(
    () =>
      load(t, {
        'seeds/orders.csv': 'id\n1\n',
        'sql/models/base.sql': "{{ config(materialized='ephemeral') }}select 1",
        'sql/models/s.yml': 'models:\n  - name: base\n    columns:\n      - name: id\n        tests: [unique]\n',
      }),
    {
      code: 'INVALID_TEST',
      message: /unique tests base, which is ephemeral: it has no relation to test/,
    },
  );
});

test("{% snapshot %} blocks: one snapshot each, named by the block, in its target_schema; lines stay the file's", (t) => {
  const snapshots =
    "-- history\n{% snapshot orders_history %}\n{{ config(target_schema='history', unique_key='id', strategy='check', check_cols='all', invalidate_hard_deletes=True) }}\nselect * from {{ ref('orders') }}\n{% endsnapshot %}\n\n{% snapshot orders_copy %}\nselect * from {{ ref('orders') }}\n{% endsnapshot %}\n";
  const project = load(t, { 'seeds/orders.csv': 'id\n1\n', 'sql/snapshots/orders.sql': snapshots }, {});
  const history = project.nodes.get('snapshot.orders_history')!;
  t.like(history.config, { target_schema: 'history', hard_deletes: 'invalidate' });
  t.is(relationFor(project, history), '"history"."orders_history"');
  t.is(relationFor(project, project.nodes.get('snapshot.orders_copy')!), '"snapshots"."orders_copy"');
  t.is(history.sql!.split('\n')[3], 'select * from "public"."orders"', 'the query on its line of the file');
  t.throws(() => load(t, { 'seeds/orders.csv': 'id\n1\n', 'sql/snapshots/orders.sql': '\n{% snapshot x %}\nselect 1\n' }, {}), {
    code: 'TEMPLATE_ERROR',
    message: 'sql/snapshots/orders.sql:2: a {% snapshot name %} block without its {% endsnapshot %}.',
  });
});

test("generate_schema_name: a custom schema is appended to the target's (dbt's rule), or whatever the project's macro says", (t) => {
  const files = {
    'seeds/orders.csv': 'id\n1\n',
    'sql/models/finance/revenue.sql': "{{ config(schema='finance') }}select * from {{ ref('orders') }}",
    'sql/models/report.sql': "select * from {{ ref('revenue') }}",
  };
  const dbt = load(t, files, {});
  t.is(relationFor(dbt, dbt.nodes.get('model.revenue')!), '"public_finance"."revenue"');
  t.is(dbt.nodes.get('model.report')!.sql, 'select * from "public_finance"."revenue"');
  const plain = load(
    t,
    {
      ...files,
      'sql/macros/schemas.sql':
        '{% macro generate_schema_name(custom_schema_name, node) -%}{{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}{%- endmacro %}',
    },
    {},
  );
  t.is(relationFor(plain, plain.nodes.get('model.revenue')!), '"finance"."revenue"');
  t.is(relationFor(plain, plain.nodes.get('model.report')!), '"public"."report"');
  t.throws(() => load(t, { ...files, 'sql/macros/schemas.sql': '{% macro generate_schema_name(custom_schema_name, node) %} {% endmacro %}' }, {}), {
    code: 'INVALID_CONFIG',
    message: 'sql/macros/schemas.sql:1: generate_schema_name gave "" for sql/models/finance/revenue.sql, which cannot be a schema name.',
  });
});

test("env_var('TENANT_NAME') is the tenant being built, as the original's dbt saw it, whatever the environment says", (t) => {
  const ws = tempWorkspace({
    'seeds/orders.csv': 'id\n1\n',
    'sql/models/who.sql': "select {{ env_var('TENANT_NAME') | literal }} as tenant, {{ env_var('REGION', 'eu') | literal }} as region",
  });
  t.teardown(() => ws.cleanup());
  const project = loadProject(ws.root, fakeTenant(ws.root, 'tenant_b'), { TENANT_NAME: 'tenant_a', REGION: 'us' });
  t.is(project.nodes.get('model.who')!.sql, "select 'tenant_b' as tenant, 'us' as region");
});

test("dbt's path keys: models, snapshots, tests, macros and seeds in folders of sql/ named by dbt_project.yml, folder config and fqn relative to them", (t) => {
  const project = load(
    t,
    {
      'sql/dbt_project.yml': [
        'name: shop',
        'model-paths: [transform, more/models]',
        'snapshot-paths: [history]',
        'test-paths: [checks]',
        'macro-paths: [lib]',
        'seed-paths: [data]',
        'models:',
        '  shop:',
        '    marts: { +materialized: table, +tags: [marts] }',
        'seeds:',
        '  shop:',
        '    orders: { +column_types: { id: bigint } }',
        '',
      ].join('\n'),
      'sql/data/orders.csv': 'id\n1\n',
      'sql/transform/staging/stg_orders.sql': "select {{ double('id') }} as id from {{ ref('orders') }}\n",
      'sql/more/models/marts/revenue.sql': "select * from {{ ref('stg_orders') }}\n",
      'sql/transform/schema.yml': 'version: 2\nmodels:\n  - name: revenue\n    columns:\n      - name: id\n        tests: [positive]\n',
      'sql/history/orders_snapshot.sql':
        "{% snapshot orders_snapshot %}{{ config(unique_key='id', strategy='check', check_cols='all') }}select * from {{ ref('orders') }}{% endsnapshot %}\n",
      'sql/checks/assert_some.sql': "select * from {{ ref('revenue') }} where id is null\n",
      'sql/checks/generic/positive.sql': '{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}\n',
      'sql/lib/double.sql': '{% macro double(x) %}{{ x }} * 2{% endmacro %}\n',
    },
    {},
  );
  t.deepEqual([...project.nodes.keys()].sort(), [
    'model.revenue',
    'model.stg_orders',
    'seed.orders',
    'snapshot.orders_snapshot',
    'test.assert_some',
    'test.positive_revenue_id',
  ]);
  t.is(project.nodes.get('seed.orders')!.file, 'sql/data/orders.csv');
  t.deepEqual(project.nodes.get('seed.orders')!.config.column_types, { id: 'bigint' });
  t.regex(project.nodes.get('model.stg_orders')!.sql!, /select id \* 2 as id from "public"\."orders"/);
  t.is(project.nodes.get('model.revenue')!.config.materialized, 'table');
  t.is(project.nodes.get('model.stg_orders')!.config.materialized, 'view');
  t.deepEqual(ids(selectNodes(project, parseSelector(['shop.marts'])).ids), ['model.revenue', 'test.assert_some', 'test.positive_revenue_id']);
});

test('path keys may not leave sql/, take in sql/aurora or sql/sources, overlap, or move the analyses (each one a target)', (t) => {
  const err = t.throws(() =>
    load(
      t,
      {
        'sql/dbt_project.yml':
          'name: shop\nmodel-paths: [".", x]\nsnapshot-paths: [x/snaps]\ntest-paths: [sources]\nanalysis-paths: [reports]\nseed-paths: [../tenants]\n',
      },
      TINY,
    ),
  );
  t.is(
    (err as TaskError).message,
    'sql/dbt_project.yml has 5 problems:\n' +
      '  - "model-paths": . is sql/ itself; each kind of file needs a folder of its own in sql/\n' +
      '  - "seed-paths": ../tenants is outside sql/; each kind of file needs a folder of its own in sql/ (or ../seeds)\n' +
      '  - "snapshot-paths": x/snaps overlaps "model-paths" (sql/x): a folder holds one kind of file\n' +
      '  - "test-paths": sources would take in sql/sources, which is not part of the dbt project\n' +
      '  - "analysis-paths": reports: analyses stay in sql/analyses here, where each file is a target of every tenant (make analysis-<name>)',
  );
});

test('properties YAML beside seeds and snapshots: their columns, config and tests, as dbt reads them; documentation-only sections accepted', (t) => {
  const project = load(
    t,
    {
      'sql/dbt_project.yml': 'name: shop\nseed-paths: [seeds]\n',
      'sql/seeds/orders.csv': 'id,zip\n1,00501\n',
      'sql/seeds/properties.yml': [
        'version: 2',
        'seeds:',
        '  - name: orders',
        '    description: Raw orders.',
        '    config: { column_types: { zip: text }, tags: [raw] }',
        '    columns:',
        '      - name: id',
        '        tests: [unique, not_null]',
        'exposures:',
        '  - name: dashboard',
        '    type: dashboard',
        '    owner: { name: Data }',
        'macros:',
        '  - name: cents',
        '    description: Money in cents.',
        '',
      ].join('\n'),
      'sql/models/stg_orders.sql': "select * from {{ ref('orders') }}\n",
      'sql/snapshots/orders_snapshot.sql':
        "{% snapshot orders_snapshot %}{{ config(unique_key='id', strategy='check', check_cols='all') }}select * from {{ ref('orders') }}{% endsnapshot %}\n",
      'sql/snapshots/snapshots.yml': 'version: 2\nsnapshots:\n  - name: orders_snapshot\n    columns:\n      - name: id\n        tests: [not_null]\n',
    },
    {},
  );
  const seed = project.nodes.get('seed.orders')!;
  t.deepEqual(seed.config.column_types, { zip: 'text' });
  t.deepEqual(seed.config.tags, ['raw']);
  t.is(seed.description, 'Raw orders.');
  t.deepEqual(ids([...project.nodes.keys()].filter((id) => id.startsWith('test.'))), [
    'test.not_null_orders_id',
    'test.not_null_orders_snapshot_id',
    'test.unique_orders_id',
  ]);
  t.regex(project.nodes.get('test.not_null_orders_snapshot_id')!.sql!, /"snapshots"\."orders_snapshot"/);
  t.deepEqual(project.nodes.get('test.unique_orders_id')!.dependsOn, ['seed.orders']);
  const typed = load(
    t,
    { 'sql/seeds/properties.yml': 'version: 2\nseeds:\n  - name: orders\n    config: { column_types: { zip: integer } }\n' },
    {
      'sql/dbt_project.yml': 'name: shop\nseed-paths: [seeds]\n',
      'sql/seeds/orders.csv': 'id,zip\n1,00501\n',
    },
  );
  t.not(typed.nodes.get('seed.orders')!.checksum, seed.checksum, 'changed column types reload the seed');
  t.throws(
    () =>
      load(
        t,
        { 'sql/seeds/properties.yml': 'version: 2\nseeds:\n  - name: order\n' },
        { 'sql/dbt_project.yml': 'name: shop\nseed-paths: [seeds]\n', 'sql/seeds/orders.csv': 'id\n1\n' },
      ),
    { code: 'UNKNOWN_MODEL', message: 'sql/seeds/properties.yml: describes seed "order", but there is no sql/seeds/**/order.csv.' },
  );
  t.throws(
    () =>
      load(
        t,
        { 'sql/seeds/properties.yml': 'version: 2\nseeds:\n  - name: orders\n    config: { delimiter: ";" }\n' },
        { 'sql/dbt_project.yml': 'name: shop\nseed-paths: [seeds]\n', 'sql/seeds/orders.csv': 'id\n1\n' },
      ),
    { code: 'UNKNOWN_CONFIG', message: /sql\/seeds\/properties\.yml, seed orders: config key "delimiter" is not one this engine reads for a seed/ },
  );
});

test('enabled: false takes a node and the tests on it out of the project (folder, YAML or config()); a node still depending on it is refused', (t) => {
  const files = {
    'sql/dbt_project.yml': 'name: shop\nseed-paths: [../seeds]\nmodels:\n  shop:\n    legacy: { +enabled: false }\n',
    'sql/models/legacy/old_orders.sql': "select * from {{ ref('orders') }}\n",
    'sql/models/draft.sql': "{{ config(enabled=false) }}select * from {{ ref('orders') }}\n",
    'sql/models/schema.yml':
      'version: 2\nmodels:\n  - name: draft\n    columns:\n      - name: id\n        tests: [unique]\n  - name: stg_orders\n    config: { enabled: true }\n',
  };
  const project = load(t, files, TINY);
  t.deepEqual(ids(project.nodes.keys()), ['model.stg_orders', 'seed.orders']);
  t.false(project.byName.has('draft'));
  const err = t.throws(() => load(t, { ...files, 'sql/models/report.sql': "select * from {{ ref('draft') }}\n" }, TINY));
  t.is((err as TaskError).message, 'sql/models/report.sql: model report depends on model draft, which is disabled (enabled: false, sql/models/draft.sql).');
});

test('dbt config keys that change nothing here (meta, docs, grants, persist_docs, quote_columns, …) are accepted wherever config is written', (t) => {
  const project = load(
    t,
    {
      'sql/dbt_project.yml':
        'name: shop\nseed-paths: [../seeds]\nmodels:\n  shop:\n    +persist_docs: { relation: true }\n    +grants: { select: [reporter] }\nseeds:\n  shop:\n    +quote_columns: false\n    orders:\n      +meta: { owner: data }\n',
      'sql/models/stg_orders.sql': "{{ config(meta={'owner': 'data'}, docs={'show': true}) }}select * from {{ ref('orders') }}\n",
      'sql/models/schema.yml': 'version: 2\nmodels:\n  - name: stg_orders\n    config: { contract: { enforced: false } }\n',
    },
    TINY,
  );
  t.deepEqual(ids(project.nodes.keys()), ['model.stg_orders', 'seed.orders']);
  t.throws(() => load(t, { 'sql/models/stg_orders.sql': "{{ config(materialised='table') }}select 1\n" }, TINY), { code: 'UNKNOWN_CONFIG' });
});

test("a source on a seed's table is that seed (built first, its changes seen); other sources stay untracked; the schema is part of the checksum", (t) => {
  const files = {
    'sql/dbt_project.yml': 'name: shop\nseed-paths: [../seeds]\n',
    'sql/models/sources.yml':
      'version: 2\nsources:\n  - name: raw\n    schema: public\n    tables:\n      - name: orders\n        columns:\n          - name: id\n            tests: [unique]\n      - name: events\n',
    'sql/models/stg_orders.sql': "select * from {{ source('raw', 'orders') }} join {{ source('raw', 'events') }} using (id)\n",
  };
  const project = load(t, files, TINY);
  const model = project.nodes.get('model.stg_orders')!;
  t.deepEqual(model.dependsOn, ['seed.orders']);
  t.deepEqual(model.untrackedSources, ['raw.events']);
  const test = project.nodes.get('test.source_unique_raw_orders_id')!;
  t.deepEqual(test.dependsOn, ['seed.orders']);
  t.is(test.untrackedSources, undefined);
  const custom = load(t, { ...files, 'sql/models/stg_orders.sql': "{{ config(schema='staging') }}select 1 as id\n" }, TINY).nodes.get('model.stg_orders')!;
  const renamed = load(
    t,
    {
      ...files,
      'sql/models/stg_orders.sql': "{{ config(schema='staging') }}select 1 as id\n",
      'sql/macros/schema.sql': '{% macro generate_schema_name(custom_schema_name, node) %}{{ custom_schema_name }}{% endmacro %}',
    },
    TINY,
  ).nodes.get('model.stg_orders')!;
  t.is(custom.schema, 'public_staging');
  t.is(renamed.schema, 'staging');
  t.not(custom.checksum, renamed.checksum, 'built elsewhere, so built again');
});

test("alias: ref() takes the node's name and gives the relation alias names; a bad alias or two nodes on one relation are refused", (t) => {
  const project = load(
    t,
    {
      'sql/models/stg_orders.sql': "{{ config(alias='orders_v2') }}select * from {{ ref('orders') }}\n",
      'sql/models/report.sql': "select * from {{ ref('stg_orders') }}\n",
    },
    TINY,
  );
  t.regex(project.nodes.get('model.report')!.sql!, /from "public"\."orders_v2"/);
  t.throws(() => load(t, { 'sql/models/stg_orders.sql': "{{ config(alias='Orders V2') }}select 1\n" }, TINY), {
    code: 'INVALID_CONFIG',
    message: /alias="Orders V2" is not a relation name/,
  });
  t.throws(() => load(t, { 'sql/models/stg_orders.sql': "{{ config(alias='orders') }}select 1\n" }, TINY), {
    code: 'DUPLICATE_NODE',
    message: 'seed orders (seeds/orders.csv) and model stg_orders (sql/models/stg_orders.sql) would both build "public"."orders".',
  });
});
