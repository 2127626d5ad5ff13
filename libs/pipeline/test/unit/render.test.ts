/** Jinja rendering: filters, ref/source/var/env_var/config/this/tenant globals and error messages (render.ts). */
import test from 'ava';
import { TaskError } from '@mt/cli';
import { quoteIdent, relationName, render, renderTemplate, type RenderContext } from '../../src/render.ts';
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
  const sql = render("select * from {{ ref('customers') }} c join {{ ref('shop', 'orders') }} o using (id) join {{ source('stripe', 'charges') }} s using (id)", ctx);
  t.is(sql, 'select * from "analytics"."customers" c join "analytics"."orders" o using (id) join "raw_stripe"."charges" s using (id)');
  t.deepEqual(ctx.refs, ['customers', 'orders']);
});

test('var() reads the vars (falsy values included), else its default; env_var() likewise from the environment', (t) => {
  const sql = render("{{ var('region') | literal }} {{ var('min_total') }} {{ var('limit', 100) }} {{ env_var('BATCH_LABEL') }} {{ env_var('UNSET_VAR', 'none') }}", context());
  t.is(sql, "'EU' 0 100 nightly none");
});

test('var() and env_var() without a value or default are TEMPLATE_ERROR naming the file, with how to define them', (t) => {
  const v = t.throws(() => render("select {{ var('segment') }}", context()), { instanceOf: TaskError });
  t.is(v?.code, 'TEMPLATE_ERROR');
  t.is(v?.message, `${FILE}: var "segment" is not defined.`);
  t.regex(v?.hint ?? '', /under "vars" in sql\/project\.yml or in the tenant\.json "vars"/);
  const e = t.throws(() => render("select {{ env_var('API_TOKEN') }}", context()), { instanceOf: TaskError });
  t.is(e?.message, `${FILE}: environment variable "API_TOKEN" is not defined.`);
  t.is(e?.hint, "Set API_TOKEN in the environment or .env, or pass a default: env_var('API_TOKEN', 'default').");
});

test('a TaskError thrown by ref() reaches the caller intact, not wrapped by nunjucks', (t) => {
  const refused = new TaskError('UNKNOWN_REF', 'no such model');
  const err = t.throws(() => render("select\n  {{ ref('nope') }}", context({ ref: () => { throw refused; } })));
  t.is(err, refused);
});

test('config() collects its keyword arguments and renders nothing', (t) => {
  const ctx = context();
  const sql = render("{{ config(materialized='incremental', unique_key=['id', 'day']) }}{{ config(on_schema_change='append_new_columns') }}select 1", ctx);
  t.is(sql, 'select 1');
  t.deepEqual(ctx.config, { materialized: 'incremental', unique_key: ['id', 'day'], on_schema_change: 'append_new_columns' });
});

test('is_incremental(), this and the tenant object are available to templates', (t) => {
  const template = "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% else %}full{% endif %} {{ tenant.name }} {{ tenant.database }} {{ tenant.aurora_schema }} {{ tenant.s3_location('orders') | literal }} {{ tenant.s3_location() }}";
  t.is(render(template, context({ incremental: true })), 'where id > (select max(id) from "analytics"."orders") tenant_a tenant_a_db tenant_a_aurora \'s3://acme-lake/tenants/tenant_a/orders/\' s3://acme-lake/tenants/tenant_a/');
  t.is(render(template, context()), "full tenant_a tenant_a_db tenant_a_aurora 's3://acme-lake/tenants/tenant_a/orders/' s3://acme-lake/tenants/tenant_a/");
});
