/** One statement per node, and server errors mapped back to the node's own file (sql-errors.ts), with a fake executor. */
import test from 'ava';
import { TaskError } from '@mt/cli';
import { nodeSqlError, runNodeSql } from '../../src/sql-errors.ts';
import type { PipelineNode } from '../../src/types.ts';

const SQL = 'select\n  amout\nfrom "analytics"."orders"';
const PREFIX = 'create table "analytics"."m__tmp" as (\n';
const node = (template = "select\n  amout\nfrom {{ ref('orders') }}"): PipelineNode => ({
  id: 'model.m',
  kind: 'model',
  name: 'm',
  file: 'sql/models/m.sql',
  template,
  config: {},
  dependsOn: [],
  checksum: '',
});
/** What pg's DatabaseError carries: severity, SQLSTATE and a 1-based character position in the text sent. */
const serverError = (position: number) =>
  Object.assign(new Error('column "amout" does not exist'), { severity: 'ERROR', code: '42703', position: String(position) });
const amoutPosition = [...PREFIX].length + SQL.indexOf('amout') + 1;

test('runNodeSql sends prefix + SQL + suffix as one text and returns what the executor returns', async (t) => {
  const sent: string[] = [];
  const result = await runNodeSql(async (text) => (sent.push(text), { rowCount: 3 }), node(), {
    prefix: PREFIX,
    sql: "select ';' as semi -- ; not a separator",
    suffix: '\n)',
  });
  t.deepEqual(result, { rowCount: 3 });
  t.deepEqual(sent, [`${PREFIX}select ';' as semi -- ; not a separator\n)`]);
});

test('a second statement after ";" is MULTIPLE_STATEMENTS at its line, and nothing is sent', async (t) => {
  let called = false;
  const err = await t.throwsAsync(
    runNodeSql(async () => (called = true), node("select 1;\n\n  copy x to program 'rm -rf /'"), {
      prefix: PREFIX,
      sql: "select 1;\n\n  copy x to program 'rm -rf /'",
    }),
    { instanceOf: TaskError },
  );
  t.is(err?.code, 'MULTIPLE_STATEMENTS');
  t.is(err?.message, 'sql/models/m.sql:3: a second statement ("copy x to …"): a model is exactly one query, nothing after a ";".');
  t.regex(err?.hint ?? '', /Nothing was run\.$/);
  t.false(called);
});

test('MULTIPLE_STATEMENTS names the compiled file when Jinja changed the line count', async (t) => {
  const template = '{% set x = 1 %}\n{% if true %}\nselect 1; select 2\n{% endif %}\n';
  await t.throwsAsync(
    runNodeSql(
      async () => undefined,
      { ...node(template), kind: 'snapshot' },
      { prefix: '', sql: '\nselect 1; select 2\n', compiledFile: 'target/compiled/m.sql' },
    ),
    {
      code: 'MULTIPLE_STATEMENTS',
      message: 'target/compiled/m.sql:2: a second statement ("select 2 …"): a snapshot is exactly one query, nothing after a ";".',
    },
  );
});

test('a server error is reported at line:column of the model file, the prefix not counted', async (t) => {
  const err = await t.throwsAsync(
    runNodeSql(
      async () => {
        throw serverError(amoutPosition);
      },
      node(),
      { prefix: PREFIX, sql: SQL, suffix: '\n)' },
    ),
    { instanceOf: TaskError },
  );
  t.is(err?.code, 'SQL_ERROR');
  t.is(err?.message, ['sql/models/m.sql:2:3: ERROR:  column "amout" does not exist', '  2 |   amout', '    |   ^'].join('\n'));
});

test('when Jinja removed lines, the position refers to the compiled copy, and the message says so', (t) => {
  const template = "{% if false %}\n-- gone\n{% endif %}\nselect\n  amout\nfrom {{ ref('orders') }}";
  const err = nodeSqlError(serverError(amoutPosition), node(template), { prefix: PREFIX, sql: SQL, compiledFile: 'target/compiled/m.sql' }) as TaskError;
  t.is(
    err.message,
    [
      'target/compiled/m.sql:2:3: ERROR:  column "amout" does not exist',
      '  2 |   amout',
      '    |   ^',
      '(line numbers refer to the compiled SQL of sql/models/m.sql)',
    ].join('\n'),
  );
});

test('an error positioned in the wrapper names the file without a caret; non-server errors pass through untouched', (t) => {
  // the last character of the wrapper (its newline) is still the wrapper
  const inPrefix = nodeSqlError(serverError([...PREFIX].length), node(), { prefix: PREFIX, sql: SQL }) as TaskError;
  t.is(inPrefix.message, 'sql/models/m.sql:1: ERROR:  column "amout" does not exist');
  const refused = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
  t.is(nodeSqlError(refused, node(), { prefix: PREFIX, sql: SQL }), refused);
  const programming = new TypeError('x is not a function');
  t.is(nodeSqlError(programming, node(), { prefix: PREFIX, sql: SQL }), programming);
});
