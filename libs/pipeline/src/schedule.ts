/**
 * The parallel DAG: each node starts once the nodes it depends on that come before it in the run's
 * order have finished (a node reading an untracked source: every node of the earlier steps), on one
 * of `lanes` slots (a slot is a database connection), lowest position first. With one lane that is
 * exactly the sequential order; results come back in the run's order whatever the order they finished in.
 */
import type { PipelineNode } from './types.ts';

export async function runScheduled<T>(nodes: PipelineNode[], lanes: number, run: (node: PipelineNode, lane: number) => Promise<T>): Promise<T[]> {
  const position = new Map(nodes.map((n, i) => [n.id, i]));
  const parents = nodes.map((n, i) => {
    const before = new Set(n.dependsOn.map((d) => position.get(d) ?? i).filter((p) => p < i));
    // A source that nothing here tracks (a table a seed loads, or a hook creates) could be made by any
    // node of the steps before this one's: wait for all of them, as when dbt seed, run, snapshot and
    // test ran one after another. Otherwise a fresh build could read it before it exists.
    if (n.untrackedSources?.length) for (let p = 0; p < i; p++) if (nodes[p].kind !== n.kind) before.add(p);
    return [...before];
  });
  const waitingFor = parents.map((p) => p.length);
  const children = nodes.map(() => [] as number[]);
  parents.forEach((ps, i) => ps.forEach((p) => children[p].push(i)));
  const ready = nodes.map((_, i) => i).filter((i) => waitingFor[i] === 0);
  const free = Array.from({ length: Math.max(1, lanes) }, (_, lane) => lane).reverse();
  const results: T[] = new Array(nodes.length);
  let finished = 0;
  let failed = false;

  return new Promise((resolve, reject) => {
    if (!nodes.length) return resolve([]);
    const startReady = () => {
      while (!failed && ready.length && free.length) {
        const i = ready.shift()!;
        const lane = free.pop()!;
        run(nodes[i], lane).then(
          (result) => {
            results[i] = result;
            free.push(lane);
            for (const child of children[i]) if (--waitingFor[child] === 0) ready.splice(insertAt(ready, child), 0, child);
            if (++finished === nodes.length) resolve(results);
            else startReady();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
    };
    startReady();
  });
}

/** Where `value` goes in the ascending `sorted`. */
function insertAt(sorted: number[], value: number): number {
  let i = 0;
  while (i < sorted.length && sorted[i] < value) i++;
  return i;
}
