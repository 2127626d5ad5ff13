/**
 * dbt's commands that read the project rather than build it: compile, ls and show. compile and ls need
 * no database, unless a state: selector asks what was built or a template reads the database while it
 * renders (dbt_utils.star, run_query: lookups, asked as the tenant's reader role, read-only); show
 * reads as the tenant's reader role.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TaskError } from '@mt/cli';
import { formatAligned, queryRaw } from '@mt/sql';
import type { Tenant } from '@mt/tenant-config';
import type pg from 'pg';
import { withClient, withTransaction, type DatabaseAccess } from '@mt/postgres';
import { noMatch, parseSelector, selectNodes, topologicalOrder, type Selector } from './graph.ts';
import { listAnalyses, ANALYSES_DIR } from './analyses.ts';
import { loadProject, relationFor } from './project.ts';
import { Lookups } from './lookups.ts';
import { readerConnection, renderLive, resolveLookups } from './lookup-rounds.ts';
import { loadState, openTenantDatabase } from './state.ts';
import { runNodeSql } from './sql-errors.ts';
import type { PipelineNode, Project } from './types.ts';

export interface InspectOptions {
  root: string;
  tenant: Tenant;
  db: DatabaseAccess;
  select?: string[];
  exclude?: string[];
  vars?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Called for each selection criterion that matches nothing. */
  onWarning?: (line: string) => void;
}

const compiledPath = (tenant: string, node: PipelineNode) => join('dist', 'compiled', tenant, node.generic ? join('tests', `${node.name}.sql`) : node.file);

function sameText(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf8') === text;
  } catch {
    return false;
  }
}

/** Compiled SQL goes to dist/compiled/<tenant>/… so users can read what ran; rewritten only when it changed. */
export function writeCompiled(root: string, tenant: string, node: PipelineNode): string | undefined {
  if (!node.sql) return undefined;
  const rel = compiledPath(tenant, node);
  const abs = join(root, rel);
  const text = `${node.sql}\n`;
  // Unchanged on most runs: reading is cheaper than rewriting fifty files per tenant.
  if (sameText(abs, text)) return rel;
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return rel;
}

const usesState = (selector: Selector) => selector.flat().some((c) => c.method === 'state');

/** A project loaded for reading: its lookups answered on `open()`'s connection (opened only if one is needed). */
async function loadForInspection(options: InspectOptions, open: () => Promise<pg.Client>): Promise<Project> {
  const project = loadProject(options.root, options.tenant, options.env, { vars: options.vars, lookups: new Lookups('inspect') });
  await resolveLookups(project, open);
  return project;
}

/** The project and its selected nodes in dependency order; the run state is read only for state: selectors. */
async function selected(options: InspectOptions, open: () => Promise<pg.Client>): Promise<{ project: Project; nodes: PipelineNode[] }> {
  const project = await loadForInspection(options, open);
  const select = parseSelector(options.select ?? []);
  const exclude = parseSelector(options.exclude ?? [], '--exclude');
  const order = topologicalOrder(project);
  if (!select.length && !exclude.length) return { project, nodes: order };
  let stored: Map<string, { checksum: string }> | undefined;
  if (usesState(select) || usesState(exclude)) {
    await options.db.ensureUp();
    stored = await withClient(openTenantDatabase(options.db, options.tenant), loadState);
  }
  const { ids, unmatched } = selectNodes(project, select, exclude, stored && ((id) => stored.get(id)?.checksum));
  for (const criterion of unmatched) options.onWarning?.(noMatch(criterion));
  return { project, nodes: order.filter((n) => ids.has(n.id)) };
}

export interface Compiled {
  node: { id: string; kind: string; name: string; file: string };
  /** Where the SQL was written, relative to the workspace root (undefined for seeds: no SQL). */
  path?: string;
  sql?: string;
}

/**
 * `compile`: the selection's SQL as it would run, written to dist/compiled/<tenant>/ (and the analyses
 * when nothing is selected). Nothing connects to the database unless a template reads it.
 */
export async function compileProject(options: InspectOptions): Promise<Compiled[]> {
  const reader = readerConnection(options.db, options.tenant);
  try {
    const { project, nodes } = await selected(options, reader.open);
    const analyses: PipelineNode[] = [];
    for (const name of options.select?.length ? [] : listAnalyses(options.root)) {
      const file = `${ANALYSES_DIR}/${name}.sql`;
      const node: PipelineNode = { id: `analysis.${name}`, kind: 'analysis', name, file, config: {}, dependsOn: [], checksum: '' };
      node.template = readFileSync(join(options.root, file), 'utf8');
      node.sql = (await renderLive(project, node, reader.open)).sql;
      analyses.push(node);
    }
    return [...nodes, ...analyses].map((node) => ({
      node: { id: node.id, kind: node.kind, name: node.name, file: node.file },
      path: writeCompiled(options.root, options.tenant.name, node),
      sql: node.sql,
    }));
  } finally {
    await reader.close();
  }
}

export interface Listed {
  unique_id: string;
  name: string;
  resource_type: string;
  materialized?: string;
  tags: string[];
  original_file_path: string;
  depends_on: string[];
}

/** `ls`: the selected nodes with their type, materialization and tags. */
export async function listNodes(options: InspectOptions): Promise<Listed[]> {
  const reader = readerConnection(options.db, options.tenant);
  const { nodes } = await selected(options, reader.open).finally(reader.close);
  return nodes.map((n) => ({
    unique_id: n.id,
    name: n.name,
    resource_type: n.kind,
    ...(n.kind === 'model' ? { materialized: n.config.materialized } : n.kind === 'seed' ? { materialized: 'seed' } : {}),
    tags: [n.config.tags ?? []].flat().map(String),
    original_file_path: n.file,
    depends_on: n.dependsOn,
  }));
}

/**
 * `show`: the first rows of a node's query (a model's compiled SQL, ephemerals inlined; a seed or
 * snapshot's table) or of an inline query, psql-aligned. Read as the tenant's reader role in a
 * read-only transaction: showing can never change the data.
 */
export async function showRows(options: InspectOptions & { inline?: string; limit: number }): Promise<string> {
  const reader = readerConnection(options.db, options.tenant);
  try {
    return await show(options, reader.open);
  } finally {
    await reader.close();
  }
}

async function show(options: InspectOptions & { inline?: string; limit: number }, open: () => Promise<pg.Client>): Promise<string> {
  const project = await loadForInspection(options, open);
  let node: PipelineNode;
  if (options.inline !== undefined) {
    node = { id: 'analysis.inline', kind: 'analysis', name: 'inline', file: '--inline', template: options.inline, config: {}, dependsOn: [], checksum: '' };
    node.sql = (await renderLive(project, node, open)).sql;
  } else {
    const names = options.select ?? [];
    const found = names.length === 1 ? [...project.nodes.values()].find((n) => n.name === names[0]) : undefined;
    if (!found) {
      throw new TaskError(
        'UNKNOWN_SELECTOR',
        `show needs one node: --select <name> (or --inline "select …"), not ${names.length ? names.join(' ') : 'nothing'}.`,
        {
          hint: `Nodes: ${[...project.byName.keys()].join(', ')}.`,
        },
      );
    }
    node = found;
    if (node.kind === 'model' && node.config.materialized === 'ephemeral') node = { ...node, kind: 'analysis' };
    else if (!node.sql || node.kind === 'snapshot') node = { ...node, kind: 'analysis', sql: `select * from ${relationFor(project, node)}` };
  }
  const limit = Number.isInteger(options.limit) && options.limit > 0 ? options.limit : 5;
  const client = await open();
  const result = await withTransaction(
    client,
    // One query, as a model is: an error points into the node's SQL.
    () => runNodeSql((text) => queryRaw(client, text), node, { prefix: 'select * from (\n', sql: node.sql!, suffix: `\n) as show limit ${limit}` }),
    { readOnly: true },
  );
  return formatAligned(result, { title: options.inline === undefined ? `${node.name} (first ${limit} rows)` : undefined });
}
