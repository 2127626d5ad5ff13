/** Generic data tests declared in YAML: parsing into nodes and the SQL each one runs (yaml-tests.ts). */
import test from 'ava';
import { TaskError } from '@mt/cli';
import { genericTestSql, genericTestsFromYaml } from '../../src/yaml-tests.ts';

const FILE = 'sql/models/marts/schema.yml';
const rel = (name: string) => `"analytics"."${name}"`;
const doc = (tests: unknown[], key = 'tests') => ({ models: [{ name: 'orders', columns: [{ name: 'status', [key]: tests }] }] });

test('not_null returns the rows whose column is NULL', (t) => {
  t.is(genericTestSql({ type: 'not_null', model: 'orders', column: 'order_id' }, rel), 'select * from "analytics"."orders" where "order_id" is null');
});

test('unique returns each duplicated non-NULL value with its count', (t) => {
  t.is(
    genericTestSql({ type: 'unique', model: 'orders', column: 'order_id' }, rel),
    'select "order_id" as unique_field, count(*) as n_records from "analytics"."orders" where "order_id" is not null group by "order_id" having count(*) > 1',
  );
});

test('accepted_values quotes values as SQL literals (quotes doubled), or writes numbers bare with quote: false', (t) => {
  t.is(
    genericTestSql({ type: 'accepted_values', model: 'orders', column: 'status', values: ['placed', "o'brien", 3], quote: true }, rel),
    `select "status" as value_field, count(*) as n_records from "analytics"."orders" group by "status" having "status" not in ('placed', 'o''brien', '3')`,
  );
  t.is(
    genericTestSql({ type: 'accepted_values', model: 'orders', column: 'priority', values: [1, '2', 3.5], quote: false }, rel),
    'select "priority" as value_field, count(*) as n_records from "analytics"."orders" group by "priority" having "priority" not in (1, 2, 3.5)',
  );
});

test('accepted_values with quote: false writes booleans as true/false, numbers as numbers and bare words as given', (t) => {
  t.is(
    genericTestSql({ type: 'accepted_values', model: 'orders', column: 'paid', values: [true, false], quote: false }, rel),
    'select "paid" as value_field, count(*) as n_records from "analytics"."orders" group by "paid" having "paid" not in (true, false)',
  );
  t.is(
    genericTestSql({ type: 'accepted_values', model: 'orders', column: 'due', values: ['current_date', -2.5, '-.5', 'TRUE'], quote: false }, rel),
    'select "due" as value_field, count(*) as n_records from "analytics"."orders" group by "due" having "due" not in (current_date, -2.5, -.5, TRUE)',
  );
});

test('accepted_values with quote: false refuses anything but one bare token at load time, naming file, test and value: no SQL through YAML', (t) => {
  const err = t.throws(() => genericTestsFromYaml(doc([{ accepted_values: { values: [1, '1) or (true', "x'"], quote: false } }]), FILE), {
    instanceOf: TaskError,
  });
  t.is(err?.code, 'INVALID_TEST');
  t.is(
    err?.message,
    `${FILE}: accepted_values on orders.status has quote: false, but "1) or (true", "x'" are not a number, true/false or a single bare word, so they cannot be written into the SQL unquoted.`,
  );
  t.is(err?.hint, 'Remove quote: false to compare as text (the default), or write the value as a number or boolean.');
  for (const value of ['placed shipped', '1;', null, { a: 1 }, Number.NaN, '']) {
    t.throws(() => genericTestsFromYaml(doc([{ accepted_values: { values: [value], quote: false } }]), FILE), { code: 'INVALID_TEST' }, JSON.stringify(value));
  }
  // The same values are fine quoted, and genericTestSql refuses them unquoted for any other caller.
  t.is(genericTestsFromYaml(doc([{ accepted_values: { values: ['1) or (true'] } }]), FILE)[0].generic?.values?.[0], '1) or (true');
  t.throws(() => genericTestSql({ type: 'accepted_values', model: 'orders', column: 'priority', values: ['1) or (true'], quote: false }, rel), {
    code: 'INVALID_TEST',
  });
});

test('accepted_values with an empty values list is refused at load time (it would run `not in ()`)', (t) => {
  const err = t.throws(() => genericTestsFromYaml(doc([{ accepted_values: { values: [] } }]), FILE), { instanceOf: TaskError });
  t.is(err?.code, 'INVALID_TEST');
  t.is(err?.message, `${FILE}: accepted_values on orders.status has an empty "values" list, so no value would be accepted.`);
  t.is(err?.hint, 'List the accepted values, or remove the test.');
});

test('relationships returns child values with no parent row, NULL children excluded, both relations resolved', (t) => {
  t.is(
    genericTestSql({ type: 'relationships', model: 'orders', column: 'customer_id', to: 'customers', field: 'id' }, rel),
    'select child."customer_id" as from_field from "analytics"."orders" as child left join "analytics"."customers" as parent on child."customer_id" = parent."id" where child."customer_id" is not null and parent."id" is null',
  );
});

test('column names are quoted identifiers, so mixed case and quotes survive', (t) => {
  t.is(genericTestSql({ type: 'not_null', model: 'orders', column: 'Order "Id"' }, rel), 'select * from "analytics"."orders" where "Order ""Id""" is null');
});

test('YAML entries become test nodes with dbt-style names, severity error by default, no checksum yet', (t) => {
  const nodes = genericTestsFromYaml(
    {
      models: [
        {
          name: 'orders',
          columns: [
            { name: 'order_id', tests: ['unique', 'not_null'] },
            { name: 'customer_id', tests: [{ relationships: { to: "ref('customers')", field: 'id' } }] },
          ],
        },
      ],
    },
    FILE,
  );
  t.deepEqual(nodes, [
    {
      id: 'test.unique_orders_order_id',
      kind: 'test',
      name: 'unique_orders_order_id',
      file: FILE,
      generic: { type: 'unique', model: 'orders', column: 'order_id' },
      config: { severity: 'error' },
      dependsOn: [],
      checksum: '',
    },
    {
      id: 'test.not_null_orders_order_id',
      kind: 'test',
      name: 'not_null_orders_order_id',
      file: FILE,
      generic: { type: 'not_null', model: 'orders', column: 'order_id' },
      config: { severity: 'error' },
      dependsOn: [],
      checksum: '',
    },
    {
      id: 'test.relationships_orders_customer_id',
      kind: 'test',
      name: 'relationships_orders_customer_id',
      file: FILE,
      generic: { type: 'relationships', model: 'orders', column: 'customer_id', to: 'customers', field: 'id' },
      config: { severity: 'error' },
      dependsOn: [],
      checksum: '',
    },
  ]);
});

test('accepted_values: values, quote (default true) and severity, in the flat, arguments: and config: spellings', (t) => {
  const [flat, nested, dataTests] = [
    genericTestsFromYaml(doc([{ accepted_values: { values: ['placed', 'shipped'], severity: 'WARN' } }]), FILE)[0],
    genericTestsFromYaml(doc([{ accepted_values: { arguments: { values: [1, 2], quote: false }, config: { severity: 'warn' } } }]), FILE)[0],
    genericTestsFromYaml(doc(['not_null'], 'data_tests'), FILE)[0],
  ];
  t.deepEqual(
    [flat.generic, flat.config],
    [{ type: 'accepted_values', model: 'orders', column: 'status', values: ['placed', 'shipped'], quote: true }, { severity: 'warn' }],
  );
  t.deepEqual(
    [nested.generic, nested.config],
    [{ type: 'accepted_values', model: 'orders', column: 'status', values: [1, 2], quote: false }, { severity: 'warn' }],
  );
  t.is(dataTests.id, 'test.not_null_orders_status');
});

test('a second test of the same kind on the same column gets a numbered name', (t) => {
  const nodes = genericTestsFromYaml(
    doc([{ accepted_values: { values: ['a'] } }, { accepted_values: { values: ['b'] } }, { accepted_values: { values: ['c'] } }]),
    FILE,
  );
  t.deepEqual(
    nodes.map((n) => n.name),
    ['accepted_values_orders_status', 'accepted_values_orders_status_2', 'accepted_values_orders_status_3'],
  );
});

test('numbering also skips names taken elsewhere in the project (other YAML files, singular tests)', (t) => {
  const taken = new Set(['not_null_orders_status', 'not_null_orders_status_2']);
  const nodes = genericTestsFromYaml(doc(['not_null', 'not_null', 'unique']), FILE, (name) => taken.has(name));
  t.deepEqual(
    nodes.map((n) => n.id),
    ['test.not_null_orders_status_3', 'test.not_null_orders_status_4', 'test.unique_orders_status'],
  );
});

test('severity is warn or error in any case; anything else is refused at load time with the file and the test', (t) => {
  const severityOf = (severity: unknown) => genericTestsFromYaml(doc([{ not_null: { severity } }]), FILE)[0].config.severity;
  t.is(severityOf('Warn'), 'warn');
  t.is(severityOf('ERROR'), 'error');
  const err = t.throws(() => genericTestsFromYaml(doc([{ not_null: { severity: 'fatal' } }]), FILE), { instanceOf: TaskError });
  t.is(err?.code, 'INVALID_TEST');
  t.is(err?.message, `${FILE}: not_null on orders.status has severity "fatal"; it must be warn or error.`);
  t.is(err?.hint, 'severity: warn reports failing rows without failing the run; error (the default) fails it.');
  t.throws(() => genericTestsFromYaml(doc([{ unique: { config: { severity: 1 } } }]), FILE), {
    instanceOf: TaskError,
    code: 'INVALID_TEST',
    message: `${FILE}: unique on orders.status has severity 1; it must be warn or error.`,
  });
});

test('unknown test types and incomplete arguments are refused with the file, model and column', (t) => {
  const err = t.throws(() => genericTestsFromYaml(doc(['not_empty']), FILE), { instanceOf: TaskError });
  t.is(err?.code, 'UNKNOWN_TEST');
  t.is(err?.message, `${FILE}: test "not_empty" on orders.status is not a generic test of this project.`);
  t.regex(err?.hint ?? '', /sql\/tests\/<name>\.sql/);
  t.throws(() => genericTestsFromYaml(doc([{ accepted_values: { values: 'placed' } }]), FILE), {
    code: 'INVALID_TEST',
    message: `${FILE}: accepted_values on orders.status needs a "values" list.`,
  });
  t.throws(() => genericTestsFromYaml(doc([{ relationships: { to: 'customers', field: 'id' } }]), FILE), {
    code: 'INVALID_TEST',
    message: `${FILE}: relationships on orders.status needs "to: ref('model')" and "field".`,
  });
  t.throws(() => genericTestsFromYaml(doc([{ relationships: { to: "ref('customers')" } }]), FILE), { code: 'INVALID_TEST' });
});

test('a document without models or columns yields no tests', (t) => {
  t.deepEqual(genericTestsFromYaml({ sources: [{ name: 'raw' }] }, FILE), []);
  t.deepEqual(genericTestsFromYaml({ models: [{ name: 'orders' }] }, FILE), []);
});

test("tests on a source's table itself, as on its columns, are source tests", (t) => {
  const tests = genericTestsFromYaml(
    {
      sources: [
        {
          name: 'shop',
          tables: [
            {
              name: 'order_items',
              tests: [{ 'dbt_utils.unique_combination_of_columns': { combination_of_columns: ['order_id', 'line_no'] } }],
              columns: [{ name: 'quantity', tests: ['not_null'] }],
            },
          ],
        },
      ],
    },
    FILE,
    () => false,
    new Set(['unique_combination_of_columns']),
  );
  t.deepEqual(
    tests.map((x) => [x.name, x.generic]),
    [
      [
        'source_unique_combination_of_columns_shop_order_items',
        { type: 'unique_combination_of_columns', model: 'shop.order_items', source: true, args: { combination_of_columns: ['order_id', 'line_no'] } },
      ],
      ['source_not_null_shop_order_items_quantity', { type: 'not_null', model: 'shop.order_items', source: true, column: 'quantity' }],
    ],
  );
});
