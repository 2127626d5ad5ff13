/**
 * A project's settings and its nodes' config: sql/dbt_project.yml read into settings (packages, path
 * keys, folder config, seed column types, test defaults), and the config levels a node gets — folder,
 * YAML, config() — merged and checked as dbt's: keys this engine reads, keys it accepts but that change
 * nothing here (named once), anything else refused with the close match.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TaskError, isValidIdentifier, log } from '@mt/cli';
import { closestNames, readYamlFile } from '@mt/tenant-config';
import { filesUnder } from './files.ts';
import { parseSeverity } from './yaml-tests.ts';
import { PROJECT_FILE, pathWithin, projectLevel, projectPaths, readDbtProject } from './dbt-project.ts';
import type { NodeConfig, PipelineNode, ProjectSettings } from './types.ts';

/** dbt packages this engine has built in (dbt_external_tables is sql/sources). */
export const BUILT_IN_PACKAGES = ['dbt-labs/dbt_utils', 'dbt-labs/dbt_external_tables'];

/** How packages.yml names a package: `package:` (hub), else `git:` or `local:`. */
export const packageName = (entry: Record<string, unknown>): string => String(entry.package ?? entry.git ?? entry.local ?? JSON.stringify(entry));

/**
 * sql/packages.yml (or dependencies.yml): packages cannot be downloaded here, so one that is not built
 * in is an error naming what is, instead of a failure at its first macro.
 */
function checkPackages(root: string) {
  for (const file of ['sql/packages.yml', 'sql/dependencies.yml']) {
    if (!existsSync(join(root, file))) continue;
    const doc = readYamlFile(root, file) as { packages?: Array<Record<string, unknown>> } | null;
    for (const entry of doc?.packages ?? []) {
      const name = packageName(entry);
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
  const key = Object.keys(level).find((k) => !known.includes(configKey(k)) && !ignoreConfig(k, PROJECT_FILE));
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
    // `+quote_columns: false` and the like, for every seed.
    if (name.startsWith('+') && ignoreConfig(name, PROJECT_FILE)) continue;
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
    if (
      isFolder
        ? modelPaths.some((base) => existsSync(join(root, base, ...path, key)))
        : CONFIG_KEYS.model.includes(configKey(key)) || ignoreConfig(key, PROJECT_FILE)
    ) {
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
export function folderDefaults(settings: ProjectSettings, file: string): NodeConfig {
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

/** Config keys as dbt also spells them: `+materialized` in project files, `pre-hook`. */
export const configKey = (key: string) => key.replace(/^\+/, '').replace(/-/g, '_');

/** Keys whose values add up from folder to YAML to config(), as dbt's tags and hooks do. */
const ADDITIVE = new Set(['tags', 'pre_hook', 'post_hook']);

/** Merges a config level into a node's: later levels win, tags and hooks accumulate. */
export function mergeConfig(into: NodeConfig, level: Record<string, unknown>) {
  for (const [raw, value] of Object.entries(level)) {
    const key = configKey(raw);
    into[key] = ADDITIVE.has(key) ? [...[into[key] ?? []].flat(), ...[value ?? []].flat()] : value;
  }
}

/** The config keys the engine reads, per node kind: any other is refused, not silently ignored. */
const CONFIG_KEYS: Record<'model' | 'seed' | 'snapshot' | 'test', readonly string[]> = {
  seed: ['column_types', 'tags', 'enabled', 'alias'],
  model: ['materialized', 'schema', 'alias', 'unique_key', 'incremental_strategy', 'on_schema_change', 'pre_hook', 'post_hook', 'tags', 'enabled'],
  snapshot: [
    'target_schema',
    'unique_key',
    'strategy',
    'updated_at',
    'check_cols',
    'hard_deletes',
    'invalidate_hard_deletes',
    'pre_hook',
    'post_hook',
    'tags',
    'enabled',
    'alias',
  ],
  test: ['severity', 'tags', 'enabled'],
};

/**
 * dbt config keys that change nothing here — documentation, ownership, grants to other roles (each
 * tenant's roles are this tool's), contracts: accepted and named once, so a dbt project keeps them.
 */
const IGNORED_CONFIG = ['meta', 'docs', 'persist_docs', 'grants', 'contract', 'group', 'access', 'quote_columns', 'quoting', 'labels'];
const ignoredNamed = new Set<string>();

function ignoreConfig(key: string, where: string): boolean {
  if (!IGNORED_CONFIG.includes(configKey(key))) return false;
  if (!ignoredNamed.has(configKey(key))) {
    ignoredNamed.add(configKey(key));
    log(`${where}: config ${configKey(key)} does not apply here and is ignored (dbt documentation, grants and contracts have no effect on this engine).`);
  }
  return true;
}

export function checkConfigKeys(node: PipelineNode, keys: string[], lineOf: (key: string) => number | undefined, where: string = node.file) {
  const known = CONFIG_KEYS[node.kind as keyof typeof CONFIG_KEYS] ?? [];
  const key = keys.find((k) => !known.includes(configKey(k)) && !ignoreConfig(k, where));
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
export function configLine(template: string, key: string): number | undefined {
  const m = new RegExp(`\\bconfig\\s*\\([^)]*?\\b${key}\\s*=`).exec(template);
  return m ? template.slice(0, m.index + m[0].length).split('\n').length : undefined;
}

const MATERIALIZATIONS = ['view', 'table', 'incremental', 'ephemeral', 'materialized_view'];
const STRATEGIES = ['append', 'delete+insert', 'merge'];
const SCHEMA_CHANGES = ['fail', 'ignore', 'append_new_columns', 'sync_all_columns'];

export function validateModelConfig(node: PipelineNode) {
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
export function validateSnapshotConfig(node: PipelineNode) {
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
export function validateTestConfig(node: PipelineNode) {
  const severity = parseSeverity(node.config.severity);
  if (!severity) {
    throw new TaskError('INVALID_CONFIG', `${node.file}: severity=${JSON.stringify(node.config.severity)} is not supported; use warn or error.`, {
      hint: "config(severity='warn') reports failing rows without failing the run; error (the default) fails it.",
    });
  }
  node.config.severity = severity;
}
