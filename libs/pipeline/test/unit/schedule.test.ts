/** The parallel DAG (schedule.ts): what waits for what. */
import test from 'ava';
import { runScheduled } from '../../src/schedule.ts';
import type { NodeKind, PipelineNode } from '../../src/types.ts';

const node = (kind: NodeKind, name: string, extra: Partial<PipelineNode> = {}): PipelineNode => ({
  id: `${kind}.${name}`,
  kind,
  name,
  file: `${name}.sql`,
  config: {},
  dependsOn: [],
  checksum: '',
  ...extra,
});

/** Runs the nodes on `lanes` lanes, each taking `ms[name]` (default 5 ms); gives the order of starts and ends. */
async function trace(nodes: PipelineNode[], lanes: number, ms: Record<string, number> = {}): Promise<string[]> {
  const events: string[] = [];
  await runScheduled(nodes, lanes, async (n) => {
    events.push(`start ${n.name}`);
    await new Promise((resolve) => setTimeout(resolve, ms[n.name] ?? 5));
    events.push(`end ${n.name}`);
  });
  return events;
}

test('independent nodes start at once, on as many lanes as there are', async (t) => {
  const events = await trace([node('seed', 'a'), node('seed', 'b'), node('model', 'm')], 3);
  t.deepEqual(events.slice(0, 3), ['start a', 'start b', 'start m']);
});

test('a node reading a source nothing here builds waits for every node of the steps before its own (a seed may load that table)', async (t) => {
  const nodes = [
    node('seed', 'raw_orders'),
    node('seed', 'slow_seed'),
    node('model', 'stg_orders', { untrackedSources: ['shop.raw_orders'] }),
    node('model', 'other'),
    node('snapshot', 'orders_snapshot', { untrackedSources: ['shop.raw_orders'] }),
    node('test', 'not_null_source_shop_raw_orders_id', { untrackedSources: ['shop.raw_orders'] }),
  ];
  const events = await trace(nodes, 8, { slow_seed: 60 });
  const at = (event: string) => events.indexOf(event);
  // A model with no source starts with the seeds; those reading the source once every seed has ended.
  t.true(at('start other') < at('end slow_seed'));
  t.true(at('start stg_orders') > at('end slow_seed'));
  // The snapshot and the source test wait for the models too (dbt snapshot and dbt test came after dbt run).
  t.true(at('start orders_snapshot') > at('end other') && at('start orders_snapshot') > at('end stg_orders'));
  t.true(at('start not_null_source_shop_raw_orders_id') > at('end orders_snapshot'));
});
