/**
 * dbt's cross-database macros (builtin-dbt-macros.ts) render as dbt-postgres 1.8 renders them — the
 * same text, whitespace included — under `dbt.`, dbt_utils' old names and unqualified; and dbt_utils'
 * date_spine and pivot's slugified aliases.
 */
import test from 'ava';
import { loadMacros } from '../../src/macros.ts';
import { render } from '../../src/node-globals.ts';
import { renderContext, tempWorkspace } from './support/fixtures.ts';

const ws = tempWorkspace({ 'sql/macros/none.sql': '' });
test.after.always(() => ws.cleanup());
const macros = loadMacros(ws.root, { macros: ['sql/macros'], tests: ['sql/tests'] });

const sql = (template: string) => render(template, renderContext({ file: 'sql/models/m.sql', macros }));

/** Each call and dbt-postgres 1.8's text for it. */
const CASES: Array<[string, string]> = [
  ["dbt.concat(['a', \"'-'\", 'b'])", "a || '-' || b"],
  ["dbt.hash('id')", 'md5(cast(id as TEXT))'],
  ["dbt.dateadd('day', 7, 'created_at')", "\n\n    created_at + ((interval '1 day') * (7))\n\n"],
  ["dbt.datediff('a', 'b', 'day')", '\n        ((b)::date - (a)::date)\n    '],
  [
    "dbt.datediff('a', 'b', 'month')",
    "\n        (\n        (date_part('year', (b)::date) - date_part('year', (a)::date))\n     * 12 + date_part('month', (b)::date) - date_part('month', (a)::date))\n    ",
  ],
  [
    "dbt.datediff('a', 'b', 'second')",
    "\n        (\n        (\n        (\n        ((b)::date - (a)::date)\n     * 24 + date_part('hour', (b)::timestamp) - date_part('hour', (a)::timestamp))\n     * 60 + date_part('minute', (b)::timestamp) - date_part('minute', (a)::timestamp))\n     * 60 + floor(date_part('second', (b)::timestamp)) - floor(date_part('second', (a)::timestamp)))\n    ",
  ],
  ["dbt.date_trunc('month', 'd')", "date_trunc('month', d)"],
  [
    "dbt.last_day('d', 'month')",
    "cast(\n        \n\n    \n\n    date_trunc('month', d) + ((interval '1 month') * (1))\n\n + ((interval '1 day') * (-1))\n\n\n        as date)",
  ],
  [
    "dbt.last_day('d', 'quarter')",
    "-- postgres dateadd does not support quarter interval.\n    cast(\n        \n\n    \n\n    date_trunc('quarter', d) + ((interval '1 month') * (3))\n\n + ((interval '1 day') * (-1))\n\n\n        as date)",
  ],
  ["dbt.split_part('s', \"','\", 2)", "\n\n  \n    \n\n    split_part(\n        s,\n        ',',\n        2\n        )\n\n\n  \n\n"],
  [
    "dbt.split_part('s', \"','\", -1)",
    "\n\n  \n    \n\n    split_part(\n        s,\n        ',',\n          length(s)\n          - length(\n              replace(s,  ',', '')\n          ) + 2 + -1\n        )\n\n\n  \n\n",
  ],
  ["dbt.safe_cast('x', 'int')", '\n    \n    cast(x as int)\n'],
  ["dbt.cast_bool_to_text('b')", '\n  \n    cast(b as TEXT)\n\n'],
  ["dbt.any_value('x')", 'min(x)'],
  ["dbt.bool_or('x')", 'bool_or(x)'],
  ["dbt.listagg('x')", "\n    string_agg(\n        x,\n        ','\n        \n        )"],
  [
    "dbt.listagg('x', \"', '\", 'order by x', 3)",
    "array_to_string(\n        (array_agg(\n            x\n            order by x\n        ))[1:3],\n        ', '\n        )",
  ],
  ["dbt.position(\"'a'\", 's')", "\n\n    position(\n        'a' in s\n    )"],
  ["dbt.length('s')", '\n\n    length(\n        s\n    )'],
  ["dbt.replace('s', \"'a'\", \"'b'\")", "\n\n    replace(\n        s,\n        'a',\n        'b'\n    )\n\n\n"],
  ["dbt.right('s', 2)", '\n\n    right(\n        s,\n        2\n    )'],
  ['dbt.escape_single_quotes("it\'s")', "it''s"],
  ["dbt.string_literal('x')", "'x'"],
  ['dbt.current_timestamp()', 'now()'],
  ['dbt.type_string()', 'TEXT'],
  ['dbt.type_timestamp()', 'TIMESTAMP'],
  ['dbt.type_int()', 'INT'],
  ['dbt.type_bigint()', 'bigint'],
  ['dbt.type_numeric()', 'numeric(28,6)'],
  ['dbt.type_float()', 'FLOAT'],
  ['dbt.type_boolean()', 'BOOLEAN'],
  ['dbt.except()', '\n\n    except\n\n'],
  ['dbt.intersect()', '\n\n    intersect\n\n'],
];

for (const [call, expected] of CASES) {
  test(`{{ ${call} }}`, (t) => {
    t.is(sql(`{{ ${call} }}`), expected);
  });
}

test("dbt_utils' names (before 1.0) and the unqualified names are dbt's macros; a project's own macro of the name wins", (t) => {
  t.is(
    sql("{{ dbt_utils.type_string() }} {{ type_string() }} {{ dbt_utils.date_trunc('day', 'd') }} {{ date_trunc('day', 'd') }}"),
    "TEXT TEXT date_trunc('day', d) date_trunc('day', d)",
  );
  const own = tempWorkspace({ 'sql/macros/own.sql': '{% macro date_trunc(a, b) %}mine{% endmacro %}' });
  t.teardown(() => own.cleanup());
  const mine = loadMacros(own.root, { macros: ['sql/macros'], tests: ['sql/tests'] });
  t.is(render("{{ date_trunc('day', 'd') }} {{ dbt.date_trunc('day', 'd') }}", renderContext({ macros: mine })), "mine date_trunc('day', d)");
});

test('an unsupported datepart is a compilation error where the macro was called', (t) => {
  t.throws(() => sql("select\n{{ dbt.datediff('a', 'b', 'fortnight') }}"), {
    message: "sql/models/m.sql:2 (dbt.datediff): Compilation error: Unsupported datepart for macro datediff in postgres: 'fortnight'",
  });
});

test("dbt_utils.date_spine gives timestamps; pivot's unquoted aliases are slugified as dbt_utils.slugify does", (t) => {
  t.regex(sql("{{ dbt_utils.date_spine('day', \"'2024-01-01'\", \"'2024-01-03'\") }}"), /^select cast\(d as timestamp\) as "date_day"/);
  t.is(
    sql(
      "{{ dbt_utils.pivot('c', ['gift card', '1st', 'a-b.c'], quote_identifiers=False) }}|{{ dbt_utils.pivot('c', ['x'], quote_identifiers=False, prefix='Pre ', suffix='_S') }}",
    ),
    "\n  sum(case when c = 'gift card' then 1 else 0 end) as gift_card,\n  sum(case when c = '1st' then 1 else 0 end) as _1st,\n  sum(case when c = 'a-b.c' then 1 else 0 end) as a_bc|\n  sum(case when c = 'x' then 1 else 0 end) as pre_x_s",
  );
});
