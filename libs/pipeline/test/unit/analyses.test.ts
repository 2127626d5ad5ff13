/**
 * Analyses (analyses.ts): discovery, the "queries only" check made before any connection, and section
 * titles — with a fake DatabaseAccess whose client returns canned results.
 */
import test, { type ExecutionContext } from 'ava';
import type pg from 'pg';
import { TaskError } from '@mt/cli';
import { assertAnalysis, listAnalyses, runAnalysis } from '../../src/analyses.ts';
import { fakeTenant, tempWorkspace } from './support/fixtures.ts';

/** The engine interface runAnalysis takes (its home moves between packages; the shape is what matters). */
type DatabaseAccess = Parameters<typeof runAnalysis>[0]['db'];

function workspace(t: ExecutionContext, files: Record<string, string>) {
  const ws = tempWorkspace({ 'seeds/customers.csv': 'id\n1\n', ...files });
  t.teardown(() => ws.cleanup());
  return ws.root;
}

/** Records what the analysis asks of the database; every query returns one int4 column `n`. */
function fakeDb() {
  const calls: string[] = [];
  const client = {
    query: async (q: string | { text: string }) => {
      calls.push(typeof q === 'string' ? q : q.text);
      return { fields: [{ name: 'n', dataTypeID: 23 }], rows: [['1']], command: 'SELECT', rowCount: 1 };
    },
    end: async () => void calls.push('end'),
  };
  const db = {
    ensureUp: async () => void calls.push('ensureUp'),
    connect: async () => {
      throw new Error('an analysis must not connect as the admin');
    },
    connectTenant: async (_tenant: unknown, as: string) => (calls.push(`connect as ${as}`), client as unknown as pg.Client),
    describe: () => 'fake',
  } as unknown as DatabaseAccess;
  return { db, calls };
}

test('listAnalyses lists sql/analyses/*.sql with valid names, sorted; assertAnalysis names the available ones', (t) => {
  const root = workspace(t, {
    'sql/analyses/revenue.sql': 'select 1',
    'sql/analyses/churn.sql': 'select 1',
    'sql/analyses/Bad-Name.sql': 'select 1',
    'sql/analyses/notes.md': '',
  });
  t.deepEqual(listAnalyses(root), ['churn', 'revenue']);
  t.notThrows(() => assertAnalysis(root, 'churn'));
  const err = t.throws(() => assertAnalysis(root, 'retention'), { instanceOf: TaskError });
  t.is(err?.code, 'UNKNOWN_ANALYSIS');
  t.is(err?.message, 'Unknown analysis "retention": there is no sql/analyses/retention.sql. Available: churn, revenue.');
  t.is(err?.hint, 'Pick one of them (make analysis-churn), or add sql/analyses/retention.sql.');
  t.deepEqual(listAnalyses(workspace(t, {})), []);
});

test('a statement that is not a query is ANALYSIS_NOT_A_QUERY at its line, before any connection', async (t) => {
  const root = workspace(t, {
    'sql/analyses/sneaky.sql': "-- section: Fine\nselect 1;\n\n/* looks harmless */ commit;\ndelete from {{ ref('customers') }};\n",
  });
  const { db, calls } = fakeDb();
  const err = await t.throwsAsync(runAnalysis({ root, tenant: fakeTenant(root), db, name: 'sneaky', env: {} }), { instanceOf: TaskError });
  t.is(err?.code, 'ANALYSIS_NOT_A_QUERY');
  t.regex(err?.message ?? '', /^sql\/analyses\/sneaky\.sql:4: "commit …" is not a query: each section of an analysis is one SELECT/);
  t.deepEqual(calls, []);
});

test('runAnalysis: queries run in a read-only transaction as the reader; sections are titled by "-- section:" comments with unique slugs', async (t) => {
  const root = workspace(t, {
    'sql/analyses/revenue.sql':
      "select 1;\n-- section: By Region (EUR)\nwith x as (select 1) select * from x;\n-- section: By Region (EUR)\nvalues (1);\ntable {{ ref('customers') }};\n",
  });
  const { db, calls } = fakeDb();
  const result = await runAnalysis({ root, tenant: fakeTenant(root), db, name: 'revenue', env: {} });
  t.deepEqual(calls.slice(0, -2), [
    'ensureUp',
    'connect as reader',
    'begin transaction read only',
    'select 1',
    'with x as (select 1) select * from x',
    'values (1)',
    'table "public"."customers"',
  ]);
  t.regex(calls.slice(-2).join(' then '), /^(commit|rollback) then end$/, 'the transaction is closed, then the connection');
  t.deepEqual(
    result.sections.map((s) => [s.title, s.slug]),
    [
      ['revenue', 'revenue'],
      ['By Region (EUR)', 'by-region-eur'],
      ['By Region (EUR)', 'by-region-eur-2'],
      ['revenue 4', 'revenue-4'],
    ],
  );
  t.deepEqual([result.analysis, result.tenant, result.database, result.sections[0].rows], ['revenue', 'tenant_a', 'tenant_a_db', [['1']]]);
});

test('a third section with the same title is numbered from the title (x-3), not from the previous slug (x-2-2)', async (t) => {
  const root = workspace(t, {
    'sql/analyses/kpis.sql': '-- section: X\nselect 1;\n-- section: X\nselect 2;\n-- section: X\nselect 3;\n-- section: X 2\nselect 4;\n',
  });
  const result = await runAnalysis({ root, tenant: fakeTenant(root), db: fakeDb().db, name: 'kpis', env: {} });
  t.deepEqual(
    result.sections.map((s) => s.slug),
    ['x', 'x-2', 'x-3', 'x-2-2'],
  );
});
