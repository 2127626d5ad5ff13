import { TaskError } from '@mt/cli';
import type { PipelineNode, Project } from './types.ts';

/** Nodes in dependency order (stable: ties keep file order); a cycle is an error naming its files. */
export function topologicalOrder(project: Project): PipelineNode[] {
  const { nodes } = project;
  const state = new Map<string, 'visiting' | 'done'>();
  const order: PipelineNode[] = [];
  const stack: string[] = [];
  const visit = (id: string) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(id)), id].map((x) => nodes.get(x)!);
      throw new TaskError('REF_CYCLE', `ref() cycle: ${cycle.map((n) => n.name).join(' -> ')} (${[...new Set(cycle.map((n) => n.file))].join(', ')}).`, {
        hint: 'A model cannot depend on itself, directly or through others: remove one of these ref() calls.',
      });
    }
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of nodes.get(id)!.dependsOn) visit(dep);
    stack.pop();
    state.set(id, 'done');
    order.push(nodes.get(id)!);
  };
  for (const id of nodes.keys()) visit(id);
  return order;
}

function children(project: Project): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const node of project.nodes.values()) for (const dep of node.dependsOn) map.set(dep, [...(map.get(dep) ?? []), node.id]);
  return map;
}

function closure(start: string, next: (id: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length) {
    const id = todo.pop()!;
    for (const n of next(id))
      if (!seen.has(n)) {
        seen.add(n);
        todo.push(n);
      }
  }
  return seen;
}

/**
 * dbt's node selection: `name`, `+name` (with ancestors), `name+` (with descendants), `+name+`,
 * several separated by spaces or commas (union). Returns the selected node ids.
 */
export function selectNodes(project: Project, selectors: string[]): Set<string> {
  const down = children(project);
  const selected = new Set<string>();
  for (const raw of selectors.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean)) {
    const m = /^(\+?)([a-z0-9_]+)(\+?)$/.exec(raw);
    const node = m && [...project.nodes.values()].find((n) => n.name === m[2] && n.kind !== 'test');
    if (!m || !node) {
      const names = [...project.nodes.values()].filter((n) => n.kind !== 'test').map((n) => n.name);
      throw new TaskError(
        'UNKNOWN_SELECTOR',
        `--select ${raw}: no seed, model or snapshot matches${m ? ` "${m[2]}"` : ' (expected name, +name, name+ or +name+)'}.`,
        {
          hint: `Known names: ${names.join(', ')}.`,
        },
      );
    }
    selected.add(node.id);
    if (m[1]) for (const id of closure(node.id, (id) => project.nodes.get(id)!.dependsOn)) selected.add(id);
    if (m[3]) for (const id of closure(node.id, (id) => down.get(id) ?? [])) selected.add(id);
  }
  return selected;
}
