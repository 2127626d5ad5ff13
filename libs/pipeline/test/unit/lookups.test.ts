/**
 * Lookups (lookups.ts, node-globals.ts, project.ts): what dbt_utils.star, union_relations,
 * get_column_values and a project's macros render from a relation's columns or a query's rows; what
 * they give while rendering as dbt parses (execute false); nodes of a project that wait for a lookup,
 * or are rendered as dbt parses until they run. No database: the answers are given to the cache.
 */
import test from 'ava';
import { TaskError } from '@mt/cli';
import { loadMacros } from '../../src/macros.ts';
import { render, type RenderContext } from '../../src/node-globals.ts';
import { relationName } from '../../src/render.ts';
import { Column, Lookups, parseRelation, QueryTable, Relation, type Answer, type ColumnInfo, type LookupRequest } from '../../src/lookups.ts';
import { loadProject, renderNodes } from '../../src/project.ts';
import { fakeTenant, renderContext, tempWorkspace } from './support/fixtures.ts';

const FILE = 'sql/models/report.sql';

/** `name:type` → a column as the catalog query gives it. */
const columns = (...specs: string[]): ColumnInfo[] =>
  specs.map((spec) => {
    const [name, dataType] = spec.split(':');
    return { name, dataType, dtype: dataType.replace(/\(.*\)$/, '') };
  });
const relation = (name: string): LookupRequest => ({ kind: 'columns', schema: 'public', name });
const rows = (names: string[], ...data: unknown[][]): Answer => ({ kind: 'query', columns: names, rows: data });

function answered(phase: 'load' | 'inspect' | 'execute', answers: Array<[LookupRequest, Answer]>): Lookups {
  const lookups = new Lookups(phase);
  for (const [request, answer] of answers) lookups.remember(request, answer);
  return lookups;
}

const macros = (() => {
  const ws = tempWorkspace({
    'sql/macros/methods.sql': `{% macro payment_methods() -%}
{%- call statement('methods', fetch_result=True) -%}
select distinct payment_method from {{ ref('stg_payments') }} order by 1
{%- endcall -%}
{{ return(load_result('methods')['data'] | map(attribute=0) | list) }}
{%- endmacro %}`,
    'sql/macros/mine.sql': `{% macro typed(relation) -%}
{%- set out = [] -%}
{%- for c in adapter.get_columns_in_relation(relation) %}{% do out.append(c.name ~ ' ' ~ c.data_type ~ ' ' ~ c.dtype ~ (' string' if c.is_string() else '')) %}{% endfor -%}
{{ return(out | join('; ')) }}
{%- endmacro %}`,
  });
  const library = loadMacros(ws.root, { macros: ['sql/macros'], tests: ['sql/tests'] });
  ws.cleanup();
  return library;
})();

/** A model's render context whose lookups the given cache answers (none: rendered as dbt parses). */
function context(lookups?: Lookups): RenderContext {
  return renderContext({
    file: FILE,
    thisRelation: relationName('public', 'report'),
    macros,
    execute: !!lookups,
    lookup: lookups && ((request) => lookups.answer(request)),
  });
}

const ORDERS: Array<[LookupRequest, Answer]> = [
  [relation('orders'), { kind: 'columns', columns: columns('id:integer', 'customer_id:integer', 'Total Amount:numeric(12,2)') }],
];

test("star(): the relation's columns quoted, one per line as dbt_utils writes them; except ignores case; alias, prefix, suffix, unquoted", (t) => {
  const ctx = () => context(answered('execute', ORDERS));
  t.is(render("select {{ dbt_utils.star(ref('orders')) }} from x", ctx()), 'select "id",\n  "customer_id",\n  "Total Amount" from x');
  t.is(render("{{ dbt_utils.star(from=ref('orders'), except=['CUSTOMER_ID']) }}", ctx()), '"id",\n  "Total Amount"');
  t.is(
    render("{{ dbt_utils.star(ref('orders'), relation_alias='o', except=['Total Amount'], prefix='o_', suffix='_x') }}", ctx()),
    'o."id" as "o_id_x",\n  o."customer_id" as "o_customer_id_x"',
  );
  t.is(render("{{ dbt_utils.star(ref('orders'), except=['Total Amount'], quote_identifiers=False) }}", ctx()), 'id,\n  customer_id');
  t.is(render("{{ dbt_utils.star(ref('orders'), except=['id', 'customer_id', 'Total Amount']) }}", ctx()), '/* no columns returned from star() macro */');
  t.deepEqual(render("{{ dbt_utils.get_filtered_columns_in_relation(ref('orders'), except=['id']) | join('|') }}", ctx()), 'customer_id|Total Amount');
  // As dbt parses (execute false), before anything is known: *.
  t.is(render("select {{ dbt_utils.star(ref('orders')) }} from x", context()), 'select * from x');
});

test('union_relations: the union of the columns in order first seen, the widest string type, null where missing, the source relation', (t) => {
  const lookups = answered('execute', [
    [relation('east'), { kind: 'columns', columns: columns('id:integer', 'name:character varying(20)', 'opened_on:date') }],
    [relation('west'), { kind: 'columns', columns: columns('id:bigint', 'name:character varying(50)', 'Manager:text') }],
  ]);
  t.is(
    render("{{ dbt_utils.union_relations([ref('east'), ref('west')]) }}", context(lookups)),
    `
(
    select
        cast('"public"."east"' as text) as _dbt_source_relation,
        cast("id" as integer) as "id",
        cast("name" as character varying(50)) as "name",
        cast("opened_on" as date) as "opened_on",
        cast(null as text) as "Manager"
    from "public"."east"
)

union all
(
    select
        cast('"public"."west"' as text) as _dbt_source_relation,
        cast("id" as integer) as "id",
        cast("name" as character varying(50)) as "name",
        cast(null as date) as "opened_on",
        cast("Manager" as text) as "Manager"
    from "public"."west"
)`,
  );
  t.is(
    render(
      "{{ dbt_utils.union_relations([ref('east'), ref('west')], include=['ID', 'manager'], column_override={'id': 'bigint'}, source_column_name=none, where='id > 0') }}",
      context(lookups),
    ),
    `
(
    select
        cast("id" as bigint) as "id",
        cast(null as text) as "Manager"
    from "public"."east"
    where id > 0
)

union all
(
    select
        cast("id" as bigint) as "id",
        cast("Manager" as text) as "Manager"
    from "public"."west"
    where id > 0
)`,
  );
  t.throws(() => render("{{ dbt_utils.union_relations([ref('east')], include=['id'], exclude=['name']) }}", context(lookups)), {
    message: `${FILE}:1 (dbt_utils.union_relations): Compilation error: Both an exclude and include list were provided to the union macro. Only one is allowed`,
  });
  t.throws(() => render("{{ dbt_utils.union_relations([ref('east')], exclude=['id', 'name', 'opened_on']) }}", context(lookups)), {
    message: /There were no columns found to union for relations "public"\."east"$/,
  });
  t.is(render("{{ dbt_utils.union_relations([ref('east'), ref('west')]) }}", context()), '');
});

test('get_column_values: its query (ties ordered by the value), the values it returns, feeding pivot; a default when the relation is missing', (t) => {
  const query = 'select category as value\nfrom "public"."products"\ngroup by category\norder by count(*) desc, 1\nlimit 10';
  const lookups = answered('execute', [
    [relation('products'), { kind: 'columns', columns: columns('category:text') }],
    [{ kind: 'query', sql: query }, rows(['value'], ['Books'], ['Toys'])],
    [relation('gone'), { kind: 'columns', columns: null }],
  ]);
  t.is(
    render("{{ dbt_utils.pivot('category', dbt_utils.get_column_values(ref('products'), 'category', max_records=10)) }}", context(lookups)),
    `
  sum(case when category = 'Books' then 1 else 0 end) as "Books",
  sum(case when category = 'Toys' then 1 else 0 end) as "Toys"`,
  );
  t.is(render("{{ dbt_utils.get_column_values(ref('gone'), 'x', default=['none']) | join(',') }}", context(lookups)), 'none');
  const missing = t.throws(() => render("select 1\n-- {{ dbt_utils.get_column_values(ref('gone'), 'x') }}", context(lookups)), { instanceOf: TaskError });
  t.is(missing?.code, 'MISSING_RELATION');
  t.is(missing?.message, `${FILE}:2 (dbt_utils.get_column_values): it reads "public"."gone", which is not in tenant_a_db.`);
  // As dbt parses: the default, or nothing.
  t.is(
    render(
      "{{ dbt_utils.get_column_values(ref('products'), 'category', default=['a']) | join(',') }}|{{ dbt_utils.get_column_values(ref('products'), 'category') | length }}",
      context(),
    ),
    'a|0',
  );
});

test("a project's macro: adapter.get_columns_in_relation gives dbt's Column; run_query a table; a failed query names the template line", (t) => {
  const lookups = answered('execute', [
    [relation('orders'), ORDERS[0][1]],
    [{ kind: 'query', sql: 'select 1 as n, 2 as m' }, rows(['n', 'm'], [1, 2], [3, 4])],
    [
      { kind: 'query', sql: 'select nope' },
      { kind: 'failed', message: 'column "nope" does not exist', code: '42703' },
    ],
  ]);
  t.is(render("{{ typed(ref('orders')) }}", context(lookups)), 'id integer integer; customer_id integer integer; Total Amount numeric(12,2) numeric');
  t.is(
    render(
      "{% set r = run_query('select 1 as n, 2 as m') %}{{ r.columns[0].values() }} {{ r.columns['m'].values() }} {{ r.rows[1][0] }} {{ r.rows[0]['m'] }} {{ r.column_names }} {{ execute }}",
      context(lookups),
    ),
    "[1, 3] [2, 4] 3 2 ['n', 'm'] True",
  );
  const failed = t.throws(() => render("select\n  {{ run_query('select nope') }}", context(lookups)), { instanceOf: TaskError });
  t.is(failed?.code, 'LOOKUP_FAILED');
  t.is(failed?.message, `${FILE}:2: its query failed: column "nope" does not exist.`);
  t.is(failed?.hint, 'It ran read-only on tenant_a_db while the template rendered: select nope');
  // As dbt parses: no columns, no relation, no table.
  t.is(
    render(
      "{{ adapter.get_columns_in_relation(ref('orders')) | length }} {{ load_relation(ref('orders')) is none }} {{ run_query('select 1') is none }} {{ execute }}",
      context(),
    ),
    '0 True True False',
  );
  const ephemeral = t.throws(() => render('{{ dbt_utils.star(\'"__dbt__cte__facts"\') }}', context(lookups)), { instanceOf: TaskError });
  t.is(ephemeral?.message, `${FILE}:1 (dbt_utils.star): facts is an ephemeral model: it is inlined as a CTE and has no relation whose columns could be read.`);
});

const PAYMENTS = 'select distinct payment_method from "public"."stg_payments"';

test("{% call statement(name, fetch_result=True) %} runs its block as run_query does; load_result gives dbt's data, table and response", (t) => {
  const lookups = answered('execute', [
    [
      { kind: 'query', sql: PAYMENTS },
      {
        kind: 'query',
        columns: ['payment_method', 'n'],
        rows: [
          ['card', 3],
          ['cash', 1],
        ],
        status: 'SELECT 2',
      },
    ],
    [{ kind: 'query', sql: `${PAYMENTS} order by 1` }, rows(['payment_method'], ['card'], ['cash'], ['gift'])],
  ]);
  const block = `{% call statement('my_result', fetch_result=True) %}
  select distinct payment_method from {{ ref('stg_payments') }}
{% endcall %}`;
  t.is(
    render(
      `${block}{% set r = load_result('my_result') %}{{ r['data'] | map(attribute=0) | list }} {{ r.data[1] }} {{ r.table.columns[0].values() }} {{ r['table'].rows[0]['n'] }} {{ r['response'] }} {{ r.response.code }} {{ r.response.rows_affected }}`,
      context(lookups),
    ),
    "['card', 'cash'] ['cash', 1] ['card', 'cash'] 3 SELECT 2 SELECT 2",
  );
  // Positional and keyword arguments; in a project macro; a name never stored is none, a result is loaded once (as dbt's).
  t.is(
    render(
      "{% call statement(name='m', fetch_result=True, auto_begin=False) %}select 1 as n, 2 as m{% endcall %}{{ load_result('m').data }}",
      context(answered('execute', [[{ kind: 'query', sql: 'select 1 as n, 2 as m' }, rows(['n', 'm'], [1, 2])]])),
    ),
    '[[1, 2]]',
  );
  t.is(render('{{ payment_methods() | join(",") }} {{ load_result("nothing") is none }}', context(lookups)), 'card,cash,gift True');
  const twice = t.throws(() => render(`${block}\n{% set a = load_result('my_result') %}\n{% set b = load_result('my_result') %}`, context(lookups)), {
    instanceOf: TaskError,
  });
  t.is(twice?.message, `${FILE}:4: The 'statement' result named 'my_result' has already been loaded into a variable.`);
});

test('statement(): waits for its answer like run_query (an empty result meanwhile); a failed query names the line; as dbt parses nothing runs and load_result is none', (t) => {
  // Not answered yet: pending, and the template goes on with an empty result (what it asks next is asked in the same round).
  const lookups = new Lookups('load');
  const waiting = render(
    "{% call statement('m', fetch_result=True) %}select distinct payment_method from {{ ref('stg_payments') }}{% endcall %}{{ load_result('m')['data'] | length }} {{ load_result is defined }}",
    context(lookups),
  );
  t.is(waiting, '0 True');
  t.deepEqual([...lookups.pending.values()], [{ kind: 'query', sql: PAYMENTS }]);

  const failed = t.throws(
    () =>
      render(
        "select 1\n{% call statement('m', fetch_result=True) %}select nope{% endcall %}",
        context(
          answered('execute', [
            [
              { kind: 'query', sql: 'select nope' },
              { kind: 'failed', message: 'column "nope" does not exist', code: '42703' },
            ],
          ]),
        ),
      ),
    { instanceOf: TaskError },
  );
  t.is(failed?.code, 'LOOKUP_FAILED');
  t.is(failed?.message, `${FILE}:2: its query failed: column "nope" does not exist.`);

  // execute false: the block's refs are still made (the DAG), nothing is asked, load_result gives none.
  const refs: string[] = [];
  const parsed = renderContext({
    file: FILE,
    thisRelation: relationName('public', 'report'),
    macros,
    execute: false,
    ref: (name) => (refs.push(name), relationName('public', name)),
  });
  t.is(
    render(
      "{% call statement('m', fetch_result=True) %}select * from {{ ref('stg_payments') }}{% endcall %}{{ load_result('m') is none }}{% if execute %}{{ load_result('m')['data'] }}{% endif %}",
      parsed,
    ),
    'True',
  );
  t.deepEqual(refs, ['stg_payments']);
});

test('statement() without fetch_result: a query runs read-only (load_result keeps its response, not its rows); anything else is refused at its line', (t) => {
  const lookups = answered('execute', [[{ kind: 'query', sql: 'select 1 as n' }, rows(['n'], [1])]]);
  t.is(render("{% call statement('q') %}\n  -- one row\n  select 1 as n\n{% endcall %}", context(lookups)), '');
  t.deepEqual([...lookups.pending.values()], [{ kind: 'query', sql: '-- one row\n  select 1 as n' }], 'a query after a comment is asked');
  lookups.pending.clear();
  t.is(
    render("{% call statement('q') %}select 1 as n{% endcall %}{% set r = load_result('q') %}{{ r.data }} {{ r.response }}", context(lookups)),
    '[] SELECT 1',
  );
  for (const [sql, verb] of [
    ["insert into {{ ref('audit') }} values (1)", 'INSERT'],
    ['/* cleanup */ truncate x', 'TRUNCATE'],
    ['create temp table x as select 1', 'CREATE'],
  ]) {
    for (const ctx of [context(lookups), context()]) {
      const refused = t.throws(() => render(`select 1\n{% call statement('w') %}${sql}{% endcall %}`, ctx), { instanceOf: TaskError });
      t.is(refused?.code, 'TEMPLATE_ERROR');
      t.is(
        refused?.message,
        `${FILE}:2: statement() would run ${verb} for what it changes; a template only reads the database (read-only, as the tenant's role).`,
      );
    }
  }
  t.is(lookups.pending.size, 0, 'nothing refused was asked');
  const bare = t.throws(() => render("{{ statement('x') }}", context(lookups)), { instanceOf: TaskError });
  t.regex(bare?.message ?? '', /^sql\/models\/report\.sql:1: statement\(\) is a block/);
});

test("relations: ref()'s text, schema.name, a name alone (the target schema), Relation; dbt's Column and the query table", (t) => {
  t.deepEqual(parseRelation('"public"."Orders"', 'x'), { schema: 'public', name: 'Orders' });
  t.deepEqual(parseRelation('Staging.orders', 'x'), { schema: 'staging', name: 'orders' });
  t.deepEqual(parseRelation('orders', 'analytics'), { schema: 'analytics', name: 'orders' });
  t.deepEqual(parseRelation('"db"."s"."a""b"', 'x'), { schema: 's', name: 'a"b' });
  t.deepEqual(parseRelation(new Relation('db', 's', 't'), 'x'), { schema: 's', name: 't' });
  for (const bad of ['', 'a.b.c.d', 'select 1', '"a".', 42]) t.throws(() => parseRelation(bad, 'x'), { message: /is not a relation\.$/ }, String(bad));
  t.is(String(new Relation('db', 's', 't')), '"s"."t"');
  const column = new Column({ name: 'name', dataType: 'character varying(20)', dtype: 'character varying' });
  t.deepEqual([column.quoted, column.char_size, column.is_string(), column.string_size(), column.is_number()], ['"name"', 20, true, 20, false]);
  const amount = new Column({ name: 'amount', dataType: 'numeric(12,2)', dtype: 'numeric' });
  t.deepEqual([amount.numeric_precision, amount.numeric_scale, amount.is_numeric(), amount.is_number()], [12, 2, true, true]);
  t.is(new Column({ name: 't', dataType: 'text', dtype: 'text' }).string_size(), 10485760);
  const table = new QueryTable({ columns: ['length', 'v'], rows: [[1, 'a']] });
  t.is(table.rows[0].length, 2, 'a column named like a list property does not hide it');
  t.is(table.rows[0].v, 'a');
});

const SHOP = {
  'sql/models/orders.sql': 'select 1 as id, 2 as amount\n',
  'sql/models/wide.sql': "select {{ dbt_utils.star(ref('orders')) }} from {{ ref('orders') }}\n",
  'sql/models/report.sql': "select * from {{ ref('wide') }}\n",
  'sql/models/facts.sql': "{{ config(materialized='ephemeral') }}\nselect {{ dbt_utils.star(ref('orders')) }} from {{ ref('orders') }}\n",
  'sql/models/uses_facts.sql': "select * from {{ ref('facts') }}\n",
  'sql/models/schema.yml': 'models:\n  - name: wide\n    columns:\n      - name: id\n        tests: [not_null]\n',
};

test('a project: nodes waiting for a lookup (and what refs them) have no SQL until a round answers it; then they render, ephemerals inlined', (t) => {
  const ws = tempWorkspace(SHOP);
  t.teardown(() => ws.cleanup());
  const lookups = new Lookups('load');
  const project = loadProject(ws.root, fakeTenant(ws.root), {}, { lookups });
  t.deepEqual([...lookups.waiting].sort(), ['model.facts', 'model.report', 'model.uses_facts', 'model.wide', 'test.not_null_wide_id']);
  t.deepEqual([...lookups.pending.values()], [relation('orders')]);
  t.is(project.nodes.get('model.wide')!.sql, undefined);
  t.is(project.nodes.get('model.orders')!.sql, 'select 1 as id, 2 as amount\n');

  lookups.remember(relation('orders'), { kind: 'columns', columns: columns('id:integer', 'amount:integer') });
  renderNodes(project);
  t.is(lookups.waiting.size, 0);
  const wide = project.nodes.get('model.wide')!;
  t.is(wide.sql, 'select "id",\n  "amount" from "public"."orders"\n');
  t.deepEqual(wide.lookups, { relations: ['"public"."orders"'], queries: false, deferred: false });
  t.deepEqual(project.nodes.get('model.report')!.dependsOn, ['model.wide']);
  t.is(
    project.nodes.get('model.uses_facts')!.sql,
    'with "__dbt__cte__facts" as (\n\nselect "id",\n  "amount" from "public"."orders"\n\n)\nselect * from "__dbt__cte__facts"\n',
  );
  t.deepEqual(project.nodes.get('model.uses_facts')!.lookups, wide.lookups, 'what an inlined model looked up is its own too');
  t.regex(project.nodes.get('test.not_null_wide_id')!.sql!, /"public"\."wide"/);
  t.truthy(wide.checksum);

  // The same answer again: the same checksums.
  const again = loadProject(ws.root, fakeTenant(ws.root), {}, { lookups });
  t.is(again.nodes.get('model.wide')!.checksum, wide.checksum);
});

test('a relation not there yet while the project loads: the node renders as dbt parses (star() is *) and is marked to render when it runs', (t) => {
  const ws = tempWorkspace(SHOP);
  t.teardown(() => ws.cleanup());
  const lookups = answered('load', [[relation('orders'), { kind: 'columns', columns: null }]]);
  const project = loadProject(ws.root, fakeTenant(ws.root), {}, { lookups });
  const wide = project.nodes.get('model.wide')!;
  t.is(wide.sql, 'select * from "public"."orders"\n');
  t.deepEqual(wide.lookups, { relations: ['"public"."orders"'], queries: false, deferred: true });
  t.true(project.nodes.get('model.uses_facts')!.lookups?.deferred);
  // Without a cache (a command that only needs the files): rendered as dbt parses, nothing deferred.
  const offline = loadProject(ws.root, fakeTenant(ws.root), {});
  t.is(offline.nodes.get('model.wide')!.sql, 'select * from "public"."orders"\n');
  t.is(offline.nodes.get('model.wide')!.lookups, undefined);
});

test('a project: a model reading with {% call statement %} waits for the round, refs what its block refs, and is marked as running queries', (t) => {
  const ws = tempWorkspace({
    'sql/models/stg_payments.sql': "select 'card' as payment_method\n",
    'sql/models/by_method.sql': `{% call statement('methods', fetch_result=True) %}
select distinct payment_method from {{ ref('stg_payments') }}
{% endcall %}
select {% for m in load_result('methods')['data'] | map(attribute=0) %}'{{ m }}' as m{{ loop.index }}{% if not loop.last %}, {% endif %}{% endfor %}
`,
  });
  t.teardown(() => ws.cleanup());
  const lookups = new Lookups('load');
  const project = loadProject(ws.root, fakeTenant(ws.root), {}, { lookups });
  t.deepEqual([...lookups.waiting], ['model.by_method']);
  t.deepEqual([...lookups.pending.values()], [{ kind: 'query', sql: PAYMENTS }]);
  lookups.remember({ kind: 'query', sql: PAYMENTS }, rows(['payment_method'], ['card'], ['cash']));
  renderNodes(project);
  const node = project.nodes.get('model.by_method')!;
  t.is(node.sql, "\nselect 'card' as m1, 'cash' as m2\n");
  t.deepEqual(node.dependsOn, ['model.stg_payments']);
  t.deepEqual(node.lookups, { relations: [], queries: true, deferred: false });
});
