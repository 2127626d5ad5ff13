/**
 * formatAligned() + queryRaw() byte for byte against `psql -X -P pager=off -c <query>` (psql's default
 * aligned format) on a throwaway server. Both clients talk to the same server with the same session
 * defaults (DateStyle, TimeZone, lc_monetary), and psql runs with client_encoding UTF8.
 */
import test from 'ava';
import pg from 'pg';
import { formatAligned, displayWidth } from '../src/aligned.ts';
import { queryRaw } from '../src/raw-query.ts';
import { startServer, type TestServer } from './support/server.ts';
import { psql } from './support/psql.ts';

const QUERIES: Record<string, string> = {
  integers: 'select 1 as a, 22 as bb, 333 as c, 123456789012::bigint as big, 5::smallint as s',
  'numerics with decimals': "select 1.5::numeric as n, 12.345 as m, 0.5::float8 as f, 1e20::float4 as r, 'NaN'::numeric as nan, 1e-7::float8 as tiny",
  'negative numbers': 'select -1 as a, -22.75 as b, -0.001::float8 as c union all select 100, 3, -1e10',
  'text with spaces': "select '  leading' as a, 'trailing  ' as b, 'in between' as c",
  nulls: "select null::int as i, null::text as t, 'x' as last union all select 1, 'y', null",
  'null in the last left-aligned column': "select 'a' as x, null::text as last",
  'empty result': 'select 1 as a, \'b\' as b where false',
  'one row': "select 42 as answer, 'life' as what",
  'many rows mixed widths': "select g as n, repeat('x', g) as xs, g * 1.5 as half from generate_series(1, 12) g",
  'multi-line text': "select E'line1\\nline two\\nl3' as multi, 1 as n, E'a\\nb' as last union all select 'one', 22, 'plain'",
  'multi-line in a right-aligned column position': "select E'a\\nb' as first, 'x' as mid, 7 as num",
  'multi-line text ending in a newline': "select E'ends\\n' as t, 'z' as u",
  'Japanese text': "select '総顧客数' as \"総顧客数\", 1234 as \"顧客\", 'abc' as x union all select '東京', 5, '大阪府'",
  'emoji and combining marks': "select '😀 ok' as e, 'e\u0301te' as comb, 'naïve' as n",
  'long column names': "select 1 as this_is_a_really_long_column_name_for_testing, 'x' as y, 12345678 as another_long_name_here",
  booleans: 'select true as t, false as f, null::bool as n',
  'dates and timestamps': "select date '2024-01-31' as d, timestamp '2024-01-31 12:34:56.789' as ts, timestamptz '2024-01-31 12:34:56+00' as tstz, interval '1 day 2 hours' as iv, time '08:00' as tm",
  'duplicate column names': "select 1 as a, 2 as a, 'x' as a",
  'oid, money and other right-aligned types': "select 1::oid as o, 12.5::money as m, 3::int2 as s, 2.5::float4 as f4",
  'arrays and json are left-aligned': "select '{1,2,3}'::int[] as arr, '{\"a\": 1}'::jsonb as j, '(1,2)'::point as p",
  'multi-line column name': 'select 1 as "two\nlines", \'v\' as b',
  'tabs, carriage returns and control characters': "select E'a\\tb' as tab, E'x\\ry' as cr, E'\\x01z' as ctl, E'\\u0085' as c1",
  'header wider than values, odd and even padding': "select 1 as abcd, 2 as abc, 'x' as ab",
  'column names needing centring around wide chars': "select 'abcdefgh' as \"表\", 'ab' as \"表表表\"",
  'no columns': 'select from generate_series(1, 2)',
  'empty strings': "select '' as a, '' as b",
};

let server: TestServer | undefined;
let client: pg.Client | undefined;

test.before(async () => {
  server = await startServer();
  client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database });
  await client.connect();
});
test.after.always(async () => {
  await client?.end();
  await server?.stop();
});

for (const [name, sql] of Object.entries(QUERIES)) {
  test.serial(`same bytes as psql: ${name}`, async (t) => {
    const expected = (await psql(server!, ['-c', sql])).stdout;
    t.is(formatAligned(await queryRaw(client!, sql)), expected);
  });
}

test.serial('title and footer off like \\pset title / \\pset footer off', async (t) => {
  const sql = "select 1 as a, 'wide value here' as b";
  const result = await queryRaw(client!, sql);
  t.is(formatAligned(result, { title: 'Customers' }), (await psql(server!, ['-P', 'title=Customers', '-c', sql])).stdout);
  t.is(formatAligned(result, { title: 'A title far wider than the table itself' }), (await psql(server!, ['-P', 'title=A title far wider than the table itself', '-c', sql])).stdout);
  t.is(formatAligned(result, { title: '総顧客数' }), (await psql(server!, ['-P', 'title=総顧客数', '-c', sql])).stdout);
  t.is(formatAligned(result, { footer: false }), (await psql(server!, ['-P', 'footer=off', '-c', sql])).stdout);
});

test.serial('queryRaw keeps raw text, duplicate columns and the command', async (t) => {
  const r = await queryRaw(client!, "select 1.10::numeric as a, 9007199254740993::int8 as a, date '2024-01-01' as d, null as n");
  t.deepEqual(r.fields.map((f) => f.name), ['a', 'a', 'd', 'n']);
  t.deepEqual(r.rows, [['1.10', '9007199254740993', '2024-01-01', null]]);
  t.is(r.command, 'SELECT');
  t.is(r.rowCount, 1);
  const p = await queryRaw(client!, 'select $1::int + 1 as v', [41]);
  t.deepEqual(p.rows, [['42']]);
  const c = await queryRaw(client!, 'create temp table tq (a int)');
  t.deepEqual([c.command, c.fields, c.rows], ['CREATE', [], []]);
});

// Golden outputs captured from psql 15, so the format stays covered where no psql is installed.
test('golden: mixed alignment, NULL, multi-line and wide characters', (t) => {
  const result = {
    fields: [
      { name: 'id', dataTypeID: 23 },
      { name: '総顧客数', dataTypeID: 25 },
      { name: 'note', dataTypeID: 25 },
    ],
    rows: [
      ['1', '東京', 'two\nlines'],
      ['22', null, 'x'],
    ],
  };
  t.is(
    formatAligned(result),
    ' id | 総顧客数 | note  \n' +
      '----+----------+-------\n' +
      '  1 | 東京     | two  +\n' +
      '    |          | lines\n' +
      ' 22 |          | x\n' +
      '(2 rows)\n\n',
  );
  t.is(formatAligned({ fields: [{ name: 'n', dataTypeID: 1700 }], rows: [] }), ' n \n---\n(0 rows)\n\n');
});

test('displayWidth counts East Asian wide characters twice and marks zero', (t) => {
  t.is(displayWidth('abc'), 3);
  t.is(displayWidth('総顧客数'), 8);
  t.is(displayWidth('e\u0301'), 1);
  t.is(displayWidth('😀'), 2);
});
