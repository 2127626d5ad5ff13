/**
 * The parallel DAG: each node starts once the nodes it depends on that come before it in the run's
 * order have finished, on one of `lanes` slots (a slot is a database connection), lowest position first.
 * With one lane that is exactly the sequential order; results come back in the run's order whatever
 * the order they finished in.
 */
import type { PipelineNode } from './types.ts';

export async function runScheduled<T>(nodes: PipelineNode[], lanes: number, run: (node: PipelineNode, lane: number) => Promise<T>): Promise<T[]> {
  const position = new Map(nodes.map((n, i) => [n.id, i]));
  const waitingFor = nodes.map((n, i) => n.dependsOn.filter((d) => (position.get(d) ?? i) < i).length);
  const children = nodes.map(() => [] as number[]);
  nodes.forEach((n, i) => n.dependsOn.forEach((d) => (position.get(d) ?? i) < i && children[position.get(d)!].push(i)));
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
