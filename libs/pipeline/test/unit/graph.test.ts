/** The DAG: dependency order, cycle errors and dbt-style --select syntax (graph.ts), on hand-built projects. */
import test from 'ava';
import { TaskError } from '@mt/cli';
import { parseSelector, selectNodes, topologicalOrder } from '../../src/graph.ts';
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
const select = (selectors: string[]) => ids(selectNodes(shop(), parseSelector(selectors)).ids).sort();

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

test("--select name selects that node and the tests on it (dbt's eager indirect selection)", (t) => {
  t.deepEqual(select(['fct_orders']), ['model.fct_orders', 'test.not_null_fct_orders_order_id']);
  t.deepEqual(select(['dim_customers']), ['model.dim_customers']);
});

test('--select +name adds every ancestor, transitively', (t) => {
  t.deepEqual(select(['+dim_customers']), ['model.dim_customers', 'model.stg_customers', 'seed.customers']);
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

test('N+name and name+N stop after N generations', (t) => {
  t.deepEqual(select(['1+fct_orders']), ['model.fct_orders', 'model.stg_customers', 'model.stg_orders', 'test.not_null_fct_orders_order_id']);
  t.deepEqual(select(['seed_orders_is_not_a_name', 'orders+1']), ['model.stg_orders', 'seed.orders']);
});

test('@name: the node, its descendants and every ancestor of those', (t) => {
  t.deepEqual(select(['@stg_customers']), [
    'model.dim_customers',
    'model.fct_orders',
    'model.stg_customers',
    'model.stg_orders',
    'seed.customers',
    'seed.orders',
    'test.not_null_fct_orders_order_id',
  ]);
});

test('space is a union, comma an intersection', (t) => {
  t.deepEqual(select(['dim_customers stg_orders']), ['model.dim_customers', 'model.stg_orders']);
  t.deepEqual(select(['+fct_orders,resource_type:seed']), ['seed.customers', 'seed.orders']);
  t.deepEqual(select(['stg_*,+dim_customers']), ['model.stg_customers']);
});

test('methods: tag:, path:, config.materialized:, resource_type:, wildcards and folders (fqn)', (t) => {
  const project = shop();
  const model = (name: string) => project.nodes.get(`model.${name}`)!;
  Object.assign(model('fct_orders'), { file: 'sql/models/marts/fct_orders.sql' });
  Object.assign(model('dim_customers').config, { tags: ['daily', 'finance'], materialized: 'table' });
  Object.assign(model('stg_orders').config, { tags: ['daily'], materialized: 'view' });
  const pick = (words: string[], exclude: string[] = []) =>
    ids(selectNodes(project, parseSelector(words), parseSelector(exclude, '--exclude')).ids)
      .filter((id) => !id.startsWith('test.'))
      .sort();
  t.deepEqual(pick(['tag:daily']), ['model.dim_customers', 'model.stg_orders']);
  t.deepEqual(pick(['tag:fin*']), ['model.dim_customers']);
  t.deepEqual(pick(['path:sql/models/marts']), ['model.fct_orders']);
  t.deepEqual(pick(['path:models/marts/fct_orders.sql']), ['model.fct_orders']);
  t.deepEqual(pick(['marts']), ['model.fct_orders']);
  t.deepEqual(pick(['p.marts.fct_orders']), ['model.fct_orders']);
  t.deepEqual(pick(['config.materialized:table']), ['model.dim_customers']);
  t.deepEqual(pick(['resource_type:snapshot']), ['snapshot.orders_snapshot']);
  t.deepEqual(pick(['*customers']), ['model.dim_customers', 'model.stg_customers', 'seed.customers']);
  t.deepEqual(pick(['tag:daily'], ['dim_customers']), ['model.stg_orders']);
});

test('--exclude takes nodes (and the tests on them) away from the selection, or from everything', (t) => {
  const pick = (words: string[], exclude: string[]) => ids(selectNodes(shop(), parseSelector(words), parseSelector(exclude, '--exclude')).ids).sort();
  t.deepEqual(pick(['stg_orders+'], ['fct_orders']), ['model.stg_orders', 'snapshot.orders_snapshot']);
  t.deepEqual(pick([], ['resource_type:seed', 'resource_type:test', 'resource_type:snapshot']), [
    'model.dim_customers',
    'model.fct_orders',
    'model.stg_customers',
    'model.stg_orders',
  ]);
});

test('state:modified compares each node with the checksum it was last built with; state:new has none', (t) => {
  const project = shop();
  for (const node of project.nodes.values()) node.checksum = `${node.id}@2`;
  const stored = new Map([...project.nodes.keys()].map((id) => [id, `${id}@2`]));
  stored.set('model.stg_orders', 'model.stg_orders@1');
  stored.delete('model.dim_customers');
  const pick = (word: string) => ids(selectNodes(project, parseSelector([word]), [], (id) => stored.get(id)).ids).sort();
  t.deepEqual(pick('state:modified'), ['model.dim_customers', 'model.stg_orders']);
  t.deepEqual(pick('state:new'), ['model.dim_customers']);
  t.deepEqual(pick('state:modified+'), [
    'model.dim_customers',
    'model.fct_orders',
    'model.stg_orders',
    'snapshot.orders_snapshot',
    'test.not_null_fct_orders_order_id',
  ]);
});

test('a criterion that matches nothing is reported, not an error (dbt warns and goes on)', (t) => {
  const { ids: found, unmatched } = selectNodes(shop(), parseSelector(['fct_order tag:nightly fct_orders']));
  t.deepEqual(unmatched, ['fct_order', 'tag:nightly']);
  t.deepEqual(ids(found).sort(), ['model.fct_orders', 'test.not_null_fct_orders_order_id']);
});

test('a selector that cannot mean anything is UNKNOWN_SELECTOR with the syntax', (t) => {
  t.throws(() => parseSelector(['colour:red']), { code: 'UNKNOWN_SELECTOR', message: '--select colour:red: "colour:" is not a selection method here.' });
  t.throws(() => parseSelector(['resource_type:source'], '--exclude'), {
    code: 'UNKNOWN_SELECTOR',
    message: '--exclude resource_type:source: "source" is not a resource type of the pipeline.',
  });
  t.throws(() => parseSelector(['state:changed']), { code: 'UNKNOWN_SELECTOR', message: /state:changed is not a state selector/ });
  t.throws(() => parseSelector(['@2+x']), { code: 'UNKNOWN_SELECTOR', message: /@ and \+ cannot be combined/ });
});
