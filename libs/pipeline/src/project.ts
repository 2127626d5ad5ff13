import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TaskError, io, isValidIdentifier } from '@mt/cli';
import { loadExternalTables } from '@mt/lake';
import { closestNames, readYamlFile, tenantSeedFiles, type Tenant } from '@mt/tenant-config';
import { callLine, quoteIdent, relationName } from './render.ts';
import { callMacro, render, type RenderContext } from './node-globals.ts';
import { MISSING_RELATION_CODES, type Lookups, type NodeLookups } from './lookups.ts';
import { fileDigest } from './file-digest.ts';
import { filesUnder } from './files.ts';
import { loadMacros } from './macros.ts';
import { genericTestSql, genericTestsFromYaml } from './yaml-tests.ts';
import { checkYaml, modelYamlSchema } from './yaml-schemas.ts';
import { pathWithin } from './dbt-project.ts';
import { identifierOf } from './relations.ts';
import {
  checkConfigKeys,
  configLine,
  folderDefaults,
  loadSettings,
  mergeConfig,
  validateModelConfig,
  validateSnapshotConfig,
  validateTestConfig,
} from './config.ts';
import type { NodeConfig, PipelineNode, Project, YamlSource } from './types.ts';

/** What one run gives every node it renders: `--vars`, and dbt's invocation_id and run_started_at. */
export interface RunInputs {
  vars?: Record<string, unknown>;
  invocationId?: string;
  startedAt?: Date;
  /** dbt's flags.FULL_REFRESH and flags.WHICH. */
  fullRefresh?: boolean;
  which?: string;
  /**
   * Where lookups (run_query, adapter.get_columns_in_relation, dbt_utils.star, …) are answered: with a
   * cache, `execute` is true and a node whose lookup is not answered yet waits (resolveLookups in
   * lookup-rounds.ts runs them and renders it again); without, nodes render as dbt parses them.
   */
  lookups?: Lookups;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Reads sql/ and seeds/ for one tenant: every node with its rendered SQL, config and dependencies.
 * Rendering happens here once (with is_incremental() false) because ref() calls define the DAG.
 */
export function loadProject(root: string, tenant: Tenant, env: NodeJS.ProcessEnv = io().env, run: RunInputs = {}): Project {
  const settings = loadSettings(root);
  const macros = loadMacros(root, settings.paths);
  const nodes = new Map<string, PipelineNode>();
  const byName = new Map<string, PipelineNode>();
  const add = (node: PipelineNode) => {
    // Tests have names of their own (test.<name>): a second one would replace the first, silently.
    const clash = node.kind === 'test' ? nodes.get(node.id) : byName.get(node.name);
    if (clash && node.kind === 'test') {
      throw new TaskError('DUPLICATE_NODE', `Two tests are named "${node.name}": ${clash.file} and ${node.file}.`, {
        hint: 'Test names are unique in the project, whatever folder of sql/tests they are in: rename one of the files.',
      });
    }
    if (clash) {
      throw new TaskError('DUPLICATE_NODE', `Two nodes are named "${node.name}": ${clash.file} and ${node.file}.`, {
        hint: 'Names are shared by seeds, models and snapshots (they become relation names): rename one of them.',
      });
    }
    if (node.kind !== 'test') byName.set(node.name, node);
    nodes.set(node.id, node);
  };

  // Seeds: seeds/*.csv, overridden by the tenant's own and generated ones.
  for (const [name, file] of tenantSeedFiles(root, tenant)) {
    assertNodeName(name, file);
    const seed: PipelineNode = {
      id: `seed.${name}`,
      kind: 'seed',
      name,
      file,
      config: { column_types: settings.seedColumnTypes[name] ?? {} },
      dependsOn: [],
      checksum: '',
    };
    seed.checksum = seedChecksum(root, seed);
    add(seed);
  }

  const { paths } = settings;
  const under = (dirs: string[], ext: string) => dirs.flatMap((dir) => filesUnder(root, dir, ext));
  const templated: Array<{ kind: 'model' | 'snapshot' | 'test'; file: string }> = [
    ...under(paths.models, '.sql').map((file) => ({ kind: 'model' as const, file })),
    ...under(paths.snapshots, '.sql').map((file) => ({ kind: 'snapshot' as const, file })),
    // <test path>/generic holds {% test %} macros, not tests.
    ...under(paths.tests, '.sql')
      .filter((file) => pathWithin(paths.tests, file)[0] !== 'generic')
      .map((file) => ({ kind: 'test' as const, file })),
  ];
  for (const { kind, file } of templated) {
    const text = readFileSync(join(root, file), 'utf8');
    // dbt's `{% snapshot name %}…{% endsnapshot %}` blocks are a snapshot each; other files are one node named by the file.
    for (const { name, template } of kind === 'snapshot' ? snapshotBlocks(text, file) : [{ name: basename(file, '.sql'), template: text }]) {
      assertNodeName(name, file);
      const base = kind === 'model' ? folderDefaults(settings, file) : kind === 'test' ? { severity: 'error' as const, ...settings.testConfig } : {};
      add({ id: `${kind}.${name}`, kind, name, file, template, config: base, dependsOn: [], checksum: '' });
    }
  }

  // dbt's properties files, beside the models, seeds or snapshots: config, columns, generic tests, sources.
  const sources = new Map<string, YamlSource>();
  for (const file of under([...paths.models, ...paths.seeds, ...paths.snapshots], '.yml')) {
    const doc = checkYaml(modelYamlSchema, readYamlFile(root, file), file, 'INVALID_MODEL_YAML');
    for (const [section, kind] of [
      ['models', 'model'],
      ['seeds', 'seed'],
      ['snapshots', 'snapshot'],
    ] as const) {
      for (const entry of doc[section] ?? []) {
        const node = nodes.get(`${kind}.${entry.name}`);
        if (!node) {
          const where =
            kind === 'snapshot'
              ? `{% snapshot ${entry.name} %} in ${paths.snapshots.join(' or ')}`
              : `${paths[section].join(' or ')}/**/${entry.name}.${kind === 'seed' ? 'csv' : 'sql'}`;
          throw new TaskError('UNKNOWN_MODEL', `${file}: describes ${kind} "${entry.name}", but there is no ${where}.`);
        }
        checkConfigKeys(node, Object.keys(entry.config ?? {}), () => undefined, `${file}, ${kind} ${entry.name}`);
        mergeConfig(node.config, entry.config ?? {});
        if (entry.description) node.description = entry.description;
        if (entry.columns?.length) node.columns = entry.columns.map(({ name, description, data_type }) => ({ name, description, data_type }));
        if (kind === 'seed' && entry.config) node.checksum = seedChecksum(root, node);
      }
    }
    for (const src of doc.sources ?? []) sources.set(src.name, src);
    // Generic test names are made up, so they are numbered past every test already named (singular
    // tests, other YAML files) rather than refused, as dbt makes them unique.
    for (const test of genericTestsFromYaml(doc, file, (name) => nodes.has(`test.${name}`), macros.tests)) add(test);
  }

  // sql/sources: the data lake's external tables, read by models as source('<source>', '<table>').
  const external = loadExternalTables(root, tenant);
  for (const t of external) {
    const entry = sources.get(t.source) ?? { name: t.source, schema: t.schema, tables: [] };
    entry.tables = [...(entry.tables ?? []).filter((x) => x.name !== t.name), { name: t.name }];
    sources.set(t.source, entry);
  }
  const project: Project = {
    root,
    tenant,
    settings,
    // The original ran dbt with TENANT_NAME set to the tenant it built: env_var('TENANT_NAME') is that
    // tenant here too, whatever .env says (make dbt-run TENANT=tenant_b).
    env: { ...env, TENANT_NAME: tenant.name },
    nodes,
    byName,
    sources,
    external,
    macros,
    // --vars over the tenant's over the project's, as dbt's command line over dbt_project.yml.
    vars: { ...settings.vars, ...tenant.vars, ...run.vars },
    invocation: { id: run.invocationId ?? randomUUID(), startedAt: run.startedAt ?? new Date(), fullRefresh: run.fullRefresh, which: run.which },
    lookups: run.lookups,
  };
  renderNodes(project);
  return project;
}

/**
 * Renders the nodes not rendered yet (every one at load; after a round of lookups, those that waited),
 * then the generic tests and the checksums. A node whose render waits for a lookup keeps no SQL and is
 * in project.lookups.waiting, with the nodes that ref it and the tests on it.
 */
export function renderNodes(project: Project) {
  const { nodes, byName } = project;
  const waiting = project.lookups?.waiting;
  waiting?.clear();
  loading.set(project, { externalIds: new Set(project.external.map((t) => `${t.source}.${t.name}`)), rendering: new Set() });
  try {
    for (const node of nodes.values()) prepareNode(project, node);
  } finally {
    loading.delete(project);
  }
  dropDisabled(project);
  checkRelations(project);
  const waits = (name: string | undefined) => !!waiting?.has(byName.get(name ?? '')?.id ?? '');
  for (const node of nodes.values()) {
    if (node.generic && node.sql === undefined) {
      if (!node.generic.source && (waits(node.generic.model) || waits(node.generic.to))) {
        waiting!.add(node.id);
        continue;
      }
      const tested = node.generic.source ? undefined : byName.get(node.generic.model);
      if (tested?.config.materialized === 'ephemeral') {
        throw new TaskError('INVALID_TEST', `${node.file}: ${node.generic.type} tests ${node.generic.model}, which is ephemeral: it has no relation to test.`, {
          hint: `Test the models that read it, or make it a view: config(materialized='view').`,
        });
      }
      if (node.generic.args) {
        const rendered = macroTest(project, node);
        if (rendered.waiting) {
          waiting!.add(node.id);
          continue;
        }
        if (rendered.lookups) node.lookups = rendered.lookups;
        node.dependsOn = rendered.refs;
        node.sql = rendered.sql;
      } else {
        node.dependsOn = genericDependencies(node, byName);
        node.sql = genericTestSql(node.generic, (name) => testedRelation(project, node, name));
      }
      // A source loaded by something else: its changes cannot be seen here, so the test always runs.
      const seed = node.generic.source ? seedBehind(project, node.generic.model) : undefined;
      if (seed) node.dependsOn = [...new Set([seed, ...node.dependsOn])];
      else if (node.generic.source) node.untrackedSources = [node.generic.model];
    }
    if (node.kind !== 'seed' && !waiting?.has(node.id)) node.checksum = checksumOf(node);
  }
}

/** A node's own content hash: its SQL, generic test, config and schema (a seed's is its file's, seedChecksum). */
export const checksumOf = (node: PipelineNode) =>
  sha256(`${node.kind}\n${node.sql ?? ''}\n${JSON.stringify(node.generic ?? null)}\n${JSON.stringify(node.config)}\n${node.schema ?? ''}`);

/**
 * The seed whose table a source (`<source>.<table>`) names, if any: dbt projects often declare the
 * tables their seeds load as sources. Then the source is tracked as the seed is.
 */
function seedBehind(project: Project, source: string): string | undefined {
  const [name, table] = source.split('.');
  const relation = sourceRelation(project.sources, '', name, table);
  const seed = [...project.byName.values()].find((n) => n.kind === 'seed' && relationFor(project, n) === relation);
  return seed?.id;
}

/**
 * dbt's `enabled: false` (folder, YAML or config()): the node is not part of the project, and neither
 * are the tests on it; a node that still refs it is an error, as in dbt.
 */
function dropDisabled(project: Project) {
  // false from YAML or config(), 'false' or 'False' as text.
  const disabled = [...project.nodes.values()].filter((n) => String(n.config.enabled).toLowerCase() === 'false');
  if (!disabled.length) return;
  const names = new Set(disabled.map((n) => n.name));
  for (const n of disabled) project.byName.delete(n.name);
  for (const n of project.nodes.values()) if (names.has(n.name) || (n.generic && !n.generic.source && names.has(n.generic.model))) project.nodes.delete(n.id);
  for (const n of project.nodes.values()) {
    const off = disabled.find((d) => n.dependsOn.includes(d.id) || n.generic?.to === d.name);
    if (off) {
      throw new TaskError(
        'UNKNOWN_REF',
        `${n.file}: ${n.kind} ${n.name} depends on ${off.kind} ${off.name}, which is disabled (enabled: false, ${off.file}).`,
        {
          hint: `Enable ${off.name} again, or disable ${n.name} too: {{ config(enabled=false) }}.`,
        },
      );
    }
  }
}

/**
 * Each relation is built by one node: an `alias` (dbt's config naming a node's relation) must be a
 * relation name, and two nodes may not build the same relation.
 */
function checkRelations(project: Project) {
  const built = new Map<string, PipelineNode>();
  for (const node of project.nodes.values()) {
    if (node.kind === 'test' || node.config.materialized === 'ephemeral' || project.lookups?.waiting.has(node.id)) continue;
    if (node.config.alias !== undefined && (typeof node.config.alias !== 'string' || !isValidIdentifier(node.config.alias))) {
      throw new TaskError(
        'INVALID_CONFIG',
        `${node.file}: alias=${JSON.stringify(node.config.alias)} is not a relation name this engine creates (lowercase letters, digits and _).`,
        {
          hint: "config(alias='orders_v2')",
        },
      );
    }
    const relation = relationFor(project, node);
    const other = built.get(relation);
    if (other) {
      throw new TaskError(
        'DUPLICATE_NODE',
        `${other.kind} ${other.name} (${other.file}) and ${node.kind} ${node.name} (${node.file}) would both build ${relation}.`,
        {
          hint: 'Give one of them another alias (or none), or another schema.',
        },
      );
    }
    built.set(relation, node);
  }
}

/** A seed's checksum: the file is read when it is loaded (streamed); here only its digest, remembered between runs. */
const seedChecksum = (root: string, seed: PipelineNode) => sha256(fileDigest(root, seed.file) + JSON.stringify(seed.config.column_types ?? {}));

/** While a project loads: what renders now (a ref() cycle through ephemerals would never end). */
const loading = new WeakMap<Project, { externalIds: Set<string>; rendering: Set<string> }>();

/**
 * Renders a node once, at load time: its SQL, config and parents. A model whose ref() reaches one not
 * rendered yet renders that one first, since only then is it known whether it is ephemeral.
 */
function prepareNode(project: Project, node: PipelineNode) {
  const state = loading.get(project);
  if (!node.template || node.sql !== undefined || !state || project.lookups?.waiting.has(node.id)) return;
  if (state.rendering.has(node.id)) {
    const cycle = [...state.rendering].map((id) => project.nodes.get(id)!);
    throw new TaskError('REF_CYCLE', `ref() cycle: ${[...cycle.map((n) => n.name), node.name].join(' -> ')} (${cycle.map((n) => n.file).join(', ')}).`, {
      hint: 'A model cannot depend on itself, directly or through others: remove one of these ref() calls.',
    });
  }
  state.rendering.add(node.id);
  let rendered: Rendered;
  try {
    rendered = renderNode(project, node, false);
  } finally {
    state.rendering.delete(node.id);
  }
  // A lookup it made is not answered yet: rendered again after the next round (lookup-rounds.ts).
  if (rendered.waiting) {
    project.lookups!.waiting.add(node.id);
    return;
  }
  if (rendered.lookups) node.lookups = rendered.lookups;
  else delete node.lookups;
  checkConfigKeys(node, Object.keys(rendered.config), (key) => configLine(node.template!, key));
  node.sql = rendered.sql;
  mergeConfig(node.config, rendered.config);
  const lake = rendered.sources.filter((s) => state.externalIds.has(s));
  if (lake.length) node.externalSources = lake;
  const others = rendered.sources.filter((s) => !state.externalIds.has(s));
  const seeds = others.map((s) => seedBehind(project, s));
  // A source on a seed's table is that seed, as a ref() would be: built first, and its changes seen.
  node.dependsOn = [...new Set([...rendered.refs, ...seeds.filter((id) => id !== undefined)])];
  const untracked = others.filter((_, i) => seeds[i] === undefined);
  if (untracked.length) node.untrackedSources = untracked;
  else delete node.untrackedSources;
  if (node.kind === 'model') validateModelConfig(node);
  if (node.kind === 'snapshot') validateSnapshotConfig(node);
  if (node.kind === 'model') node.schema = generateSchemaName(project, node);
  if (node.kind === 'test') validateTestConfig(node);
}

/** An ephemeral model's name in the queries it is inlined into, as dbt names it. */
export const cteName = (node: PipelineNode) => `__dbt__cte__${node.name}`;

/**
 * A query with ephemeral models inlined as CTEs: added to its own WITH when it has one (after any
 * leading comments), or as a WITH of their own.
 */
export function withCtes(sql: string, ctes: PipelineNode[]): string {
  if (!ctes.length) return sql;
  const defs = ctes.map((n) => `${quoteIdent(cteName(n))} as (\n${n.sql}\n)`).join(',\n');
  const m = /^((?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*)(with(?:\s+recursive)?\b)?/i.exec(sql)!;
  return m[2] ? `${m[1]}${m[2]} ${defs},\n${sql.slice(m[0].length).replace(/^[ \t]+/, '')}` : `${m[1]}with ${defs}\n${sql.slice(m[1].length)}`;
}

/** The schema a node builds into: a snapshot's target_schema (else the project's snapshot schema), the project's schema for the rest. */
export const schemaFor = (project: Project, node: PipelineNode): string =>
  node.schema ?? (node.kind === 'snapshot' ? String(node.config.target_schema ?? project.settings.snapshotSchema) : project.settings.schema);

/**
 * dbt's generate_schema_name: a model with a custom `schema` builds into `<target schema>_<custom>`
 * (`+schema: public` gives `public_public`, as the original's did), else into the target schema — unless
 * the project has its own macro `generate_schema_name(custom_schema_name, node)`, whose text is the schema.
 */
function generateSchemaName(project: Project, node: PipelineNode): string {
  const custom = node.config.schema === undefined || node.config.schema === null ? null : String(node.config.schema).trim();
  if (!project.macros.macros.has('generate_schema_name')) return custom ? `${project.settings.schema}_${custom}` : project.settings.schema;
  const info = { name: node.name, resource_type: node.kind, original_file_path: node.file, config: node.config, fqn: node.file.split('/') };
  const schema = renderWith(project, node, false, (ctx) => callMacro(ctx, 'generate_schema_name', [custom, info], {}), {
    without: 'generate_schema_name',
  }).sql.trim();
  if (!schema || schema.length > 63 || schema.includes('"') || schema.includes('\0')) {
    const macro = project.macros.macros.get('generate_schema_name')!;
    throw new TaskError(
      'INVALID_CONFIG',
      `${macro.file}:${macro.line}: generate_schema_name gave ${JSON.stringify(schema)} for ${node.file}, which cannot be a schema name.`,
      {
        hint: 'It must return a name of 1 to 63 characters (its text, trimmed), e.g. {{ custom_schema_name or target.schema }}.',
      },
    );
  }
  return schema;
}

export const relationFor = (project: Project, node: PipelineNode) => relationName(schemaFor(project, node), identifierOf(node));

const SNAPSHOT_BLOCK = /\{%-?\s*snapshot\s+(\S+?)\s*-?%\}([\s\S]*?)\{%-?\s*endsnapshot\s*-?%\}/g;

/**
 * The `{% snapshot %}` blocks of a file, each body padded with the lines before it, so errors keep the
 * file's line numbers; the whole file as one snapshot named by the file when it has none.
 */
function snapshotBlocks(text: string, file: string): Array<{ name: string; template: string }> {
  const blocks = [...text.matchAll(SNAPSHOT_BLOCK)].map((m) => {
    const before = text.slice(0, m.index + m[0].indexOf('%}') + 2);
    return { name: m[1], template: before.replace(/[^\n]/g, '') + m[2] };
  });
  if (blocks.length || !/\{%-?\s*snapshot\b/.test(text)) return blocks.length ? blocks : [{ name: basename(file, '.sql'), template: text }];
  throw new TaskError(
    'TEMPLATE_ERROR',
    `${file}:${text.slice(0, text.search(/\{%-?\s*snapshot\b/)).split('\n').length}: a {% snapshot name %} block without its {% endsnapshot %}.`,
    {
      hint: 'Write {% snapshot name %} select … {% endsnapshot %}: the name is the snapshot table, the body its query.',
    },
  );
}

/**
 * Renders a node's Jinja for the project's tenant: at load time with is_incremental() false (the
 * ref() calls found are the node's parents), and again before an incremental build with true.
 */
export function renderNode(project: Project, node: PipelineNode, incremental: boolean): Rendered {
  return renderWith(project, node, incremental, (ctx) => render(node.template!, ctx));
}

/**
 * A node rendered right before it runs, its lookups answered by `lookups` (the execution's own, asked
 * afresh: what it reads may have been rebuilt by this run); ephemeral models it inlines that looked
 * something up are rendered afresh too.
 */
export function renderForRun(project: Project, node: PipelineNode, incremental: boolean, lookups: Lookups): Rendered {
  if (node.generic?.args) return macroTest(project, node, { lookups });
  return renderWith(project, node, incremental, (ctx) => render(node.template!, ctx), { lookups });
}

/**
 * A hook's SQL (pre_hook, post_hook: Jinja with the node's `this`; on-run-start / on-run-end: with no
 * node), rendered when it runs.
 */
export function renderHook(project: Project, node: PipelineNode | undefined, template: string): string {
  const owner = node ?? { id: 'hook.project', kind: 'hook', name: 'project', file: 'sql/dbt_project.yml', config: {}, dependsOn: [], checksum: '' };
  return renderWith(project, owner, false, (ctx) => render(template, ctx), { without: 'a hook' }).sql;
}

/** A render's outcome; `waiting`: a lookup it made is not answered yet (its SQL is nothing). */
export type Rendered = { sql: string; config: NodeConfig; refs: string[]; sources: string[]; waiting?: boolean; lookups?: NodeLookups };

/** Where a render's lookups are answered: `lookups`, else the project's cache (neither: as dbt parses); none at all for what `without` names. */
interface RenderMode {
  lookups?: Lookups;
  without?: string;
}

/**
 * A node's render context (ref, source, config collected as the template calls them) around `body`.
 * With lookups (lookups.ts): a render that waits for one gives nothing; one that found a relation
 * missing (at load, also a query failing) before anything is built is done again as dbt parses
 * (execute false: star() gives *, run_query none) and marked `deferred`: rendered for real when it runs.
 */
function renderWith(project: Project, node: PipelineNode, incremental: boolean, body: (ctx: RenderContext) => string, mode: RenderMode = {}): Rendered {
  const first = attempt(project, node, incremental, body, mode.lookups ?? project.lookups, mode);
  if (first.waiting) return { sql: '', config: {}, refs: [], sources: [], waiting: true };
  if (!first.provisional) {
    if (first.error !== undefined) throw first.error;
    return first.rendered;
  }
  const parsed = attempt(project, node, incremental, body, undefined, mode);
  if (parsed.error !== undefined) throw parsed.error;
  return { ...parsed.rendered, lookups: { ...first.rendered.lookups!, deferred: true } };
}

/** One render of a node, its error kept: whether it waited for a lookup, or found a relation missing, decides what it is worth. */
function attempt(
  project: Project,
  node: PipelineNode,
  incremental: boolean,
  body: (ctx: RenderContext) => string,
  lookups: Lookups | undefined,
  mode: RenderMode,
) {
  const refs = new Set<string>();
  const sources = new Set<string>();
  const ctes: PipelineNode[] = [];
  const config: NodeConfig = {};
  const used = { relations: new Set<string>(), queries: false, deferred: false, any: false };
  let waiting = false;
  let provisional = false;
  let sql = '';
  let error: unknown;
  try {
    sql = body({
      file: node.file,
      tenant: project.tenant,
      vars: project.vars,
      env: project.env,
      schema: project.settings.schema,
      projectName: project.settings.name,
      invocation: project.invocation,
      macros: project.macros,
      thisRelation: relationFor(project, node),
      incremental,
      config,
      execute: !!lookups,
      lookup: (request) => {
        if (mode.without) {
          throw new TaskError(
            'TEMPLATE_ERROR',
            `${node.file}: ${mode.without} cannot read the database while it renders (run_query, adapter.get_columns_in_relation, dbt_utils.star, …).`,
            { hint: 'Read it in a model, or in a macro a model calls.' },
          );
        }
        used.any = true;
        if (request.kind === 'columns') used.relations.add(relationName(request.schema, request.name));
        else used.queries = true;
        const answer = lookups!.answer(request);
        if (!answer) waiting = true;
        else if (lookups!.phase !== 'execute')
          provisional ||=
            answer.kind === 'columns'
              ? answer.columns === null
              : answer.kind === 'failed' && (lookups!.phase === 'load' || MISSING_RELATION_CODES.has(answer.code ?? ''));
        return answer;
      },
      ref: (name) => {
        const target = project.byName.get(name);
        if (!target) throw unknownRef(node, name, [...project.byName.keys()]);
        refs.add(target.id);
        prepareNode(project, target);
        if (project.lookups?.waiting.has(target.id)) waiting = true;
        if (waiting || target.config.materialized !== 'ephemeral') return relationFor(project, target);
        // Inlined: what it looked up is this node's too (and right before a run is looked up afresh).
        let cte = target;
        if (target.lookups) {
          used.any = true;
          target.lookups.relations.forEach((r) => used.relations.add(r));
          used.queries ||= target.lookups.queries;
          used.deferred ||= target.lookups.deferred;
          if (mode.lookups && target.template) {
            const fresh = renderWith(project, target, false, (ctx) => render(target.template!, ctx), mode);
            waiting ||= !!fresh.waiting;
            cte = { ...target, sql: fresh.sql };
          }
        }
        if (!ctes.some((c) => c.id === target.id)) ctes.push(cte);
        return quoteIdent(cteName(target));
      },
      source: (sourceName, table) => {
        sources.add(`${sourceName}.${table}`);
        return sourceRelation(project.sources, node.file, sourceName, table);
      },
    });
  } catch (e) {
    error = e;
  }
  const lookedUp = used.any ? { relations: [...used.relations].sort(), queries: used.queries, deferred: used.deferred } : undefined;
  const rendered: Rendered = {
    sql: withCtes(sql, ctes),
    config,
    refs: [...refs].sort(),
    sources: [...sources].sort(),
    ...(lookedUp ? { lookups: lookedUp } : {}),
  };
  return { rendered, waiting, provisional, error };
}

/**
 * A `{% test %}` macro's query for one YAML entry: called as dbt calls it, with model (the relation),
 * column_name (when on a column) and the entry's arguments; an argument written `ref('x')` is that
 * relation. Its parents are the model and whatever it refs.
 */
function macroTest(project: Project, node: PipelineNode, mode: RenderMode = {}): Rendered {
  const g = node.generic!;
  const body = (ctx: RenderContext) => {
    const args = Object.fromEntries(
      Object.entries(g.args ?? {}).map(([k, v]) => {
        const ref = typeof v === 'string' ? /^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(v) : null;
        return [k, ref ? ctx.ref(ref[1]) : v];
      }),
    );
    const model = g.source ? ctx.source(...(g.model.split('.') as [string, string])) : ctx.ref(g.model);
    return callMacro(ctx, `test_${g.type}`, [], { model, ...(g.column ? { column_name: g.column } : {}), ...args });
  };
  return renderWith(project, node, false, body, mode);
}

function assertNodeName(name: string, file: string) {
  if (!isValidIdentifier(name)) {
    throw new TaskError('INVALID_NODE_NAME', `${file}: "${name}" is not a valid relation name (lowercase letters, digits and _, starting with a letter).`, {
      hint: 'Rename the file: its name becomes the table or view name.',
    });
  }
}

function unknownRef(node: PipelineNode, name: string, known: string[]): TaskError {
  // The line of the call itself: the name alone also matches longer names and other text.
  const line = callLine(node.template ?? '', 'ref', name, { packaged: true });
  const close = closestNames(name, known);
  return new TaskError(
    'UNKNOWN_REF',
    `${node.file}${line ? `:${line}` : ''}: ref('${name}') points to nothing: there is no model, seed or snapshot named "${name}".`,
    {
      hint: close.length
        ? `Did you mean ${close.map((c) => `'${c}'`).join(' or ')}?`
        : 'Check the name against the files in sql/models, sql/snapshots and seeds.',
    },
  );
}

function sourceRelation(sources: Map<string, YamlSource>, file: string, sourceName: string, table: string): string {
  const src = sources.get(sourceName);
  const t = src?.tables?.find((x) => x.name === table);
  if (!src || !t) {
    throw new TaskError(
      'UNKNOWN_SOURCE',
      `${file}: source('${sourceName}', '${table}') is not declared in any sql/models/**/*.yml "sources:" block or sql/sources/*.yml.`,
    );
  }
  return relationName(src.schema ?? sourceName, t.identifier ?? t.name);
}

/** The relation a generic test reads by name: its source table, or a model, seed or snapshot. */
function testedRelation(project: Project, node: PipelineNode, name: string): string {
  const g = node.generic!;
  if (g.source && name === g.model) return sourceRelation(project.sources, node.file, ...(name.split('.') as [string, string]));
  return relationFor(project, project.byName.get(name)!);
}

function genericDependencies(node: PipelineNode, byName: Map<string, PipelineNode>): string[] {
  const g = node.generic!;
  const deps = g.source ? [] : [byName.get(g.model)?.id ?? `model.${g.model}`];
  if (g.type === 'relationships') {
    const target = byName.get(g.to!);
    if (!target) throw new TaskError('UNKNOWN_REF', `${node.file}: relationships test on ${g.model}.${g.column} points to "${g.to}", which does not exist.`);
    deps.push(target.id);
  }
  return deps;
}
