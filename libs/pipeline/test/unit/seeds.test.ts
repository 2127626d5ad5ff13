/** Seed CSV checks and column type inference (seedColumns, read as a stream): no COPY, no database. */
import test from 'ava';
import { TaskError } from '@mt/cli';
import { seedColumns } from '../../src/seeds.ts';
import type { PipelineNode } from '../../src/types.ts';
import { tempWorkspace } from './support/fixtures.ts';

const ws = tempWorkspace();
test.after.always(() => ws.cleanup());
let files = 0;

const node = (columnTypes: Record<string, string> = {}): PipelineNode => ({
  id: 'seed.orders',
  kind: 'seed',
  name: 'orders',
  file: 'seeds/orders.csv',
  config: { column_types: columnTypes },
  dependsOn: [],
  checksum: '',
});
/** The columns of a seed file with this content (every row read). */
const columnsOf = async (csv: string | Buffer, columnTypes: Record<string, string> = {}) =>
  (await seedColumns(ws.write(`seeds/${files++}.csv`, csv), node(columnTypes))).columns;
/** The inferred type of one column whose values are the given (non-empty) cells. */
const typeOf = async (...values: string[]) => (await columnsOf(['v', ...values.map((v) => `"${v}"`)].join('\n') + '\n'))[0].type;

test('each column gets the narrowest type all its values fit, in header order', async (t) => {
  const csv = 'id,amount,paid,order_date,created_at,note\n1,12.50,true,2024-01-31,2024-01-31 10:15:00,first\n2,3,FALSE,2024-02-01,2024-02-01T08:00,second\n';
  t.deepEqual(await columnsOf(csv), [
    { name: 'id', type: 'integer' },
    { name: 'amount', type: 'numeric' },
    { name: 'paid', type: 'boolean' },
    { name: 'order_date', type: 'date' },
    { name: 'created_at', type: 'timestamp' },
    { name: 'note', type: 'text' },
  ]);
});

test('integer stops at the int4 range on both sides; bigint takes over beyond it', async (t) => {
  t.is(await typeOf('2147483647', '-2147483648'), 'integer');
  t.is(await typeOf('2147483648'), 'bigint');
  t.is(await typeOf('-2147483649'), 'bigint');
  t.is(await typeOf('1', '12345678901'), 'bigint', 'one wide value widens the whole column');
});

test("bigint stops at int8's range on both sides; numeric takes over beyond it", async (t) => {
  t.is(await typeOf('9223372036854775807', '-9223372036854775808'), 'bigint');
  t.is(await typeOf('9223372036854775808'), 'numeric');
  t.is(await typeOf('-9223372036854775809'), 'numeric');
  t.is(await typeOf('9999999999999999999'), 'numeric', '19 digits, above the maximum');
  t.is(await typeOf('1', '9223372036854775808'), 'numeric', 'one value beyond int8 widens the whole column');
});

test('numbers written with leading zeros are codes and stay text, so the zeros survive; 0 itself and 0.5 are numbers', async (t) => {
  t.is(await typeOf('00501'), 'text');
  t.is(await typeOf('10001', '00501'), 'text', 'one zip code with a leading zero keeps the column text');
  t.is(await typeOf('-07'), 'text');
  t.is(await typeOf('00.5'), 'text');
  t.is(await typeOf('000000000000000000001'), 'text');
  t.is(await typeOf('0', '-0', '10'), 'integer');
  t.is(await typeOf('0.5', '-0.25', '0'), 'numeric');
});

test('dates must exist on the calendar (leap years included); a column of dates and timestamps is timestamp', async (t) => {
  t.is(await typeOf('2024-02-29', '2000-02-29'), 'date');
  for (const impossible of ['2024-02-30', '2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00', '0000-01-01']) {
    t.is(await typeOf(impossible), 'text', impossible);
  }
  t.is(await typeOf('2024-02-30 10:00:00'), 'text', 'the date part of a timestamp too');
  t.is(await typeOf('2024-01-31 24:00'), 'text');
  t.is(await typeOf('2024-01-31 23:60'), 'text');
  t.is(await typeOf('2024-01-31 23:59:59.999'), 'timestamp');
  t.is(await typeOf('2024-01-31', '2024-02-01 08:00:00', '2024-02-02T09:30'), 'timestamp');
  t.is(await typeOf('2024-01-31', '2024-02-30 08:00'), 'text');
});

test('numeric accepts decimals written as .5, -.5 and 5. ; exponents, +1 and NaN stay text', async (t) => {
  t.is(await typeOf('.5', '-.5', '5.', '10'), 'numeric');
  t.is(await typeOf('1e5'), 'text');
  t.is(await typeOf('+1'), 'text');
  t.is(await typeOf('NaN'), 'text');
});

test('empty cells are ignored for inference; a column with only empty cells is text', async (t) => {
  t.deepEqual(await columnsOf('id,discount,note\n1,,\n2,5,\n3,,\n'), [
    { name: 'id', type: 'integer' },
    { name: 'discount', type: 'integer' },
    { name: 'note', type: 'text' },
  ]);
  t.deepEqual(
    (await columnsOf('id,shipped\n1,\n2,2024-01-31\n')).map((c) => c.type),
    ['integer', 'date'],
  );
});

test('mixed values fall back to the first type they all fit, else text', async (t) => {
  t.is(await typeOf('1', '2.5'), 'numeric');
  t.is(await typeOf('1', 'true'), 'text');
  t.is(await typeOf('2024-01-31', 'n/a'), 'text');
  t.is(await typeOf(' 1'), 'text', 'no trimming: padded numbers are text');
});

test('column_types from dbt_project.yml win over inference; a type for a missing column is SEED_CONFIG', async (t) => {
  t.deepEqual(await columnsOf('zip,n\n00501,1\n', { zip: 'text' }), [
    { name: 'zip', type: 'text' },
    { name: 'n', type: 'integer' },
  ]);
  await t.throwsAsync(columnsOf('zip,n\n00501,1\n', { zipcode: 'text' }), {
    instanceOf: TaskError,
    code: 'SEED_CONFIG',
    message: 'sql/dbt_project.yml: the +column_types of seed orders name zipcode, a column that seeds/orders.csv does not have (columns: zip, n).',
  });
});

test('a UTF-8 BOM, Windows line ends and trailing blank lines are not part of the data', async (t) => {
  t.deepEqual(await columnsOf('\uFEFFid,name\n1,a\n\n\n'), [
    { name: 'id', type: 'integer' },
    { name: 'name', type: 'text' },
  ]);
  t.deepEqual(await columnsOf('id,day\r\n1,2024-01-31\r\n2,"a\r\nb"\r\n\r\n'), [
    { name: 'id', type: 'integer' },
    { name: 'day', type: 'text' },
  ]);
});

test('a row with the wrong number of fields, an unterminated quote or a blank line inside is SEED_MALFORMED at its line', async (t) => {
  await t.throwsAsync(columnsOf('id,name\n1,a\n2,b,extra\n'), {
    instanceOf: TaskError,
    code: 'SEED_MALFORMED',
    message: /^seeds\/orders\.csv:3: malformed CSV row: expected 2 fields, found 3\.$/,
  });
  // A quoted field over two lines moves the count on.
  await t.throwsAsync(columnsOf('id,name\n1,"a\nb"\n2\n'), { code: 'SEED_MALFORMED', message: /^seeds\/orders\.csv:4: / });
  await t.throwsAsync(columnsOf('id,name\n1,a\n2,"b\n3,c\n'), {
    code: 'SEED_MALFORMED',
    message: /^seeds\/orders\.csv:3: malformed CSV row: quoted field unterminated\.$/,
  });
  await t.throwsAsync(columnsOf('id,name\n1,a\n\n2,b\n'), { code: 'SEED_MALFORMED', message: /^seeds\/orders\.csv:3: malformed CSV row: the line is empty/ });
});

test('header problems: empty file, duplicate names, blank names, names over 63 bytes', async (t) => {
  await t.throwsAsync(columnsOf(''), { code: 'SEED_EMPTY', message: 'seeds/orders.csv: the file has no header row.' });
  await t.throwsAsync(columnsOf('id,name,id\n1,a,2\n'), {
    code: 'SEED_HEADER',
    message: 'seeds/orders.csv:1: column names must be present and unique (problem: id).',
  });
  await t.throwsAsync(columnsOf('id, \n1,2\n'), { code: 'SEED_HEADER', message: /\(problem: an empty name\)\.$/ });
  const long = 'é'.repeat(32); // 64 bytes, 32 characters
  await t.throwsAsync(columnsOf(`id,${long}\n1,2\n`), {
    code: 'SEED_HEADER',
    message: `seeds/orders.csv:1: column names may have at most 63 bytes (PostgreSQL's limit); too long: "${long}".`,
  });
});

test('valid UTF-8 is read as such; the first line with an invalid byte is named', async (t) => {
  t.deepEqual(await columnsOf('id,city\n1,Zürich\n'), [
    { name: 'id', type: 'integer' },
    { name: 'city', type: 'text' },
  ]);
  const latin1 = Buffer.concat([Buffer.from('id,city\n1,Zurich\n2,Z'), Buffer.from([0xfc]), Buffer.from('rich\n3,Bern\n')]);
  await t.throwsAsync(columnsOf(latin1), {
    instanceOf: TaskError,
    code: 'SEED_ENCODING',
    message: 'seeds/orders.csv:3: the file is not valid UTF-8 (a byte sequence on this line is not a character).',
  });
});

test('a sample of the first bytes infers from the whole rows in it and says it was not the whole file', async (t) => {
  const path = ws.write('seeds/sample.csv', `id,amount\n${Array.from({ length: 1000 }, (_, i) => `${i},${i}`).join('\n')}\n1000,2.5\n`);
  const sample = await seedColumns(path, node(), 200);
  t.false(sample.exact);
  t.deepEqual(
    sample.columns.map((c) => c.type),
    ['integer', 'integer'],
  );
  const whole = await seedColumns(path, node());
  t.true(whole.exact);
  t.deepEqual(
    whole.columns.map((c) => c.type),
    ['integer', 'numeric'],
  );
});
