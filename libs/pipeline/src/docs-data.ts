/**
 * What the docs site shows of one tenant (dbt's `docs generate`): every seed, model, snapshot, analysis
 * and source with its description, columns (from the YAML and from the database), tests, compiled SQL,
 * row count and last build, and the lineage between them. Read as the tenant's reader role.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { withTransaction } from '@mt/postgres';
import { ANALYSES_DIR, listAnalyses } from './analyses.ts';
import type { InspectOptions } from './inspect.ts';
import { loadProject, relationFor } from './project.ts';
import { Lookups } from './lookups.ts';
import { readerConnection, renderLive, resolveLookups } from './lookup-rounds.ts';
import { relationName } from './render.ts';
import { META_SCHEMA } from './state.ts';
import type { PipelineNode, Project } from './types.ts';

export interface DocsColumn {
  name: string;
  /** The type in the database, when the relation is built. */
  type?: string;
  description?: string;
  tests: string[];
}

export interface DocsNode {
  id: string;
  kind: 'seed' | 'model' | 'snapshot' | 'analysis' | 'source';
  name: string;
  file: string;
  /** `schema.name` in the tenant database (none for ephemeral models and analyses). */
  relation?: string;
  materialized?: string;
  tags: string[];
  description?: string;
  columns: DocsColumn[];
  /** Data tests on it, with their last result. */
  tests: Array<{ name: string; column?: string; status?: string }>;
  sql?: string;
  rows?: number;
  lastBuild?: { status: string; finishedAt: string; ms: number; rows?: number };
}

export interface DocsData {
  tenant: string;
  displayName: string;
  database: string;
  generatedAt: string;
  nodes: DocsNode[];
  /** [from, to] node ids: the lineage graph. */
  edges: Array<[string, string]>;
}

const sourceId = (source: string, table: string) => `source.${source}.${table}`;

/** The graph's nodes and edges from the files alone (and the analyses, rendered). */
function lineage(project: Project, analyses: PipelineNode[]): { nodes: DocsNode[]; edges: Array<[string, string]>; tests: PipelineNode[] } {
  const nodes: DocsNode[] = [];
  const edges: Array<[string, string]> = [];
  const tests: PipelineNode[] = [];
  const sourceNode = (source: string, table: string, extra: Partial<DocsNode> = {}) => {
    const id = sourceId(source, table);
    if (!nodes.some((n) => n.id === id)) nodes.push({ id, kind: 'source', name: `${source}.${table}`, file: '', tags: [], columns: [], tests: [], ...extra });
    return id;
  };
  for (const t of project.external) {
    sourceNode(t.source, t.name, {
      file: t.file,
      relation: `${t.schema}.${t.name}`,
      description: t.description,
      columns: [...t.partitions, ...t.columns].map((c) => ({
        name: c.name,
        type: c.typeText,
        description: 'description' in c ? c.description : undefined,
        tests: [],
      })),
    });
  }
  // Every declared source, read or not (the lake's tables came first, with their columns).
  for (const source of project.sources.values())
    for (const table of source.tables ?? [])
      sourceNode(source.name, table.name, {
        relation: `${source.schema ?? source.name}.${table.identifier ?? table.name}`,
        description: table.description ?? source.description,
      });
  for (const node of [...project.nodes.values(), ...analyses]) {
    if (node.kind === 'test') {
      tests.push(node);
      continue;
    }
    const ephemeral = node.config.materialized === 'ephemeral';
    nodes.push({
      id: node.id,
      kind: node.kind as DocsNode['kind'],
      name: node.name,
      file: node.file,
      ...(node.kind === 'analysis' || ephemeral ? {} : { relation: relationFor(project, node).replace(/"/g, '') }),
      ...(node.kind === 'model' ? { materialized: node.config.materialized } : {}),
      tags: [node.config.tags ?? []].flat().map(String),
      description: node.description,
      columns: (node.columns ?? []).map((c) => ({ name: c.name, type: c.data_type, description: c.description, tests: [] })),
      tests: [],
      sql: node.sql,
    });
    for (const parent of node.dependsOn) edges.push([parent, node.id]);
    for (const s of [...(node.externalSources ?? []), ...(node.untrackedSources ?? [])]) {
      const [source, table] = s.split('.');
      edges.push([sourceNode(source, table), node.id]);
    }
  }
  return { nodes, edges, tests };
}

/** Each test listed under the node (and the column) it checks. */
function attachTests(nodes: DocsNode[], tests: PipelineNode[], status: Map<string, { status: string }>) {
  for (const test of tests) {
    const g = test.generic;
    const owner = nodes.find((n) => n.id === (g ? (g.source ? `source.${g.model}` : `model.${g.model}`) : test.dependsOn[0]));
    if (!owner) continue;
    const column = test.generic?.column;
    owner.tests.push({ name: test.name, ...(column ? { column } : {}), status: status.get(test.id)?.status });
    if (!column) continue;
    let entry = owner.columns.find((c) => c.name === column);
    if (!entry) owner.columns.push((entry = { name: column, tests: [] }));
    entry.tests.push(test.generic!.type);
  }
}

/** Columns, row counts and last builds from the tenant database, as the reader role sees it. */
async function fromDatabase(client: pg.Client, project: Project, nodes: DocsNode[]) {
  const schemas = [...new Set(nodes.flatMap((n) => (n.relation ? [n.relation.split('.')[0]] : [])))];
  const { rows: columns } = await client.query(
    `select table_schema || '.' || table_name as relation, column_name, data_type from information_schema.columns where table_schema = any($1) order by ordinal_position`,
    [schemas],
  );
  const { rows: kinds } = await client.query(
    `select n.nspname || '.' || c.relname as relation, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = any($1)`,
    [schemas],
  );
  const kind = new Map(kinds.map((k) => [k.relation, k.relkind]));
  const metaExists = (await client.query(`select to_regclass($1) as r`, [`${META_SCHEMA}.node_state`])).rows[0].r !== null;
  const state = new Map<string, { status: string; rows_affected: string | null; duration_ms: number; finished_at: Date }>();
  if (metaExists) {
    const { rows } = await client.query(`select unique_id, status, rows_affected, duration_ms, finished_at from ${META_SCHEMA}.node_state`);
    for (const r of rows) state.set(r.unique_id, r);
  }
  for (const node of nodes) {
    const built = state.get(node.id);
    if (built) {
      node.lastBuild = {
        status: built.status,
        finishedAt: built.finished_at.toISOString(),
        ms: built.duration_ms,
        ...(built.rows_affected !== null ? { rows: Number(built.rows_affected) } : {}),
      };
    }
    if (!node.relation) continue;
    for (const c of columns.filter((x) => x.relation === node.relation)) {
      const entry = node.columns.find((x) => x.name === c.column_name);
      if (entry) entry.type = c.data_type;
      else node.columns.push({ name: c.column_name, type: c.data_type, tests: [] });
    }
    // Counted where it is cheap and exact: stored rows (a view could be any query).
    if (['r', 'p', 'm'].includes(kind.get(node.relation))) {
      const [schema, name] = node.relation.split('.');
      node.rows = Number((await client.query(`select count(*) as n from ${relationName(schema, name)}`)).rows[0].n);
    }
  }
  return state;
}

export async function docsData(options: InspectOptions): Promise<DocsData> {
  const reader = readerConnection(options.db, options.tenant);
  try {
    const project = loadProject(options.root, options.tenant, options.env, { vars: options.vars, lookups: new Lookups('inspect') });
    await resolveLookups(project, reader.open);
    const analyses: PipelineNode[] = [];
    for (const name of listAnalyses(project.root)) {
      const file = `${ANALYSES_DIR}/${name}.sql`;
      const node: PipelineNode = { id: `analysis.${name}`, kind: 'analysis', name, file, config: {}, dependsOn: [], checksum: '' };
      node.template = readFileSync(join(project.root, file), 'utf8');
      const rendered = await renderLive(project, node, reader.open);
      analyses.push({ ...node, sql: rendered.sql, dependsOn: rendered.refs, untrackedSources: rendered.sources });
    }
    const { nodes, edges, tests } = lineage(project, analyses);
    const client = await reader.open();
    const state = await withTransaction(client, () => fromDatabase(client, project, nodes), { readOnly: true });
    attachTests(nodes, tests, state);
    return docsFor(options, nodes, edges);
  } finally {
    await reader.close();
  }
}

function docsFor(options: InspectOptions, nodes: DocsNode[], edges: Array<[string, string]>): DocsData {
  return {
    tenant: options.tenant.name,
    displayName: options.tenant.displayName,
    database: options.tenant.database,
    generatedAt: new Date().toISOString(),
    nodes,
    edges,
  };
}
