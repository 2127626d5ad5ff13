import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TaskError, io, isValidIdentifier } from '@mt/cli';
import { loadExternalTables } from '@mt/lake';
import { closestNames, readYamlFile, tenantSeedFiles, type Tenant } from '@mt/tenant-config';
import { callLine, quoteIdent, relationName } from './render.ts';
import { callMacro, render, type RenderContext } from './node-globals.ts';
import { fileDigest } from './file-digest.ts';
import { filesUnder } from './files.ts';
import { loadMacros } from './macros.ts';
import { genericTestSql, genericTestsFromYaml, parseSeverity } from './yaml-tests.ts';
import { checkYaml, modelYamlSchema } from './yaml-schemas.ts';
import { PROJECT_FILE, pathWithin, projectLevel, projectPaths, readDbtProject } from './dbt-project.ts';
import type { NodeConfig, PipelineNode, Project, ProjectSettings, YamlSource } from './types.ts';

/** What one run gives every node it renders: `--vars`, and dbt's invocation_id and run_started_at. */
export interface RunInputs {
  vars?: Record<string, unknown>;
  invocationId?: string;
  startedAt?: Date;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** dbt packages this engine has built in (dbt_external_tables is sql/sources). */
const BUILT_IN_PACKAGES = ['dbt-labs/dbt_utils', 'dbt-labs/dbt_external_tables'];

/**
 * sql/packages.yml (or dependencies.yml): packages cannot be downloaded here, so one that is not built
 * in is an error naming what is, instead of a failure at its first macro.
 */
function checkPackages(root: string) {
  for (const file of ['sql/packages.yml', 'sql/dependencies.yml']) {
    if (!existsSync(join(root, file))) continue;
    const doc = readYamlFile(root, file) as { packages?: Array<Record<string, unknown>> } | null;
    for (const entry of doc?.packages ?? []) {
      const name = String(entry.package ?? entry.git ?? entry.local ?? JSON.stringify(entry));
      if (BUILT_IN_PACKAGES.includes(name)) continue;
      throw new TaskError('UNKNOWN_CONFIG', `${file}: package "${name}" cannot be installed here (no downloads), and it is not built in.`, {
        hint: `Built in: ${BUILT_IN_PACKAGES.join(', ')} (dbt_utils' macros as dbt_utils.<name>, external tables in sql/sources). Copy the macros you use from ${name} into sql/macros.`,
      });
    }
  }
}

export function loadSettings(root: string): ProjectSettings {
  checkPackages(root);
  const raw = readDbtProject(root);
  const paths = projectPaths(root, raw);
  const models = projectLevel(raw.models, raw.name, 'models');
  checkFolderConfig(root, paths.models, models, [], raw.name);
  const snapshots = projectLevel(raw.snapshots, raw.name, 'snapshots');
  const tests = projectLevel(raw.data_tests ?? raw.tests, raw.name, 'tests');
  onlyKeys(snapshots, ['target_schema'], `snapshots.${raw.name}`);
  onlyKeys(tests, CONFIG_KEYS.test, `tests.${raw.name}`);
  const snapshotSchema = String(snapshots['+target_schema'] ?? snapshots.target_schema ?? 'snapshots');
  if (!isValidIdentifier(snapshotSchema)) {
    throw new TaskError(
      'INVALID_PROJECT',
      `${PROJECT_FILE}: snapshots.${raw.name}.+target_schema must be a lowercase identifier, found ${JSON.stringify(snapshotSchema)}.`,
    );
  }
  return {
    name: raw.name,
    // Each tenant has a database of its own: the target schema is public in every one.
    schema: 'public',
    paths,
    snapshotSchema,
    folderConfig: models,
    testConfig: Object.fromEntries(Object.entries(tests).map(([k, v]) => [configKey(k), v])),
    seedColumnTypes: seedColumnTypes(root, paths.seeds, projectLevel(raw.seeds, raw.name, 'seeds'), raw.name),
    vars: raw.vars ?? {},
    onRunStart: [raw['on-run-start'] ?? []].flat(),
    onRunEnd: [raw['on-run-end'] ?? []].flat(),
  };
}

/** A config level that may only hold these keys (`+key` or `key`). */
function onlyKeys(level: Record<string, unknown>, known: readonly string[], where: string) {
  const key = Object.keys(level).find((k) => !known.includes(configKey(k)));
  if (key === undefined) return;
  const close = closestNames(configKey(key), known);
  throw new TaskError('UNKNOWN_CONFIG', `${PROJECT_FILE}: ${where}.${key} is not a setting this engine reads there, so it would be ignored.`, {
    hint: `${close.length ? `Did you mean "+${close[0]}"? ` : ''}Read there: ${known.map((k) => `+${k}`).join(', ')}.`,
  });
}

/**
 * seeds.<project>.<seed>.+column_types: a seed's column types by seed name (the seeds of the project's
 * seed folders); a name that is no seed would type nothing, so it is refused.
 */
function seedColumnTypes(root: string, dirs: string[], level: Record<string, unknown>, project: string): Record<string, Record<string, string>> {
  if (!Object.keys(level).length) return {};
  const seeds = dirs.flatMap((dir) => filesUnder(root, dir, '.csv').map((f) => basename(f, '.csv')));
  const types: Record<string, Record<string, string>> = {};
  for (const [name, config] of Object.entries(level)) {
    if (!seeds.includes(name)) {
      const close = closestNames(name, seeds);
      throw new TaskError(
        'UNKNOWN_CONFIG',
        `${PROJECT_FILE}: seeds.${project}.${name} is no seed of ${dirs.map((dir) => `${dir}/`).join(', ')}, so its settings would apply to nothing.`,
        {
          hint: `${close.length ? `Did you mean "${close[0]}"? ` : ''}Seeds: ${seeds.join(', ') || '(none)'}; a seed takes +column_types: { column: type }.`,
        },
      );
    }
    onlyKeys(config as Record<string, unknown>, ['column_types'], `seeds.${project}.${name}`);
    const c = config as Record<string, Record<string, string>>;
    types[name] = c['+column_types'] ?? c.column_types ?? {};
  }
  return types;
}

/**
 * dbt_project.yml `models.<project>:` is a tree of folders of the model paths and, at any level, model
 * settings (`+materialized`): a key that is neither (a misspelt folder) would be ignored, so it is refused.
 */
function checkFolderConfig(root: string, modelPaths: string[], tree: Record<string, unknown>, path: string[], project: string) {
  for (const [key, value] of Object.entries(tree)) {
    const isFolder = !key.startsWith('+') && !!value && typeof value === 'object' && !Array.isArray(value);
    if (isFolder ? modelPaths.some((base) => existsSync(join(root, base, ...path, key))) : CONFIG_KEYS.model.includes(configKey(key))) {
      if (isFolder) checkFolderConfig(root, modelPaths, value as Record<string, unknown>, [...path, key], project);
      continue;
    }
    const folders = modelPaths.flatMap((base) =>
      existsSync(join(root, base, ...path))
        ? readdirSync(join(root, base, ...path), { withFileTypes: true })
            .filter((d) => d.isDirectory())
            .map((d) => d.name)
        : [],
    );
    const close = closestNames(key, isFolder ? folders : CONFIG_KEYS.model);
    throw new TaskError(
      'UNKNOWN_CONFIG',
      `${PROJECT_FILE}: models.${[project, ...path, key].join('.')} is ${isFolder ? `no folder of ${modelPaths.map((base) => [base, ...path].join('/')).join(' or ')}` : 'not a model config key this engine reads'}, so it would be ignored.`,
      {
        hint: `${close.length ? `Did you mean "${close[0]}"? ` : ''}${isFolder ? `Folders there: ${folders.join(', ') || '(none)'}` : `A model takes: ${CONFIG_KEYS.model.join(', ')}`}.`,
      },
    );
  }
}

/** Folder defaults: `models.staging.materialized` applies to sql/models/staging/** (nested folders too). */
function folderDefaults(settings: ProjectSettings, file: string): NodeConfig {
  const parts = pathWithin(settings.paths.models, file).slice(0, -1);
  let level: unknown = settings.folderConfig;
  const merged: NodeConfig = {};
  // The project's level first (settings for every model), then each folder down to the file's.
  for (const part of ['', ...parts]) {
    if (part) level = (level as Record<string, unknown> | undefined)?.[part];
    if (!level || typeof level !== 'object') break;
    const scalars = Object.entries(level).filter(([, v]) => typeof v !== 'object' || v === null || Array.isArray(v));
    mergeConfig(merged, Object.fromEntries(scalars));
  }
  return merged;
}

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
    const columnTypes = settings.seedColumnTypes[name] ?? {};
    add({
      id: `seed.${name}`,
      kind: 'seed',
      name,
      file,
      config: { column_types: columnTypes },
      dependsOn: [],
      checksum: '',
    });
    nodes.get(`seed.${name}`)!.checksum = seedChecksum(root, nodes.get(`seed.${name}`)!);
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
  const externalIds = new Set(external.map((t) => `${t.source}.${t.name}`));
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
    invocation: { id: run.invocationId ?? randomUUID(), startedAt: run.startedAt ?? new Date() },
  };
  loading.set(project, { externalIds, rendering: new Set() });
  for (const node of nodes.values()) prepareNode(project, node);
  loading.delete(project);
  for (const node of nodes.values()) {
    if (node.generic) {
      const tested = node.generic.source ? undefined : byName.get(node.generic.model);
      if (tested?.config.materialized === 'ephemeral') {
        throw new TaskError('INVALID_TEST', `${node.file}: ${node.generic.type} tests ${node.generic.model}, which is ephemeral: it has no relation to test.`, {
          hint: `Test the models that read it, or make it a view: config(materialized='view').`,
        });
      }
      if (node.generic.args) {
        const rendered = macroTest(project, node);
        node.dependsOn = rendered.refs;
        node.sql = rendered.sql;
      } else {
        node.dependsOn = genericDependencies(node, byName);
        node.sql = genericTestSql(node.generic, (name) => testedRelation(project, node, name));
      }
      // Loaded by something else: its changes cannot be seen here, so the test always runs.
      if (node.generic.source) node.untrackedSources = [node.generic.model];
    }
    if (node.kind !== 'seed')
      node.checksum = sha256(`${node.kind}\n${node.sql ?? ''}\n${JSON.stringify(node.generic ?? null)}\n${JSON.stringify(node.config)}`);
  }
  return project;
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
  if (!node.template || node.sql !== undefined || !state) return;
  if (state.rendering.has(node.id)) {
    const cycle = [...state.rendering].map((id) => project.nodes.get(id)!);
    throw new TaskError('REF_CYCLE', `ref() cycle: ${[...cycle.map((n) => n.name), node.name].join(' -> ')} (${cycle.map((n) => n.file).join(', ')}).`, {
      hint: 'A model cannot depend on itself, directly or through others: remove one of these ref() calls.',
    });
  }
  state.rendering.add(node.id);
  const rendered = renderNode(project, node, false);
  state.rendering.delete(node.id);
  checkConfigKeys(node, Object.keys(rendered.config), (key) => configLine(node.template!, key));
  node.sql = rendered.sql;
  mergeConfig(node.config, rendered.config);
  node.dependsOn = rendered.refs;
  const lake = rendered.sources.filter((s) => state.externalIds.has(s));
  if (lake.length) node.externalSources = lake;
  const untracked = rendered.sources.filter((s) => !state.externalIds.has(s));
  if (untracked.length) node.untrackedSources = untracked;
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

/** Config keys as dbt also spells them: `+materialized` in project files, `pre-hook`. */
const configKey = (key: string) => key.replace(/^\+/, '').replace(/-/g, '_');

/** Keys whose values add up from folder to YAML to config(), as dbt's tags and hooks do. */
const ADDITIVE = new Set(['tags', 'pre_hook', 'post_hook']);

/** Merges a config level into a node's: later levels win, tags and hooks accumulate. */
function mergeConfig(into: NodeConfig, level: Record<string, unknown>) {
  for (const [raw, value] of Object.entries(level)) {
    const key = configKey(raw);
    into[key] = ADDITIVE.has(key) ? [...[into[key] ?? []].flat(), ...[value ?? []].flat()] : value;
  }
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
  const schema = renderWith(project, node, false, (ctx) => callMacro(ctx, 'generate_schema_name', [custom, info], {})).sql.trim();
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

export const relationFor = (project: Project, node: PipelineNode) => relationName(schemaFor(project, node), node.name);

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
 * A hook's SQL (pre_hook, post_hook: Jinja with the node's `this`; on-run-start / on-run-end: with no
 * node), rendered when it runs.
 */
export function renderHook(project: Project, node: PipelineNode | undefined, template: string): string {
  const owner = node ?? { id: 'hook.project', kind: 'hook', name: 'project', file: 'sql/dbt_project.yml', config: {}, dependsOn: [], checksum: '' };
  return renderWith(project, owner, false, (ctx) => render(template, ctx)).sql;
}

type Rendered = { sql: string; config: NodeConfig; refs: string[]; sources: string[] };

/** A node's render context (ref, source, config collected as the template calls them) around `body`. */
function renderWith(project: Project, node: PipelineNode, incremental: boolean, body: (ctx: RenderContext) => string): Rendered {
  const refs = new Set<string>();
  const sources = new Set<string>();
  const ctes: PipelineNode[] = [];
  const config: NodeConfig = {};
  const sql = body({
    file: node.file,
    tenant: project.tenant,
    vars: project.vars,
    env: project.env,
    schema: project.settings.schema,
    invocation: project.invocation,
    macros: project.macros,
    thisRelation: relationFor(project, node),
    incremental,
    config,
    ref: (name) => {
      const target = project.byName.get(name);
      if (!target) throw unknownRef(node, name, [...project.byName.keys()]);
      refs.add(target.id);
      prepareNode(project, target);
      if (target.config.materialized !== 'ephemeral') return relationFor(project, target);
      if (!ctes.includes(target)) ctes.push(target);
      return quoteIdent(cteName(target));
    },
    source: (sourceName, table) => {
      sources.add(`${sourceName}.${table}`);
      return sourceRelation(project.sources, node.file, sourceName, table);
    },
  });
  return { sql: withCtes(sql, ctes), config, refs: [...refs].sort(), sources: [...sources].sort() };
}

/**
 * A `{% test %}` macro's query for one YAML entry: called as dbt calls it, with model (the relation),
 * column_name (when on a column) and the entry's arguments; an argument written `ref('x')` is that
 * relation. Its parents are the model and whatever it refs.
 */
function macroTest(project: Project, node: PipelineNode): Rendered {
  const g = node.generic!;
  return renderWith(project, node, false, (ctx) => {
    const args = Object.fromEntries(
      Object.entries(g.args ?? {}).map(([k, v]) => {
        const ref = typeof v === 'string' ? /^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(v) : null;
        return [k, ref ? ctx.ref(ref[1]) : v];
      }),
    );
    const model = g.source ? ctx.source(...(g.model.split('.') as [string, string])) : ctx.ref(g.model);
    return callMacro(ctx, `test_${g.type}`, [], { model, ...(g.column ? { column_name: g.column } : {}), ...args });
  });
}

function assertNodeName(name: string, file: string) {
  if (!isValidIdentifier(name)) {
    throw new TaskError('INVALID_NODE_NAME', `${file}: "${name}" is not a valid relation name (lowercase letters, digits and _, starting with a letter).`, {
      hint: 'Rename the file: its name becomes the table or view name.',
    });
  }
}

/** The config keys the engine reads, per node kind: any other is refused, not silently ignored. */
const CONFIG_KEYS: Record<'model' | 'seed' | 'snapshot' | 'test', readonly string[]> = {
  seed: ['column_types', 'tags'],
  model: ['materialized', 'schema', 'unique_key', 'incremental_strategy', 'on_schema_change', 'pre_hook', 'post_hook', 'tags'],
  snapshot: ['target_schema', 'unique_key', 'strategy', 'updated_at', 'check_cols', 'hard_deletes', 'invalidate_hard_deletes', 'pre_hook', 'post_hook', 'tags'],
  test: ['severity', 'tags'],
};

function checkConfigKeys(node: PipelineNode, keys: string[], lineOf: (key: string) => number | undefined, where: string = node.file) {
  const known = CONFIG_KEYS[node.kind as keyof typeof CONFIG_KEYS] ?? [];
  const key = keys.find((k) => !known.includes(configKey(k)));
  if (key === undefined) return;
  const line = lineOf(key);
  const close = closestNames(key, known);
  throw new TaskError(
    'UNKNOWN_CONFIG',
    `${where}${line ? `:${line}` : ''}: config key "${key}" is not one this engine reads for a ${node.kind}, so it would be ignored.`,
    {
      hint: `${close.length ? `Did you mean ${close.map((k) => `"${k}"`).join(' or ')}? ` : ''}A ${node.kind} takes: ${known.join(', ')}.`,
    },
  );
}

/** The line of `key=` inside a `config(…)` call of a template. */
function configLine(template: string, key: string): number | undefined {
  const m = new RegExp(`\\bconfig\\s*\\([^)]*?\\b${key}\\s*=`).exec(template);
  return m ? template.slice(0, m.index + m[0].length).split('\n').length : undefined;
}

const MATERIALIZATIONS = ['view', 'table', 'incremental', 'ephemeral', 'materialized_view'];
const STRATEGIES = ['append', 'delete+insert', 'merge'];
const SCHEMA_CHANGES = ['fail', 'ignore', 'append_new_columns', 'sync_all_columns'];

function validateModelConfig(node: PipelineNode) {
  const c = node.config;
  const refuse = (what: string, hint: string) => {
    throw new TaskError('INVALID_CONFIG', `${node.file}: ${what}`, { hint });
  };
  const m = c.materialized ?? 'view';
  if (!MATERIALIZATIONS.includes(m)) refuse(`materialized='${m}' is not supported.`, `Use ${MATERIALIZATIONS.join(', ')}.`);
  c.materialized = m;
  if (c.incremental_strategy !== undefined && !STRATEGIES.includes(c.incremental_strategy))
    refuse(`incremental_strategy='${c.incremental_strategy}' is not supported.`, `Use ${STRATEGIES.join(', ')}.`);
  const keyed = c.incremental_strategy === 'delete+insert' || c.incremental_strategy === 'merge';
  if (m === 'incremental' && keyed && ![c.unique_key ?? []].flat().length)
    refuse(
      `incremental_strategy='${c.incremental_strategy}' needs a unique_key: which rows of the table a new row replaces.`,
      "Add unique_key='<column>' (or a list).",
    );
  if (c.on_schema_change !== undefined && !SCHEMA_CHANGES.includes(c.on_schema_change))
    refuse(`on_schema_change='${c.on_schema_change}' is not supported.`, `Use ${SCHEMA_CHANGES.join(', ')}.`);
  for (const key of ['pre_hook', 'post_hook', 'tags'] as const) {
    const bad = [c[key] ?? []].flat().find((v) => typeof v !== 'string');
    if (bad !== undefined)
      refuse(
        `${key} holds ${JSON.stringify(bad)}; it takes text (or a list of texts).`,
        key === 'tags' ? "tags=['daily', 'finance']" : `${key}="grant select on {{ this }} to reporting"`,
      );
  }
}

/** dbt's spellings of a snapshot's settings: invalidate_hard_deletes=True is hard_deletes='invalidate'; target_schema a schema name. */
function validateSnapshotConfig(node: PipelineNode) {
  const c = node.config;
  if (c.invalidate_hard_deletes === true) c.hard_deletes = 'invalidate';
  if (c.target_schema !== undefined && !isValidIdentifier(String(c.target_schema))) {
    throw new TaskError(
      'INVALID_CONFIG',
      `${node.file}: target_schema=${JSON.stringify(c.target_schema)} is not a schema name this engine creates (lowercase letters, digits and _).`,
      {
        hint: "config(target_schema='snapshots')",
      },
    );
  }
}

/** A singular test's config(severity=…): warn or error in any case, as dbt; anything else would count as error. */
function validateTestConfig(node: PipelineNode) {
  const severity = parseSeverity(node.config.severity);
  if (!severity) {
    throw new TaskError('INVALID_CONFIG', `${node.file}: severity=${JSON.stringify(node.config.severity)} is not supported; use warn or error.`, {
      hint: "config(severity='warn') reports failing rows without failing the run; error (the default) fails it.",
    });
  }
  node.config.severity = severity;
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
