/**
 * splitStatements() against the real psql client.
 *
 * Method: each case is written to a file and run with `psql -X -q -L <log> -f <file>` against a
 * throwaway server. psql's `-L` query log writes every query *exactly as sent to the server* between
 * `********* QUERY **********` and `**************************` lines, including queries the server
 * rejects (ON_ERROR_STOP is off, so psql goes on after errors). The sent texts are then compared
 * with our statements. Documented differences that the comparison normalises:
 *  - psql keeps block comments that precede a statement and the comments/blanks before its `;`;
 *    we start at the first token and end at the last token. The test strips those from psql's text
 *    and checks that what remains equals our `sql` exactly.
 *  - psql sends a statement made only of block comments (`/* x *\/;`); we drop it (empty statement).
 *  - psql reads files line by line and drops the newline of the file's last line, so a statement
 *    left open at end of file (unterminated quote or comment) lacks that final `\n` in psql's text.
 *  - psql drops empty lines outside quotes; runs of `\n` are collapsed on both sides before comparing.
 * Besides the named cases, a seeded random test glues tricky fragments together (quotes, comments,
 * dollar tags, numbers with junk, BEGIN ATOMIC keywords, ...) and compares the same way.
 */
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TaskError } from '@mt/cli';
import { splitStatements } from '../src/split.ts';
import { startServer, type TestServer } from './support/server.ts';
import { psql } from './support/psql.ts';

const CASES: Record<string, string> = {
  'two statements on one line': 'select 1; select 2;',
  'no trailing semicolon': 'select 1;\nselect 2\n',
  'comment after the last statement': 'select 1;\n-- the end;\n',
  'empty statements': ';;select 1;;;\n;',
  'semicolon in a -- comment': 'select 1 -- not; the end\n, 2;\nselect 3;',
  'semicolon in a block comment': 'select /* ; */ 1; select 2;',
  'nested block comments': '/* a /* b ; */ still comment ; */ select 1;\nselect /* x /* y */ ; */ 2;',
  'leading comments before a statement': '-- header\n/* block */\n  select 1;',
  'string with ; and doubled quote': "select 'it''s; fine' as a; select 2;",
  "E-string with \\' and ;": "select E'it\\'s; ok' as a; select 2;",
  'E-string ending in an escaped backslash': "select e'back\\\\'; select 'two';",
  'standard string ending in a backslash': "select 'C:\\'; select 2;",
  "U&'' string with ;": "select U&'d\\0061t;a' as u; select 2;",
  'U&"" identifier and "" with ;': 'select 1 as U&"a;b", 2 as "c;""d"; select 3;',
  'B and X bit strings': "select B'01;10', X'1F;'; select 2;",
  'N national string': "select N'x;y'; select 2;",
  'string continued on the next line': "select 'a'\n  'b;c' as s;\nselect 2;",
  'dollar quote with ;': 'select $$a;b$$; select 2;',
  'tagged dollar quote containing $$': 'select $fn$ inner $$;$$ and $x$ ; $fn$ as t; select 2;',
  'dollar quote with non-ASCII tag': 'select $é$;$$;$é$ as t; select 2;',
  'identifier with $ is not a dollar quote': 'select 1 as a$$; select 2 as b$$;\nselect 3;',
  '$1 parameters': 'prepare q1(int) as select $1 + 1; execute q1(1); deallocate q1;',
  'CREATE FUNCTION with $$ body': `create or replace function f_dollar(a int) returns int language plpgsql as $$
declare x int;
begin
  x := a + 1; -- comment ; here
  return x;
end;
$$;
select f_dollar(1);`,
  'DO block': `do $do$
begin
  raise notice 'hello; world';
  perform 1;
end
$do$;
select 'after do';`,
  'BEGIN ATOMIC function': `create function f_atomic(a int) returns int language sql
begin atomic
  select a + 1;
end;
select f_atomic(1);`,
  'BEGIN ATOMIC with CASE ... END': `CREATE OR REPLACE FUNCTION f_case(a int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;
  SELECT CASE a WHEN 1 THEN 2 END;
END;
SELECT f_case(2);`,
  'BEGIN ATOMIC procedure': `create table if not exists t_proc (a int);
create or replace procedure p_atomic(v int) language sql begin atomic insert into t_proc values (v); insert into t_proc values (v + 1); end;
call p_atomic(1);`,
  'transaction BEGIN/COMMIT are separate statements': 'begin;\nselect case when true then 1 end;\ncommit;\nselect 2;',
  'semicolon inside parentheses': 'select (1;2); select 3;',
  'unbalanced closing parenthesis': 'select 1); select 2;',
  'unicode text and identifiers': "select '総顧客数; 😀' as \"総顧客数\";\nselect 'naïve' as café;",
  'CRLF line endings': 'select 1\r\n, 2;\r\n\r\nselect 3;\r\n',
  'CREATE DATABASE is its own statement': 'create database split_db_test; drop database split_db_test;',
  'unterminated string at end of file': "select 1;\nselect 'abc;\n",
  'unterminated block comment at end of file': 'select 1;\nselect 2 /* oops ;\n',
  'operators touching comments': 'select 1+/*x;*/2; select 3--;\n;\nselect 4 *-- c\n5;',
  'tabs and form feeds': 'select\t1;\f\tselect\n\t2;',
  'casts and psql-like colons': "select '1'::int; select ':foo;' as s;",
  'multi-line statements': 'select\n  a,\n  b\nfrom (values (1, 2)) as v(a, b)\nwhere a = 1;\n\nselect 2\n;',
  'comment-only block statement': '/* only a comment */;\nselect 1;',
  'numbers with trailing junk (psql 15+ lexing)': "select 1e-- not a comment;\nselect 1e'\\'; select 2;\nselect $1e-- comment;\n1;\nselect 1.x/*;*/;",
  'CREATE TABLE with a column named begin': 'create table if not exists t_begin (begin int, "end" int); select 1;',
};

const dir = await mkdtemp(path.join(os.tmpdir(), 'split-test-'));
let server: TestServer | undefined;

test.before(async () => {
  server = await startServer();
});
test.after.always(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Queries psql sent for a file, read from its -L log. */
async function psqlSent(name: string, sql: string): Promise<string[]> {
  const base = path.join(dir, name.replace(/[^a-z0-9]+/gi, '_'));
  await writeFile(`${base}.sql`, sql);
  await psql(server!, ['-q', '-L', `${base}.log`, '-f', `${base}.sql`]);
  const log = await readFile(`${base}.log`, 'utf8');
  const sent: string[] = [];
  const re = /\*{9} QUERY \*{10}\n([\s\S]*?)\n\*{26}\n/g;
  for (let m; (m = re.exec(log)); ) sent.push(m[1]!);
  return sent;
}

/** Drops the whitespace and comments psql keeps before a statement (the tail is checked by TAIL). */
function core(sent: string): string {
  let s = sent;
  for (;;) {
    s = s.replace(/^[ \t\r\n\f]+/, '');
    if (s.startsWith('--')) s = s.replace(/^--[^\r\n]*/, '');
    else if (s.startsWith('/*')) {
      let depth = 0;
      let i = 0;
      for (; i < s.length; i++) {
        if (s.startsWith('/*', i)) {
          depth++;
          i++;
        } else if (s.startsWith('*/', i)) {
          if (--depth === 0) break;
          i++;
        }
      }
      if (i >= s.length) return s; // unterminated: psql sends it, and so do we
      s = s.slice(i + 2);
    } else return s;
  }
}
const TAIL = /^(?:[ \t\r\n\f]+|--[^\r\n]*|\/\*[\s\S]*?\*\/)*;?$/;

const collapseBlankLines = (s: string) => s.replace(/\n\n+/g, '\n');

/** Compares our split of `sql` with what psql sent; returns the differences (empty when equal). */
async function compareWithPsql(name: string, sql: string): Promise<string[]> {
  const ours = splitStatements(sql);
  const theirs = (await psqlSent(name, sql)).map((s) => collapseBlankLines(core(s))).filter((s) => !/^;?$/.test(s));
  const problems: string[] = [];
  if (ours.length !== theirs.length) problems.push(`statement count ${ours.length} vs psql ${theirs.length}`);
  ours.forEach((stmt, k) => {
    const sent = theirs[k] ?? '';
    const atEof = stmt.offset + stmt.sql.length === sql.length && sql.endsWith('\n');
    const expected = collapseBlankLines(atEof ? stmt.sql.slice(0, -1) : stmt.sql);
    if (!(sent.startsWith(expected) && TAIL.test(sent.slice(expected.length)))) problems.push(`statement ${k + 1}`);
    if (sql.slice(stmt.offset, stmt.offset + stmt.sql.length) !== stmt.sql) problems.push(`offset of statement ${k + 1}`);
  });
  if (problems.length) problems.push(`input ${JSON.stringify(sql)}\nours ${JSON.stringify(ours.map((s) => s.sql))}\npsql ${JSON.stringify(theirs)}`);
  return problems;
}

for (const [name, sql] of Object.entries(CASES)) {
  test(`same statements as psql: ${name}`, async (t) => {
    t.deepEqual(await compareWithPsql(name, sql), []);
  });
}

const FRAGMENTS = [
  'select 1', ';', ' ', '\n', '\r\n', '\t', "'a;b'", "''", "E'\\''", "e'x\\\\'", "'", '"', "E'", "b'", "n'", "X'", 'u&"', "U&'x'",
  '$$', '$t$', '$$;$$', '$é$', 'a$', '$1', '$1e', '(', ')', '/*', '*/', '/* /* */', '-- c;\n', '--', '"q;"', '+', '-', '*', '/', '::',
  'é', 'x', '1e', '1e-', '.5', '1.', '0x1F', 'begin', 'end', 'case', 'create', 'function', 'or', 'replace', 'procedure', 'atomic',
  'begin atomic ', 'create function f() ', 'CREATE OR REPLACE PROCEDURE p() ', ' end;',
];

test('same statements as psql: 120 seeded random scripts', async (t) => {
  let seed = 20240531;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let compared = 0;
  for (let k = 0; k < 120; k++) {
    let sql = '';
    for (let n = 5 + Math.floor(random() * 25); n > 0; n--) sql += FRAGMENTS[Math.floor(random() * FRAGMENTS.length)];
    try {
      splitStatements(sql);
    } catch {
      continue; // a backslash outside quotes: meta-command, covered below
    }
    compared++;
    t.deepEqual(await compareWithPsql(`random_${k}`, sql), []);
  }
  t.true(compared > 100);
});

test('at least 30 psql comparison cases', (t) => {
  t.true(Object.keys(CASES).length >= 30);
});

test('offset, line and column of each statement', (t) => {
  const text = '-- head\n  select 1;  /* c */ select\n2;\r\n\r\n\tselect 3 -- tail\n';
  t.deepEqual(splitStatements(text), [
    { sql: 'select 1', offset: 10, line: 2, column: 3 },
    { sql: 'select\n2', offset: 29, line: 2, column: 22 },
    { sql: 'select 3', offset: 43, line: 5, column: 2 },
  ]);
});

test('columns count code points, not UTF-16 units', (t) => {
  const [, second] = splitStatements("select '😀😀'; select 2;");
  t.is(second!.column, 14);
  t.is(second!.offset, 15);
});

test('keeps inner comments and drops trailing ones', (t) => {
  t.deepEqual(
    splitStatements('select 1 /* why */ + 2 -- end\n;').map((s) => s.sql),
    ['select 1 /* why */ + 2'],
  );
});

test('meta-commands are reported with file, line and column', (t) => {
  const err = t.throws(() => splitStatements('select 1;\n\\copy t from x.csv\nselect 2;', { file: 'sql/load.sql' }), { instanceOf: TaskError });
  t.is(err.code, 'SQL_META_COMMAND');
  t.regex(err.message, /^sql\/load\.sql:2:1: psql meta-command "\\copy"/);
  t.truthy(err.hint);
});

test('mid-line backslash commands and \\; are meta-commands too', (t) => {
  for (const [sql, command, where] of [
    ['select 1 \\gset', '\\gset', '1:10'],
    ['select 1 \\; select 2;', '\\;', '1:10'],
    ['select 1;\n  \\i other.sql', '\\i', '2:3'],
  ] as const) {
    const err = t.throws(() => splitStatements(sql), { instanceOf: TaskError });
    t.is(err.code, 'SQL_META_COMMAND');
    t.true(err.message.startsWith(`<sql>:${where}: psql meta-command "${command}"`), err.message);
  }
});

test('backslashes inside strings, comments and dollar quotes are not meta-commands', (t) => {
  const sql = "select E'\\n', '\\', $$\\x$$; -- \\i x\n/* \\set */ select \"a\\b\";";
  t.is(splitStatements(sql).length, 2);
});

test('\\gexec ends a statement and marks it; other meta-commands are still refused', (t) => {
  const text = "SELECT 'CREATE DATABASE x'\nWHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'x')\\gexec\nselect 2;\n";
  t.deepEqual(
    splitStatements(text).map((s) => [s.sql.split('\n')[0], s.line, s.gexec ?? false]),
    [["SELECT 'CREATE DATABASE x'", 1, true], ['select 2', 3, false]],
  );
  t.throws(() => splitStatements('select 1 \\gexecx'), { message: /meta-command "\\gexecx"/ });
  t.throws(() => splitStatements('select 1 \\gset'), { message: /meta-command "\\gset"/ });
});
