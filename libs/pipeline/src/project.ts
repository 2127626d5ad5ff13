import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { fdir } from 'fdir';
import { TaskError, io, isValidIdentifier } from '@mt/cli';
import { loadExternalTables } from '@mt/lake';
import { closestNames, readYamlFile, tenantSeedFiles, type Tenant } from '@mt/tenant-config';
import { callLine, relationName, render } from './render.ts';
import { fileDigest } from './file-digest.ts';
import { genericTestSql, genericTestsFromYaml, parseSeverity } from './yaml-tests.ts';
import { checkYaml, modelYamlSchema, projectSchema } from './yaml-schemas.ts';
import type { NodeConfig, PipelineNode, Project, ProjectSettings, YamlSource } from './types.ts';

const MATERIALIZATIONS = new Set(['view', 'table', 'incremental']);

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Files of one kind under a folder (none when it does not exist), sorted, as paths relative to the
 * workspace root. Dot-files count; links are followed, into folders too, and keep their own path.
 */
function filesUnder(root: string, dir: string, ext: string): string[] {
  return new fdir()
    .withRelativePaths()
    .withSymlinks({ resolvePaths: false })
    .filter((path) => path.endsWith(ext))
    .crawl(join(root, dir))
    .sync()
    .sort()
    .map((f) => join(dir, f));
}

export function loadSettings(root: string): ProjectSettings {
  const file = 'sql/project.yml';
  const raw = checkYaml(projectSchema, existsSync(join(root, file)) ? readYamlFile(root, file) : {}, file, 'INVALID_PROJECT');
  checkFolderConfig(root, raw.models ?? {}, []);
  return {
    name: raw.name ?? 'project',
    schema: raw.schema ?? 'public',
    snapshotSchema: raw.snapshot_schema ?? 'snapshots',
    folderConfig: (raw.models ?? {}) as ProjectSettings['folderConfig'],
    seedColumnTypes: raw.seeds?.column_types ?? {},
    vars: raw.vars ?? {},
  };
}

/**
 * sql/project.yml `models:` is a tree of folders of sql/models and, at any level, model config keys:
 * a key that is neither (a misspelt folder, `tags:`) would be ignored, so it is refused.
 */
function checkFolderConfig(root: string, tree: Record<string, unknown>, path: string[]) {
  for (const [key, value] of Object.entries(tree)) {
    const isFolder = !!value && typeof value === 'object' && !Array.isArray(value);
    if (isFolder ? existsSync(join(root, 'sql/models', ...path, key)) : CONFIG_KEYS.model.includes(key)) {
      if (isFolder) checkFolderConfig(root, value as Record<string, unknown>, [...path, key]);
      continue;
    }
    const dir = join(root, 'sql/models', ...path);
    const folders = existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
      : [];
    const close = closestNames(key, isFolder ? folders : CONFIG_KEYS.model);
    throw new TaskError(
      'UNKNOWN_CONFIG',
      `sql/project.yml: models.${[...path, key].join('.')} is ${isFolder ? `no folder of sql/models${path.length ? `/${path.join('/')}` : ''}` : 'not a model config key this engine reads'}, so it would be ignored.`,
      {
        hint: `${close.length ? `Did you mean "${close[0]}"? ` : ''}${isFolder ? `Folders there: ${folders.join(', ') || '(none)'}` : `A model takes: ${CONFIG_KEYS.model.join(', ')}`}.`,
      },
    );
  }
}

/** Folder defaults: `models.staging.materialized` applies to sql/models/staging/** (nested folders too). */
function folderDefaults(settings: ProjectSettings, file: string): NodeConfig {
  const parts = relative('sql/models', file).split(sep).slice(0, -1);
  let level: unknown = settings.folderConfig;
  const merged: NodeConfig = {};
  for (const part of parts) {
    level = (level as Record<string, unknown> | undefined)?.[part];
    if (!level || typeof level !== 'object') break;
    for (const [k, v] of Object.entries(level)) if (typeof v !== 'object' || Array.isArray(v)) merged[k] = v;
  }
  return merged;
}

/**
 * Reads sql/ and seeds/ for one tenant: every node with its rendered SQL, config and dependencies.
 * Rendering happens here once (with is_incremental() false) because ref() calls define the DAG.
 */
export function loadProject(root: string, tenant: Tenant, env: NodeJS.ProcessEnv = io().env): Project {
  const settings = loadSettings(root);
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
      // The file is read when it is loaded (streamed); here only its digest, remembered between runs.
      checksum: sha256(fileDigest(root, file) + JSON.stringify(columnTypes)),
    });
  }

  const templated: Array<{ kind: 'model' | 'snapshot' | 'test'; file: string }> = [
    ...filesUnder(root, 'sql/models', '.sql').map((file) => ({ kind: 'model' as const, file })),
    ...filesUnder(root, 'sql/snapshots', '.sql').map((file) => ({ kind: 'snapshot' as const, file })),
    ...filesUnder(root, 'sql/tests', '.sql').map((file) => ({ kind: 'test' as const, file })),
  ];
  for (const { kind, file } of templated) {
    const name = basename(file, '.sql');
    assertNodeName(name, file);
    const base = kind === 'model' ? folderDefaults(settings, file) : kind === 'test' ? { severity: 'error' as const } : {};
    add({ id: `${kind}.${name}`, kind, name, file, template: readFileSync(join(root, file), 'utf8'), config: base, dependsOn: [], checksum: '' });
  }

  // YAML beside the models: per-model config, generic tests, sources.
  const sources = new Map<string, YamlSource>();
  for (const file of filesUnder(root, 'sql/models', '.yml')) {
    const doc = checkYaml(modelYamlSchema, readYamlFile(root, file), file, 'INVALID_MODEL_YAML');
    for (const entry of doc.models ?? []) {
      const model = nodes.get(`model.${entry.name}`);
      if (!model) throw new TaskError('UNKNOWN_MODEL', `${file}: describes model "${entry.name}", but there is no sql/models/**/${entry.name}.sql.`);
      checkConfigKeys(model, Object.keys(entry.config ?? {}), () => undefined, `${file}, model ${entry.name}`);
      Object.assign(model.config, entry.config ?? {});
    }
    for (const src of doc.sources ?? []) sources.set(src.name, src);
    // Generic test names are made up, so they are numbered past every test already named (singular
    // tests, other YAML files) rather than refused, as dbt makes them unique.
    for (const test of genericTestsFromYaml(doc, file, (name) => nodes.has(`test.${name}`))) add(test);
  }

  // sql/sources: the data lake's external tables, read by models as source('<source>', '<table>').
  const external = loadExternalTables(root, tenant);
  for (const t of external) {
    const entry = sources.get(t.source) ?? { name: t.source, schema: t.schema, tables: [] };
    entry.tables = [...(entry.tables ?? []).filter((x) => x.name !== t.name), { name: t.name }];
    sources.set(t.source, entry);
  }
  const externalIds = new Set(external.map((t) => `${t.source}.${t.name}`));
  const project: Project = { root, tenant, settings, env, nodes, byName, sources, external };
  for (const node of nodes.values()) {
    if (!node.template) continue;
    const rendered = renderNode(project, node, false);
    checkConfigKeys(node, Object.keys(rendered.config), (key) => configLine(node.template!, key));
    node.sql = rendered.sql;
    Object.assign(node.config, rendered.config);
    node.dependsOn = rendered.refs;
    const lake = rendered.sources.filter((s) => externalIds.has(s));
    if (lake.length) node.externalSources = lake;
    const untracked = rendered.sources.filter((s) => !externalIds.has(s));
    if (untracked.length) node.untrackedSources = untracked;
    if (node.kind === 'model') validateModelConfig(node);
    if (node.kind === 'test') validateTestConfig(node);
  }
  for (const node of nodes.values()) {
    if (node.generic) {
      node.dependsOn = genericDependencies(node, byName);
      node.sql = genericTestSql(node.generic, (name) => relationFor(project, byName.get(name)!));
    }
    if (node.kind !== 'seed')
      node.checksum = sha256(`${node.kind}\n${node.sql ?? ''}\n${JSON.stringify(node.generic ?? null)}\n${JSON.stringify(node.config)}`);
  }
  return project;
}

export const relationFor = (project: Project, node: PipelineNode) =>
  relationName(node.kind === 'snapshot' ? project.settings.snapshotSchema : project.settings.schema, node.name);

/**
 * Renders a node's Jinja for the project's tenant: at load time with is_incremental() false (the
 * ref() calls found are the node's parents), and again before an incremental build with true.
 */
export function renderNode(project: Project, node: PipelineNode, incremental: boolean): { sql: string; config: NodeConfig; refs: string[]; sources: string[] } {
  const refs = new Set<string>();
  const sources = new Set<string>();
  const config: NodeConfig = {};
  const sql = render(node.template!, {
    file: node.file,
    tenant: project.tenant,
    vars: { ...project.settings.vars, ...project.tenant.vars },
    env: project.env,
    thisRelation: relationFor(project, node),
    incremental,
    config,
    ref: (name) => {
      const target = project.byName.get(name);
      if (!target) throw unknownRef(node, name, [...project.byName.keys()]);
      refs.add(target.id);
      return relationFor(project, target);
    },
    source: (sourceName, table) => {
      sources.add(`${sourceName}.${table}`);
      return sourceRelation(project.sources, node.file, sourceName, table);
    },
  });
  return { sql, config, refs: [...refs].sort(), sources: [...sources].sort() };
}

function assertNodeName(name: string, file: string) {
  if (!isValidIdentifier(name)) {
    throw new TaskError('INVALID_NODE_NAME', `${file}: "${name}" is not a valid relation name (lowercase letters, digits and _, starting with a letter).`, {
      hint: 'Rename the file: its name becomes the table or view name.',
    });
  }
}

/** The config keys the engine reads, per node kind: any other is refused, not silently ignored. */
const CONFIG_KEYS: Record<'model' | 'snapshot' | 'test', readonly string[]> = {
  model: ['materialized', 'unique_key', 'on_schema_change'],
  snapshot: ['unique_key', 'strategy', 'updated_at', 'check_cols', 'hard_deletes'],
  test: ['severity'],
};

function checkConfigKeys(node: PipelineNode, keys: string[], lineOf: (key: string) => number | undefined, where: string = node.file) {
  const known = CONFIG_KEYS[node.kind as keyof typeof CONFIG_KEYS] ?? [];
  const key = keys.find((k) => !known.includes(k));
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

function validateModelConfig(node: PipelineNode) {
  const m = node.config.materialized ?? 'view';
  if (!MATERIALIZATIONS.has(m)) {
    throw new TaskError('INVALID_CONFIG', `${node.file}: materialized='${m}' is not supported; use view, table or incremental.`);
  }
  node.config.materialized = m;
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

function genericDependencies(node: PipelineNode, byName: Map<string, PipelineNode>): string[] {
  const g = node.generic!;
  const deps = [`model.${g.model}`];
  if (g.type === 'relationships') {
    const target = byName.get(g.to!);
    if (!target) throw new TaskError('UNKNOWN_REF', `${node.file}: relationships test on ${g.model}.${g.column} points to "${g.to}", which does not exist.`);
    deps.push(target.id);
  }
  return deps;
}
