/** locateSqlError() with real errors from a throwaway server, and lineColumnAt() edge cases. */
import test from 'ava';
import pg from 'pg';
import { TaskError } from '@mt/cli';
import { lineColumnAt, locateSqlError } from '../src/error-location.ts';
import { splitStatements } from '../src/split.ts';
import { startServer, type TestServer } from './support/server.ts';

let server: TestServer;
let client: pg.Client;

test.before(async () => {
  server = await startServer();
  client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database });
  await client.connect();
  await client.query('create table orders (id int primary key, customer_id int, amount numeric)');
});
test.after.always(async () => {
  await client?.end();
  await server?.stop();
});

/** Runs the statements of a file one by one and returns the located error of the failing one. */
async function runFile(file: string, text: string): Promise<TaskError> {
  for (const stmt of splitStatements(text, { file })) {
    try {
      await client.query(stmt.sql);
    } catch (err) {
      const located = locateSqlError(err, { file, sql: stmt.sql, startLine: stmt.line, startColumn: stmt.column });
      if (!located) throw err;
      return located;
    }
  }
  throw new Error('no statement failed');
}

test.serial('syntax error', async (t) => {
  const err = await runFile('sql/a.sql', 'select 1;\nselec 2;');
  t.is(err.code, 'SQL_ERROR');
  t.is(err.message, ['sql/a.sql:2:1: ERROR:  syntax error at or near "selec"', '  2 | selec 2', '    | ^'].join('\n'));
});

test.serial('unknown column in a statement starting at line 20, with the hint', async (t) => {
  const text = '-- customers mart\n'.repeat(19) + 'select\n    o.customer_id,\n    sum(amout) as lifetime_value\nfrom orders o\ngroup by 1;\n';
  const err = await runFile('sql/models/marts/customers.sql', text);
  t.is(
    err.message,
    [
      'sql/models/marts/customers.sql:22:9: ERROR:  column "amout" does not exist',
      '  22 |     sum(amout) as lifetime_value',
      '     |         ^',
    ].join('\n'),
  );
  t.is(err.hint, 'Perhaps you meant to reference the column "o.amount".');
  t.true(err.cause instanceof Error);
});

test.serial('division by zero has no position: file and start line only', async (t) => {
  const err = await runFile('sql/b.sql', '\n\nselect 1,\n  1/0;');
  t.is(err.message, 'sql/b.sql:3: ERROR:  division by zero');
  t.is(err.hint, undefined);
});

test.serial('astral characters before the error count as one character each', async (t) => {
  const err = await runFile('sql/c.sql', "select '😀😀𝒳' as e, nope from orders;");
  // Server position 20 counts code points (UTF-16 would say 23); emoji are two cells wide, 𝒳 one.
  t.is(err.message, ['sql/c.sql:1:20: ERROR:  column "nope" does not exist', "  1 | select '😀😀𝒳' as e, nope from orders", '    | ' + ' '.repeat(21) + '^'].join('\n'));
});

test.serial('statement starting mid-line: column counted from the start of the file line', async (t) => {
  const err = await runFile('sql/d.sql', 'select 1;   select nope;');
  t.is(err.message.split('\n')[0], 'sql/d.sql:1:20: ERROR:  column "nope" does not exist');
  t.is(err.message.split('\n')[2], '    |        ^');
});

test.serial('CRLF line endings and tabs: caret under the right character', async (t) => {
  const err = await runFile('sql/e.sql', 'select 1;\r\nselect\r\n\tid,\r\n\t\tnope\r\nfrom orders;\r\n');
  t.is(err.message, ['sql/e.sql:4:3: ERROR:  column "nope" does not exist', '  4 | \t\tnope', '    | \t\t^'].join('\n'));
});

test.serial('syntax error at end of input points after the last character', async (t) => {
  const err = await runFile('sql/f.sql', 'select (1\n');
  t.is(err.message, ['sql/f.sql:1:10: ERROR:  syntax error at end of input', '  1 | select (1', '    |          ^'].join('\n'));
});

test.serial('DETAIL from the server is shown', async (t) => {
  const err = await runFile('sql/g.sql', 'insert into orders values (1, 1, 1), (1, 2, 2);');
  t.is(err.message, 'sql/g.sql:1: ERROR:  duplicate key value violates unique constraint "orders_pkey"\nDETAIL: Key (id)=(1) already exists.');
});

test.serial('error in a DO block statement is located through the internal query', async (t) => {
  const err = await runFile('sql/h.sql', 'do $$\nbegin\n  update orders set amount = nope;\nend\n$$;');
  t.is(
    err.message,
    [
      'sql/h.sql:3:30: ERROR:  column "nope" does not exist',
      '  3 |   update orders set amount = nope;',
      '    |                              ^',
      'CONTEXT: PL/pgSQL function inline_code_block line 3 at SQL statement',
    ].join('\n'),
  );
});

test.serial('internal query not found in the statement is quoted with its caret', async (t) => {
  const err = await runFile('sql/i.sql', 'do $$ begin perform nope; end $$;');
  t.is(
    err.message,
    ['sql/i.sql:1: ERROR:  column "nope" does not exist', 'QUERY: SELECT nope', '              ^', 'CONTEXT: PL/pgSQL function inline_code_block line 1 at PERFORM'].join('\n'),
  );
});

test('non-server errors are not located', (t) => {
  t.is(locateSqlError(new Error('Connection terminated'), { file: 'x.sql', sql: 'select 1' }), undefined);
  t.is(locateSqlError('boom', { file: 'x.sql', sql: 'select 1' }), undefined);
  t.is(locateSqlError(undefined, { file: 'x.sql', sql: 'select 1' }), undefined);
});

test('lineColumnAt: lines, CRLF, lone CR, astral code points, past the end', (t) => {
  t.deepEqual(lineColumnAt('abc', 1), { line: 1, column: 1, lineText: 'abc' });
  t.deepEqual(lineColumnAt('ab\ncd', 4), { line: 2, column: 1, lineText: 'cd' });
  t.deepEqual(lineColumnAt('ab\r\ncd\r\n', 6), { line: 2, column: 2, lineText: 'cd' });
  t.deepEqual(lineColumnAt('ab\rcd', 5), { line: 2, column: 2, lineText: 'cd' });
  t.deepEqual(lineColumnAt('😀x\n𝒳y', 5), { line: 2, column: 2, lineText: '𝒳y' });
  t.deepEqual(lineColumnAt('ab', 9), { line: 1, column: 3, lineText: 'ab' });
  t.deepEqual(lineColumnAt('\tx', 2), { line: 1, column: 2, lineText: '\tx' });
});

test('very long lines are cut around the caret', (t) => {
  const sql = 'select ' + Array.from({ length: 60 }, (_, i) => `c${i}`).join(', ') + ', nope';
  const err = locateSqlError(Object.assign(new Error('column "nope" does not exist'), { severity: 'ERROR', code: '42703', position: String(sql.indexOf('nope') + 1) }), {
    file: 'x.sql',
    sql,
  })!;
  const [, line, caret] = err.message.split('\n');
  t.true(line!.startsWith('  1 | ...') && line!.endsWith('nope'));
  t.is(caret!.indexOf('^') - 6, line!.indexOf('nope') - 6);
});
