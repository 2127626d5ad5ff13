/** The macro library (macros.ts, render.ts): loading, binding to a node, return(), raise, the context, --vars. */
import test from 'ava';
import { TaskError } from '@mt/cli';
import { loadMacros } from '../../src/macros.ts';
import { render, type RenderContext } from '../../src/node-globals.ts';
import { pythonDatetime } from '../../src/dbt-context.ts';
import { parseVars } from '../../src/vars.ts';
import { renderContext, tempWorkspace } from './support/fixtures.ts';

const FILE = 'sql/models/orders.sql';

function library(t: { teardown(fn: () => void): void }, files: Record<string, string>) {
  const ws = tempWorkspace(files);
  t.teardown(() => ws.cleanup());
  return loadMacros(ws.root, { macros: ['sql/macros'], tests: ['sql/tests'] });
}

const context = (overrides: Partial<RenderContext> = {}): RenderContext => renderContext({ file: FILE, vars: { threshold: 5 }, ...overrides });

const MACROS = `-- text outside macros is ignored, {{ even this }}
{% macro columns() %}{{ return(['a', 'b']) }}{% endmacro %}

{% macro upstream(name) -%}
  {{ ref(name) }} /* {{ var('threshold') }} */
{%- endmacro %}

{% macro joined() %}{{ columns() | join(', ') }}{% endmacro %}

{% macro checked(v) %}
  {% if v is none %}
    {{ exceptions.raise_compiler_error('checked: no value') }}
  {% endif %}
  {{ return(v * 2) }}
{% endmacro %}
`;

test('macros see the node they are called from; return() gives a value, also to another macro', (t) => {
  const macros = library(t, { 'sql/macros/util.sql': MACROS });
  // dbt's own cross-database macros (dbt__*) are there too: dbt-macros.test.ts.
  t.deepEqual([...macros.macros.keys()].filter((name) => !name.startsWith('dbt__')).sort(), [
    'checked',
    'columns',
    'dbt_utils__date_spine',
    'dbt_utils__generate_surrogate_key',
    'dbt_utils__get_column_values',
    'dbt_utils__get_filtered_columns_in_relation',
    'dbt_utils__get_query_results_as_dict',
    'dbt_utils__get_relations_by_pattern',
    'dbt_utils__pivot',
    'dbt_utils__slugify',
    'dbt_utils__star',
    'dbt_utils__union_relations',
    'joined',
    'test_accepted_range',
    'test_expression_is_true',
    'test_not_empty_string',
    'test_not_null_proportion',
    'test_recency',
    'test_unique_combination_of_columns',
    'upstream',
  ]);
  const sql = render("select {{ joined() }}, {{ checked(21) }} from {{ upstream('stg') }}", context({ macros }));
  t.is(sql, 'select a, b, 42 from "public"."stg" /* 5 */');
});

test('raise_compiler_error in a macro names the macro file and line and the calling model; outside one, the model line', (t) => {
  const macros = library(t, { 'sql/macros/util.sql': MACROS });
  t.throws(() => render('select 1,\n{{ checked(none) }}', context({ macros })), {
    instanceOf: TaskError,
    message: 'sql/macros/util.sql:12 (macro checked, called from sql/models/orders.sql:2): Compilation error: checked: no value',
  });
  t.throws(() => render("select 1\n{{ exceptions.raise_compiler_error('stop here') }}", context({ macros })), {
    message: 'sql/models/orders.sql:2: Compilation error: stop here',
  });
  t.throws(() => render('{{ return(1) }}', context({ macros })), { code: 'TEMPLATE_ERROR', message: /return\(\) is only for macros/ });
});

test('a {% test %} block is the macro test_<name>; a project test replaces a shipped one of its name', (t) => {
  const macros = library(t, {
    'sql/tests/generic/positive.sql': '{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}\n',
    'sql/macros/range.sql': '{% test accepted_range(model, column_name) %}select 1{% endtest %}\n',
  });
  t.deepEqual([...macros.tests].sort(), [
    'accepted_range',
    'expression_is_true',
    'not_empty_string',
    'not_null_proportion',
    'positive',
    'recency',
    'unique_combination_of_columns',
  ]);
  t.is(macros.macros.get('test_accepted_range')?.file, 'sql/macros/range.sql');
});

test('two macros of one name, a macro named like a context name, and a syntax error are refused with their files', (t) => {
  t.throws(() => library(t, { 'sql/macros/a.sql': '{% macro x() %}1{% endmacro %}', 'sql/macros/b.sql': '\n{% macro x() %}2{% endmacro %}' }), {
    code: 'DUPLICATE_NODE',
    message: 'Two macros are named "x": sql/macros/a.sql:1 and sql/macros/b.sql:2.',
  });
  t.throws(() => library(t, { 'sql/macros/a.sql': '{% macro ref(x) %}1{% endmacro %}' }), { message: /sql\/macros\/a\.sql:1: a macro cannot be named "ref"/ });
  t.throws(() => library(t, { 'sql/macros/a.sql': '\n{% macro x() %}{{ 1 + }}{% endmacro %}' }), {
    code: 'TEMPLATE_ERROR',
    message: /^sql\/macros\/a\.sql:2:/,
  });
});

test('the context: target, run_started_at, invocation_id, adapter.quote, log', (t) => {
  const sql = render(
    "{{ target.name }} {{ target.schema }} {{ target.database }} {{ target.type }} {{ run_started_at }} {{ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') }} {{ invocation_id }} {{ adapter.quote('Order Id') }}{{ log('quiet') }}",
    context(),
  );
  t.is(sql, 'tenant_a public tenant_a_db postgres 2026-03-04T05:06:07.089Z 2026-03-04 05:06:07.089000 inv-1 "Order Id"');
  t.is(pythonDatetime(new Date('2026-03-04T05:06:07Z')).isoformat(), '2026-03-04T05:06:07.000+00:00');
  t.throws(() => render("{{ run_started_at.strftime('%A') }}", context()), { message: /%A is not supported/ });
});

test('--vars is YAML or JSON, and must be a mapping', (t) => {
  t.deepEqual(parseVars('{"segment_vip": 2000}'), { segment_vip: 2000 });
  t.deepEqual(parseVars('{segment_vip: 2000, label: x}'), { segment_vip: 2000, label: 'x' });
  t.is(parseVars(undefined), undefined);
  t.throws(() => parseVars('[1, 2]'), { code: 'INVALID_VARS', message: '--vars "[1, 2]" is not a mapping of names to values.' });
  t.throws(() => parseVars('{a: '), { code: 'INVALID_VARS', message: /is not YAML or JSON/ });
});

test('a Jinja error inside a macro names the macro file, line and column, and the calling model', (t) => {
  const macros = library(t, {
    'sql/macros/a.sql': '{% macro first() %}1{% endmacro %}\n\n\n',
    'sql/macros/cents.sql': `{% macro cents(col) %}
  select
  {{ col.nope() }}
{% endmacro %}

{% macro label() %}
  {{ missing_name }}
{% endmacro %}
{% macro outer() %}{{ label() }}{% endmacro %}
`,
  });
  t.throws(() => render('select 1,\n{{ cents(1) }}', context({ macros })), {
    code: 'TEMPLATE_ERROR',
    message: 'sql/macros/cents.sql:3:6 (macro cents, called from sql/models/orders.sql:2): Jinja error: col.nope() is an undefined function or value.',
  });
  t.throws(() => render('\n\n{{ outer() }}', context({ macros })), {
    message:
      /^sql\/macros\/cents\.sql:7:3 \(macro label, called from sql\/models\/orders\.sql:3\): Jinja error: \{\{ missing_name \}\}: missing_name is undefined/,
  });
});
