/** The table/view swap and column comparison (relations.ts) against a scripted fake client: the statements, in order. */
import test from 'ava';
import type pg from 'pg';
import { dropRelation, sameColumns, swapIn } from '../../src/relations.ts';

/** Answers catalog queries from `relkinds` (relation name → pg_class.relkind) and `columns`; records every statement. */
function fakeClient(relkinds: Record<string, string>, columns: Record<string, string | null> = {}) {
  const log: string[] = [];
  const client = {
    query: async (sql: string, params: unknown[] = []) => {
      if (sql.includes('from pg_class')) return { rows: relkinds[params[1] as string] ? [{ relkind: relkinds[params[1] as string] }] : [] };
      if (sql.includes('string_agg')) return { rows: [{ cols: columns[params[1] as string] ?? null }] };
      log.push(sql);
      return { rows: [] };
    },
  };
  return { client: client as unknown as pg.Client, log };
}

test('swapIn renames the old relation aside, the new one into place, then drops the old one (a leftover backup first)', async (t) => {
  const { client, log } = fakeClient({ orders: 'v', orders__backup: 'r', orders__tmp: 'r' });
  await swapIn(client, 'analytics', 'orders', 'orders__tmp', 'table');
  t.deepEqual(log, [
    'drop table if exists "analytics"."orders__backup" cascade',
    'alter view "analytics"."orders" rename to "orders__backup"',
    'alter table "analytics"."orders__tmp" rename to "orders"',
    'drop view if exists "analytics"."orders__backup" cascade',
  ]);
});

test('swapIn of a first build only renames; a partitioned table (relkind p) counts as a table', async (t) => {
  const first = fakeClient({});
  await swapIn(first.client, 'analytics', 'orders', 'orders__tmp', 'view');
  t.deepEqual(first.log, ['alter view "analytics"."orders__tmp" rename to "orders"']);
  const partitioned = fakeClient({ events: 'p' });
  await swapIn(partitioned.client, 's', 'events', 'events__tmp', 'table');
  t.deepEqual(partitioned.log, [
    'alter table "s"."events" rename to "events__backup"',
    'alter table "s"."events__tmp" rename to "events"',
    'drop table if exists "s"."events__backup" cascade',
  ]);
  t.is(dropRelation('view', 'Mixed Case', 'a"b'), 'drop view if exists "Mixed Case"."a""b" cascade');
});

test('sameColumns: equal column lists are the same, a missing relation never is', async (t) => {
  t.true(await sameColumns(fakeClient({}, { a: 'id integer, name text', b: 'id integer, name text' }).client, 's', 'a', 'b'));
  t.false(await sameColumns(fakeClient({}, { a: 'id integer, name text', b: 'id bigint, name text' }).client, 's', 'a', 'b'));
  t.false(await sameColumns(fakeClient({}, { a: null, b: null }).client, 's', 'a', 'b'));
});
