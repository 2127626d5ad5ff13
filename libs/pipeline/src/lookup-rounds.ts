/**
 * Rounds of lookups (lookups.ts): rendering is synchronous, so a template that asks the database
 * something not answered yet waits; a round runs everything pending in one go on the tenant's
 * database, as the tenant's own role, read-only, and renders what waited again — until nothing waits
 * (a macro whose lookups depend on lookups takes a round per step, up to MAX_ROUNDS).
 */
import type pg from 'pg';
import { TaskError } from '@mt/cli';
import type { DatabaseAccess } from '@mt/postgres';
import type { Tenant } from '@mt/tenant-config';
import { Lookups } from './lookups.ts';
import { relationFor, renderForRun, renderNode, renderNodes, type Rendered } from './project.ts';
import type { PipelineNode, Project } from './types.ts';

const MAX_ROUNDS = 10;

function tooManyRounds(nodes: PipelineNode[]): TaskError {
  return new TaskError(
    'TEMPLATE_ERROR',
    `${nodes.map((n) => n.file).join(', ')}: still asking the database for more after ${MAX_ROUNDS} rounds of lookups (each answer led to another run_query or relation).`,
    {
      hint: 'A template may read what a lookup answered to ask another one, a few steps deep, not without end: check the loop around run_query / get_columns_in_relation.',
    },
  );
}

/**
 * Answers the lookups a loaded project waits for (loadProject with `lookups`): each round runs what is
 * pending on `open()`'s client (opened on first need, so a project without lookups connects to nothing)
 * and renders the nodes that waited again.
 */
export async function resolveLookups(project: Project, open: () => Promise<pg.Client>): Promise<void> {
  const lookups = project.lookups;
  for (let round = 1; lookups?.waiting.size; round++) {
    if (round > MAX_ROUNDS) throw tooManyRounds([...lookups.waiting].map((id) => project.nodes.get(id)!));
    await lookups.run(await open());
    renderNodes(project);
  }
}

/**
 * A node outside the project (an analysis, show's --inline query) rendered with the project's lookups
 * answered, in rounds as the project's own nodes.
 */
export function renderLive(project: Project, node: PipelineNode, open: () => Promise<pg.Client>): Promise<Rendered> {
  return inRounds(node, project.lookups, open, () => renderNode(project, node, false));
}

/**
 * A node rendered right before it is built, with lookups of its own run afresh on its connection (not
 * inside a transaction): what they read is as this run left it. Every answer is final: a relation it
 * reads that is still not there, or a query that fails, is its error.
 */
export function renderAtRun(project: Project, node: PipelineNode, incremental: boolean, client: pg.Client): Promise<Rendered> {
  const lookups = new Lookups('execute');
  return inRounds(
    node,
    lookups,
    async () => client,
    () => renderForRun(project, node, incremental, lookups),
  );
}

/** One node rendered until nothing it asked is pending, a round of lookups run between tries. */
async function inRounds(node: PipelineNode, lookups: Lookups | undefined, open: () => Promise<pg.Client>, render: () => Rendered): Promise<Rendered> {
  for (let round = 1; ; round++) {
    const rendered = render();
    if (!rendered.waiting || !lookups) return rendered;
    if (round > MAX_ROUNDS) throw tooManyRounds([node]);
    await lookups.run(await open());
  }
}

/**
 * Whether what a node's render looked up at load may have changed by the time it runs: it was rendered
 * as dbt parses (something was not there yet), a relation it read the columns of was built by this run,
 * or it ran queries and one of its ancestors was built by this run.
 */
export function lookupsChanged(project: Project, node: PipelineNode, built: Set<string>): boolean {
  const l = node.lookups;
  if (!l) return false;
  if (l.deferred) return true;
  if (!built.size) return false;
  const rebuilt = new Set([...built].map((id) => relationFor(project, project.nodes.get(id)!)));
  if (l.relations.some((r) => rebuilt.has(r))) return true;
  if (!l.queries) return false;
  const seen = new Set<string>();
  const stack = [...node.dependsOn];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    if (built.has(id)) return true;
    stack.push(...(project.nodes.get(id)?.dependsOn ?? []));
  }
  return false;
}

/**
 * A connection for the lookups of a command that only reads (compile, ls, show, docs, analyses): opened
 * as the tenant's reader role on first need, ended by `close()`.
 */
export function readerConnection(db: DatabaseAccess, tenant: Tenant): { open: () => Promise<pg.Client>; close: () => Promise<void> } {
  let client: Promise<pg.Client> | undefined;
  return {
    open: () => (client ??= db.ensureUp().then(() => db.connectTenant(tenant, 'reader'))),
    close: async () => {
      if (client) await (await client.catch(() => undefined))?.end().catch(() => {});
    },
  };
}
