/** Jinja rendering: filters, ref/source/var/env_var/config/this/tenant globals and error messages (render.ts). */
import test from 'ava';
import { TaskError } from '@mt/cli';
import { quoteIdent, relationName, renderTemplate } from '../../src/render.ts';
import { render, type RenderContext } from '../../src/node-globals.ts';
import { fakeTenant } from './support/fixtures.ts';

const FILE = 'sql/models/marts/orders.sql';

function context(overrides: Partial<RenderContext> = {}): RenderContext & { refs: string[] } {
  const refs: string[] = [];
  return {
    file: FILE,
    tenant: fakeTenant('/workspace'),
    vars: { region: 'EU', min_total: 0 },
    env: { BATCH_LABEL: 'nightly' },
    ref: (name) => (refs.push(name), relationName('analytics', name)),
    source: (sourceName, table) => relationName(`raw_${sourceName}`, table),
    thisRelation: relationName('analytics', 'orders'),
    incremental: false,
    config: {},
    schema: 'analytics',
    invocation: { id: 'test-invocation', startedAt: new Date('2026-01-02T03:04:05Z') },
    refs,
    ...overrides,
  };
}

test('| literal quotes SQL strings (NULL for none) and | ident quotes identifiers', (t) => {
  t.is(
    renderTemplate('select {{ a | literal }}, {{ b | literal }}, {{ c | literal }}, {{ d | ident }}', FILE, { a: "O'Brien", b: null, c: 42, d: 'Order "Id"' }),
    `select 'O''Brien', null, '42', "Order ""Id"""`,
  );
  t.is(quoteIdent('a"b'), '"a""b"');
});

test('a Jinja syntax error is TEMPLATE_ERROR at file:line:column', (t) => {
  const err = t.throws(() => renderTemplate('select 1\n  {% if %}\n', FILE, {}), { instanceOf: TaskError });
  t.is(err?.code, 'TEMPLATE_ERROR');
  t.is(err?.message, `${FILE}:2:9: Jinja error: unexpected token: %}`);
  t.is(err?.hint, 'Check the {{ }} / {% %} syntax near that position.');
});

test('ref() and source() resolve through the context; ref() takes the last argument as the name', (t) => {
  const ctx = context();
  const sql = render(
    "select * from {{ ref('customers') }} c join {{ ref('shop', 'orders') }} o using (id) join {{ source('stripe', 'charges') }} s using (id)",
    ctx,
  );
  t.is(sql, 'select * from "analytics"."customers" c join "analytics"."orders" o using (id) join "raw_stripe"."charges" s using (id)');
  t.deepEqual(ctx.refs, ['customers', 'orders']);
});

test('var() reads the vars (falsy values included), else its default; env_var() likewise from the environment', (t) => {
  const sql = render(
    "{{ var('region') | literal }} {{ var('min_total') }} {{ var('limit', 100) }} {{ env_var('BATCH_LABEL') }} {{ env_var('UNSET_VAR', 'none') }}",
    context(),
  );
  t.is(sql, "'EU' 0 100 nightly none");
});

test('var() and env_var() without a value or default are TEMPLATE_ERROR naming the file, with how to define them', (t) => {
  const v = t.throws(() => render("select {{ var('segment') }}", context()), { instanceOf: TaskError });
  t.is(v?.code, 'TEMPLATE_ERROR');
  t.is(v?.message, `${FILE}:1: var "segment" is not defined.`);
  t.regex(v?.hint ?? '', /under "vars" in sql\/dbt_project\.yml or in the tenant\.json "vars"/);
  const e = t.throws(() => render("select {{ env_var('API_TOKEN') }}", context()), { instanceOf: TaskError });
  t.is(e?.message, `${FILE}:1: environment variable "API_TOKEN" is not defined.`);
  t.is(e?.hint, "Set API_TOKEN in the environment or .env, or pass a default: env_var('API_TOKEN', 'default').");
});

test('var() and env_var() errors carry the line of the call without a default, as written in the template', (t) => {
  const template =
    "select {{ var('segment', 'all') }} as segment,\n  {{ env_var('REGION', 'eu') }} as region\n{# var('segment') #}\nwhere x = {{ var( \"segment\" ) }}\n  and y = {{ env_var('REGION') }}\n";
  t.throws(() => render(template, context()), { instanceOf: TaskError, code: 'TEMPLATE_ERROR', message: `${FILE}:4: var "segment" is not defined.` });
  t.throws(() => render(template, context({ vars: { segment: 'vip' } })), {
    instanceOf: TaskError,
    message: `${FILE}:5: environment variable "REGION" is not defined.`,
  });
  t.throws(
    () => render("{% set n = 'segment' %}\nselect {{ var(n) }}", context()),
    { instanceOf: TaskError, message: `${FILE}: var "segment" is not defined.` },
    'a computed name: no line rather than a wrong one',
  );
});

test('an unclosed {{ ref( is one TEMPLATE_ERROR at the unclosed tag, without the file twice or JavaScript internals', (t) => {
  const err = t.throws(() => render('select 1\nfrom {{ ref(\n', context()), { instanceOf: TaskError });
  t.is(err?.code, 'TEMPLATE_ERROR');
  t.is(err?.message, `${FILE}:2:6: Jinja error: "{{" is never closed: the template ends before its "}}".`);
  t.is(err?.hint, 'Close it with }} (and any parenthesis or quote opened inside it).');
  t.throws(() => renderTemplate('x\n{% if true\n', FILE, {}), {
    message: `${FILE}:2:1: Jinja error: "{%" is never closed: the template ends before its "%}".`,
  });
  t.throws(
    () => renderTemplate('x\n{% if true %}\n', FILE, {}),
    { message: `${FILE}: Jinja error: expected elif, else, or endif, got end of file` },
    'no position from nunjucks, no tag left open: no position',
  );
  t.throws(
    () => renderTemplate("select 1 as x\nfrom {{ ref('stg_regions' }}\n", FILE, { ref: String }),
    { message: `${FILE}:2:27: Jinja error: expected comma after expression` },
    'no parser function name',
  );
});

test('a call to an undefined function or method is TEMPLATE_ERROR at its line and column (line 1 too), in words, with the names a template can use', (t) => {
  const err = t.throws(() => render("select 1\n  from {{ nope('x') }}\n", context()), { instanceOf: TaskError });
  t.is(err?.code, 'TEMPLATE_ERROR');
  t.is(err?.message, `${FILE}:2:15: Jinja error: nope() is an undefined function or value.`);
  t.is(
    err?.hint,
    'Check the name: a template here can use ref, source, var, env_var, config, is_incremental, this, model, project_name, dbt_version, flags, tenant, target, run_started_at, invocation_id, log, return, exceptions, adapter, execute, run_query, statement, load_result, load_relation, api, tojson, fromjson, modules, zip, set, local_md5, fromyaml, toyaml.',
  );
  t.throws(() => render('{{ nope() }}', context()), { message: `${FILE}:1:8: Jinja error: nope() is an undefined function or value.` });
  t.throws(() => render('select 1\n\n  {{ tenant.nope() }}\n', context()), {
    message: `${FILE}:3:17: Jinja error: tenant.nope() is an undefined function or value.`,
  });
  t.throws(() => render('select {{ tenant.name() }}', context()), { message: `${FILE}:1:22: Jinja error: tenant.name is not a function.` });
  const aurora = t.throws(() => renderTemplate('{{ tenants | length }}\n{{ nope() }}', 'aurora/x.sql', { tenants: [] }), { instanceOf: TaskError });
  t.is(aurora?.hint, 'Check the name: a template here can use tenants.', 'the names of the globals given');
});

test('an unknown filter and a failing expression are TEMPLATE_ERROR in words', (t) => {
  const filter = t.throws(() => render("select {{ ref('a') }},\n  {{ 'x' | quoted }}", context()), { instanceOf: TaskError });
  t.is(filter?.message, `${FILE}:2:10: Jinja error: unknown filter "quoted".`, 'the line of the filter, not of the last call');
  t.is(filter?.hint, 'Use | literal (an SQL string) or | ident (an SQL identifier), or one of the nunjucks built-in filters.');
  const err = t.throws(() => renderTemplate("x\n{{ none | join(',') }}", FILE, {}), { instanceOf: TaskError });
  t.is(err?.message, `${FILE}: Jinja error: an expression could not be evaluated (a value it uses is missing or of the wrong kind).`);
  t.notRegex(err?.message ?? '', /TypeError|Cannot read|\(sql\//);
});

test('a TaskError thrown by ref() reaches the caller intact, not wrapped by nunjucks', (t) => {
  const refused = new TaskError('UNKNOWN_REF', 'no such model');
  const err = t.throws(() =>
    render(
      "select\n  {{ ref('nope') }}",
      context({
        ref: () => {
          throw refused;
        },
      }),
    ),
  );
  t.is(err, refused);
});

test('config() collects its keyword arguments and renders nothing', (t) => {
  const ctx = context();
  const sql = render("{{ config(materialized='incremental', unique_key=['id', 'day']) }}{{ config(on_schema_change='append_new_columns') }}select 1", ctx);
  t.is(sql, 'select 1');
  t.deepEqual(ctx.config, { materialized: 'incremental', unique_key: ['id', 'day'], on_schema_change: 'append_new_columns' });
});

test('is_incremental(), this and the tenant object are available to templates', (t) => {
  const template =
    "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% else %}full{% endif %} {{ tenant.name }} {{ tenant.database }} {{ tenant.aurora_schema }} {{ tenant.s3_location('orders') | literal }} {{ tenant.s3_location() }}";
  t.is(
    render(template, context({ incremental: true })),
    'where id > (select max(id) from "analytics"."orders") tenant_a tenant_a_db tenant_a_aurora \'s3://acme-lake/tenants/tenant_a/orders/\' s3://acme-lake/tenants/tenant_a/',
  );
  t.is(render(template, context()), "full tenant_a tenant_a_db tenant_a_aurora 's3://acme-lake/tenants/tenant_a/orders/' s3://acme-lake/tenants/tenant_a/");
});
