import { TaskError } from '@mt/cli';
import { pathWithin } from './dbt-project.ts';
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

/** One selection method applied to one value, with dbt's graph operators around it. */
interface Criterion {
  raw: string;
  method: string;
  value: string;
  /** `+x` / `2+x`: ancestors up to that depth; `x+` / `x+1`: descendants. */
  parents?: number;
  children?: number;
  /** `@x`: x, its descendants, and every ancestor of those. */
  at: boolean;
}

/** Space-separated terms are a union; the criteria of a term (comma-separated) an intersection. */
export type Selector = Criterion[][];

const METHODS = ['name', 'fqn', 'tag', 'path', 'resource_type', 'state', 'config.<key>'];
const RESOURCE_TYPES = ['model', 'seed', 'snapshot', 'test'];
const STATES = ['modified', 'new'];

/** Parses --select / --exclude words as dbt does; a method or value that cannot mean anything is an error. */
export function parseSelector(words: string[], flag = '--select'): Selector {
  const bad = (raw: string, why: string, hint: string) => new TaskError('UNKNOWN_SELECTOR', `${flag} ${raw}: ${why}`, { hint });
  return words
    .flatMap((w) => w.split(/\s+/))
    .filter(Boolean)
    .map((term) =>
      term.split(',').map((raw): Criterion => {
        const m = /^(@)?(?:(\d*)\+)?(.+?)(?:\+(\d*))?$/.exec(raw);
        if (!m || !m[3])
          throw bad(
            raw,
            'is not a selector.',
            'Write name, +name, name+, 2+name+1, @name, tag:x, path:x, config.materialized:x, resource_type:x or state:modified.',
          );
        const depth = (d: string | undefined) => (d === undefined ? undefined : d === '' ? Infinity : Number(d));
        const colon = m[3].indexOf(':');
        const method = colon < 0 ? (/[/\\]|\.sql$/.test(m[3]) ? 'path' : 'fqn') : m[3].slice(0, colon);
        const value = colon < 0 ? m[3] : m[3].slice(colon + 1);
        if (!['name', 'fqn', 'tag', 'path', 'resource_type', 'state'].includes(method) && !/^config\.\w+$/.test(method))
          throw bad(raw, `"${method}:" is not a selection method here.`, `Methods: ${METHODS.join(', ')} (a bare name is fqn: a node or a folder).`);
        if (method === 'resource_type' && !RESOURCE_TYPES.includes(value))
          throw bad(raw, `"${value}" is not a resource type of the pipeline.`, `Resource types: ${RESOURCE_TYPES.join(', ')}.`);
        if (method === 'state' && !STATES.includes(value))
          throw bad(
            raw,
            `state:${value} is not a state selector.`,
            'state:modified (changed since the tenant was last built, new ones included) or state:new.',
          );
        if (m[1] && m[2] !== undefined) throw bad(raw, '@ and + cannot be combined in front of a name.', 'Write @name, or +name / 2+name.');
        return { raw, method, value, parents: depth(m[2]), children: depth(m[4]), at: !!m[1] };
      }),
    );
}

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/** A node's fully qualified name as dbt builds it: project, folders under its kind's folder, name. */
function fqn(project: Project, node: PipelineNode): string[] {
  const { paths } = project.settings;
  const bases = node.kind === 'model' ? paths.models : node.kind === 'snapshot' ? paths.snapshots : [];
  const folders = pathWithin(bases, node.file).slice(0, -1);
  return [project.settings.name, ...folders, node.name];
}

function matches(project: Project, node: PipelineNode, c: Criterion, stored?: (id: string) => string | undefined): boolean {
  const like = glob(c.value);
  switch (c.method) {
    case 'name':
      return like.test(node.name);
    case 'fqn': {
      // `stg_*` (a name), `staging` or `marts.core` (folders), `ecommerce.staging.stg_orders`.
      if (like.test(node.name)) return true;
      const parts = c.value.split('.').map(glob);
      const path = fqn(project, node);
      return [path, path.slice(1)].some((p) => parts.length <= p.length && parts.every((part, i) => part.test(p[i])));
    }
    case 'tag':
      return [node.config.tags ?? []].flat().some((t) => like.test(String(t)));
    case 'path': {
      const value = c.value.replace(/\/+$/, '');
      return [node.file, node.file.replace(/^sql\//, '')].some((f) => f === value || f.startsWith(`${value}/`) || like.test(f));
    }
    case 'resource_type':
      return node.kind === c.value;
    case 'state': {
      const checksum = stored?.(node.id);
      return c.value === 'new' ? checksum === undefined : checksum !== node.checksum;
    }
    default: {
      const value = node.config[c.method.slice('config.'.length)];
      return value !== undefined && [value].flat().some((v) => like.test(String(v)));
    }
  }
}

/** dbt's warning for a criterion that selects nothing. */
export const noMatch = (criterion: string) => `The selection criterion '${criterion}' does not match any node.`;

export interface Selection {
  /** Selected node ids, with the tests of every selected node (dbt's eager indirect selection). */
  ids: Set<string>;
  /** Criteria that matched no node: dbt warns and goes on. */
  unmatched: string[];
}

/**
 * dbt's node selection over the project: each criterion's nodes with its graph operators, terms
 * united, criteria of a term intersected, --exclude taken away. `stored` gives the checksum each node
 * was last built with (for state:), from the tenant database's run state.
 */
export function selectNodes(project: Project, select: Selector, exclude: Selector = [], stored?: (id: string) => string | undefined): Selection {
  const down = children(project);
  const up = (id: string) => project.nodes.get(id)!.dependsOn;
  const unmatched: string[] = [];
  const within = (start: string, next: (id: string) => string[], depth = 0) => (depth === Infinity ? closure(start, next) : limited(start, next, depth));
  const criterion = (c: Criterion): Set<string> => {
    const found = [...project.nodes.values()].filter((n) => matches(project, n, c, stored)).map((n) => n.id);
    if (!found.length) unmatched.push(c.raw);
    const ids = new Set(found);
    for (const id of found) {
      if (c.parents) for (const p of within(id, up, c.parents)) ids.add(p);
      if (c.children || c.at) for (const d of within(id, (x) => down.get(x) ?? [], c.at ? Infinity : c.children)) ids.add(d);
    }
    if (c.at) for (const id of [...ids]) for (const p of closure(id, up)) ids.add(p);
    return ids;
  };
  const evaluate = (selector: Selector) => {
    const ids = new Set<string>();
    for (const term of selector) {
      const sets = term.map(criterion);
      for (const id of sets[0]) if (sets.every((s) => s.has(id))) ids.add(id);
    }
    // A test runs with what it tests.
    for (const node of project.nodes.values()) if (node.kind === 'test' && node.dependsOn.some((d) => ids.has(d))) ids.add(node.id);
    return ids;
  };
  const ids = select.length ? evaluate(select) : new Set(project.nodes.keys());
  for (const id of evaluate(exclude)) ids.delete(id);
  return { ids, unmatched };
}

/** Nodes reachable in at most `depth` steps. */
function limited(start: string, next: (id: string) => string[], depth: number): Set<string> {
  const seen = new Set<string>();
  let frontier = [start];
  for (let d = 0; d < depth && frontier.length; d++) {
    frontier = frontier.flatMap(next).filter((id) => !seen.has(id));
    for (const id of frontier) seen.add(id);
  }
  return seen;
}
