/** The DAG: dependency order, cycle errors and dbt-style --select syntax (graph.ts), on hand-built projects. */
import test from 'ava';
import { TaskError } from '@mt/cli';
import { selectNodes, topologicalOrder } from '../../src/graph.ts';
import { graphProject } from './support/fixtures.ts';

// Declared children-first on purpose: the order must come from the edges, not from the map.
const shop = () =>
  graphProject([
    ['model.fct_orders', ['model.stg_orders', 'model.stg_customers']],
    ['model.dim_customers', ['model.stg_customers']],
    ['model.stg_customers', ['seed.customers']],
    ['model.stg_orders', ['seed.orders']],
    ['seed.customers', []],
    ['seed.orders', []],
    ['snapshot.orders_snapshot', ['model.stg_orders']],
    ['test.not_null_fct_orders_order_id', ['model.fct_orders']],
  ]);

const ids = (nodes: Iterable<{ id: string } | string>) => [...nodes].map((n) => (typeof n === 'string' ? n : n.id));
const select = (selectors: string[]) => ids(selectNodes(shop(), selectors)).sort();

test('topologicalOrder puts every node after its parents, depth first in declaration order', (t) => {
  t.deepEqual(ids(topologicalOrder(shop())), [
    'seed.orders',
    'model.stg_orders',
    'seed.customers',
    'model.stg_customers',
    'model.fct_orders',
    'model.dim_customers',
    'snapshot.orders_snapshot',
    'test.not_null_fct_orders_order_id',
  ]);
});

test('topologicalOrder keeps file order for independent nodes', (t) => {
  const project = graphProject([
    ['model.c', []],
    ['model.a', []],
    ['model.b', []],
  ]);
  t.deepEqual(ids(topologicalOrder(project)), ['model.c', 'model.a', 'model.b']);
});

test('a ref() cycle is REF_CYCLE naming the models in ref order and their files', (t) => {
  const project = graphProject([
    ['model.a', ['model.b']],
    ['model.b', ['model.c']],
    ['model.c', ['model.a']],
  ]);
  const err = t.throws(() => topologicalOrder(project), { instanceOf: TaskError });
  t.is(err?.code, 'REF_CYCLE');
  t.is(err?.message, 'ref() cycle: a -> b -> c -> a (sql/models/a.sql, sql/models/b.sql, sql/models/c.sql).');
  t.regex(err?.hint ?? '', /remove one of these ref\(\) calls/);
});

test('the cycle message names only the nodes on the cycle, not the node that led to it', (t) => {
  const project = graphProject([
    ['model.report', ['model.x']],
    ['model.x', ['model.y']],
    ['model.y', ['model.x']],
  ]);
  t.throws(() => topologicalOrder(project), { code: 'REF_CYCLE', message: 'ref() cycle: x -> y -> x (sql/models/x.sql, sql/models/y.sql).' });
});

test('a model that refs itself is a cycle of one', (t) => {
  const project = graphProject([['model.loop', ['model.loop']]]);
  t.throws(() => topologicalOrder(project), { code: 'REF_CYCLE', message: 'ref() cycle: loop -> loop (sql/models/loop.sql).' });
});

test('--select name selects that node alone', (t) => {
  t.deepEqual(select(['fct_orders']), ['model.fct_orders']);
});

test('--select +name adds every ancestor, transitively', (t) => {
  t.deepEqual(select(['+fct_orders']), ['model.fct_orders', 'model.stg_customers', 'model.stg_orders', 'seed.customers', 'seed.orders']);
});

test('--select name+ adds every descendant, snapshots and data tests included', (t) => {
  t.deepEqual(select(['stg_orders+']), ['model.fct_orders', 'model.stg_orders', 'snapshot.orders_snapshot', 'test.not_null_fct_orders_order_id']);
});

test('--select +name+ adds ancestors and descendants but not siblings', (t) => {
  t.deepEqual(select(['+stg_customers+']), [
    'model.dim_customers',
    'model.fct_orders',
    'model.stg_customers',
    'seed.customers',
    'test.not_null_fct_orders_order_id',
  ]);
});

test('several selectors, separated by spaces, commas or given separately, are a union', (t) => {
  t.deepEqual(select(['customers, orders', ' dim_customers ']), ['model.dim_customers', 'seed.customers', 'seed.orders']);
});

test('an unknown name is UNKNOWN_SELECTOR with the known names (tests excluded) as hint', (t) => {
  const err = t.throws(() => selectNodes(shop(), ['fct_order']), { instanceOf: TaskError });
  t.is(err?.code, 'UNKNOWN_SELECTOR');
  t.is(err?.message, '--select fct_order: no seed, model or snapshot matches "fct_order".');
  t.is(err?.hint, 'Known names: fct_orders, dim_customers, stg_customers, stg_orders, customers, orders, orders_snapshot.');
});

test('selector methods such as tag: are refused with the supported syntax', (t) => {
  t.throws(() => selectNodes(shop(), ['tag:nightly']), {
    code: 'UNKNOWN_SELECTOR',
    message: '--select tag:nightly: no seed, model or snapshot matches (expected name, +name, name+ or +name+).',
  });
});

test('a data test cannot be selected by its name', (t) => {
  t.throws(() => selectNodes(shop(), ['not_null_fct_orders_order_id']), { code: 'UNKNOWN_SELECTOR', message: /matches "not_null_fct_orders_order_id"/ });
});
