/** dbt's context beyond ref/var/config (node-globals.ts, dbt-context.ts, python-re.ts): what dbt 1.8 gives a template on PostgreSQL. */
import test from 'ava';
import { loadMacros } from '../../src/macros.ts';
import { render, type RenderContext } from '../../src/node-globals.ts';
import { relationName } from '../../src/render.ts';
import { renderContext, tempWorkspace } from './support/fixtures.ts';

function context(overrides: Partial<RenderContext> = {}): RenderContext {
  return renderContext({
    file: 'sql/models/staging/stg_orders.sql',
    vars: { n: 5 },
    ref: (name) => relationName('analytics', name),
    source: (s, table) => relationName(`raw_${s}`, table),
    thisRelation: relationName('analytics', 'stg_orders'),
    config: { materialized: 'table' },
    schema: 'analytics',
    invocation: { id: 'inv', startedAt: new Date('2026-03-04T05:06:07Z') },
    projectName: 'shop',
    ...overrides,
  });
}

test('this, ref() and source() are relations: they print as before and have dbt attributes', (t) => {
  t.is(
    render(
      "{{ this }} {{ this.schema }}.{{ this.name }} {{ this.identifier }} {{ this.database }} {{ this.render() }} {{ ref('orders').name }} {{ source('shop', 'items').schema }} {{ ref('orders') ~ '' }}",
      context(),
    ),
    '"analytics"."stg_orders" analytics.stg_orders stg_orders tenant_a_db "analytics"."stg_orders" orders raw_shop "analytics"."orders"',
  );
  // Jinja's string filters take str() of a relation, as before it was text.
  t.is(render("{{ ref('Orders') | replace('\"', '') | lower }} {{ this | upper }}", context()), 'analytics.orders "ANALYTICS"."STG_ORDERS"');
  // An ephemeral model's CTE name stays text.
  t.is(render("{{ ref('eph') }}", context({ ref: () => '"__dbt__cte__eph"' })), '"__dbt__cte__eph"');
});

test('project_name, target, model, flags, dbt_version and run_started_at as dbt has them', (t) => {
  t.is(
    render(
      '{{ project_name }} {{ target.dbname }} {{ target.threads }} {{ target.user }} {{ dbt_version }} {{ flags.FULL_REFRESH }} {{ flags.WHICH }}',
      context(),
    ),
    'shop tenant_a_db 1 tenant_a_owner 1.8.0 False run',
  );
  t.is(
    render(
      '{{ flags.FULL_REFRESH }} {{ flags.WHICH }}',
      context({ invocation: { id: 'inv', startedAt: new Date('2026-03-04T05:06:07Z'), fullRefresh: true, which: 'build' } }),
    ),
    'True build',
  );
  t.is(
    render(
      '{{ model.name }} {{ model.config.materialized }} {{ model.schema }} {{ model.alias }} {{ model.identifier }} {{ model.unique_id }} {{ model.resource_type }} {{ model.original_file_path }}',
      context(),
    ),
    'stg_orders table analytics stg_orders stg_orders model.shop.stg_orders model models/staging/stg_orders.sql',
  );
  t.is(
    render(
      '{{ run_started_at.year }}-{{ run_started_at.month }}-{{ run_started_at.day }} {{ run_started_at.hour }}h {{ run_started_at.weekday() }}',
      context(),
    ),
    '2026-3-4 5h 2',
  );
});

test("modules.re has Python's match, search, sub, findall, split, compile and flags; what cannot map is refused", (t) => {
  t.is(
    render(
      "{{ modules.re.sub('[^a-z0-9]+', '_', 'gift card!') }} {{ modules.re.match('(\\\\w+)_(?P<n>\\\\d+)', 'v_12x').group('n') }} {{ modules.re.match('x', 'ax') is none }} {{ modules.re.search('x', 'ax') is not none }} {{ modules.re.findall('(\\\\d)(\\\\w)', '1a 2b') }} {{ modules.re.split(',\\\\s*', 'a, b,c') }} {{ modules.re.compile('^ORD', modules.re.IGNORECASE).match('order') is not none }} {{ modules.re.sub('(a)(b)', '\\\\2\\\\1', 'abab', 1) }}",
      context(),
    ),
    "gift_card_ 12 True True [['1', 'a'], ['2', 'b']] ['a', 'b', 'c'] True baab",
  );
  t.throws(() => render("{{ modules.re.match('(?>a)', 'a') }}", context()), { code: 'TEMPLATE_ERROR' });
});

test('zip, set, local_md5, fromyaml, toyaml and exceptions.warn', (t) => {
  t.is(
    render(
      "{{ zip(['a', 'b'], [1, 2]) }} {{ set([1, 1, 2]) }} {{ 2 in set([1, 2]) }} {{ local_md5('abc') }} {{ fromyaml('k: [1, 2]').k }} {{ fromyaml('[1, 2', 'bad') }}{{ exceptions.warn('only a warning') }}",
      context(),
    ),
    "[['a', 1], ['b', 2]] {1, 2} True 900150983cd24fb0d6963f7d28e17f72 [1, 2] bad",
  );
  t.is(render("{{ toyaml({'a': [1, 2], 'b': 'x'}) }}", context()), 'a:\n- 1\n- 2\nb: x\n');
});

test("adapter.dispatch: the project's postgres__ then default__, dbt's built-in last; an error names what was searched", (t) => {
  const ws = tempWorkspace({
    'sql/macros/dispatch.sql': `{% macro default__greet(x) %}hello {{ x }}{% endmacro %}
{% macro greet(x) %}{{ return(adapter.dispatch('greet', 'shop')(x)) }}{% endmacro %}
{% macro postgres__dateadd(datepart, interval, from_date_or_timestamp) %}mine({{ interval }}){% endmacro %}`,
  });
  t.teardown(() => ws.cleanup());
  const macros = loadMacros(ws.root, { macros: ['sql/macros'], tests: ['sql/tests'] });
  t.is(render("{{ greet('you') }} {{ dbt.dateadd('day', 2, 'd') }} {{ dbt.type_string() }}", context({ macros })), 'hello you mine(2) TEXT');
  t.throws(() => render("{{ adapter.dispatch('nothing', 'shop')() }}", context({ macros })), {
    code: 'TEMPLATE_ERROR',
    message: /In dispatch: No macro named 'nothing' found within namespace: 'shop'\. Searched for: 'postgres__nothing', 'default__nothing'/,
  });
});
