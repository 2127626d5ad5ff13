/**
 * sql/dbt_project.yml, the project file in dbt's own format: `name`, `vars`, `on-run-start/end`, and the
 * `models:` / `seeds:` / `snapshots:` / `tests:` config trees under the project's name, with dbt's `+`
 * prefix. Keys that only mean something to dbt itself (`profile`, `target-path`, …) are accepted and
 * named once as ignored; anything else unknown is an error naming the key.
 */
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import * as v from 'valibot';
import { log, TaskError } from '@mt/cli';
import { closestNames, DBT_PROJECT_FILE, readYamlFile, schemaProblems, sharedSeedDirs } from '@mt/tenant-config';

export const PROJECT_FILE = DBT_PROJECT_FILE;

/** A path key's folder as the workspace names it: `models` → `sql/models`, `../seeds` → `seeds`. */
const underSql = (path: string) => posix.join('sql', path).replace(/\/+$/, '');

/** dbt's keys that decide nothing here: the profile (each tenant is a target), dbt's own folders. */
const IGNORED = [
  'version',
  'config-version',
  'profile',
  'require-dbt-version',
  'target-path',
  'log-path',
  'packages-install-path',
  'clean-targets',
  'docs-paths',
  'asset-paths',
  'quoting',
  'dispatch',
  'query-comment',
  'flags',
];

/** dbt's folder keys and their defaults, relative to sql/ (dbt_project.yml's folder), as dbt has them. */
export const PATH_KEYS = {
  'model-paths': 'models',
  'seed-paths': 'seeds',
  'snapshot-paths': 'snapshots',
  'test-paths': 'tests',
  'macro-paths': 'macros',
  'analysis-paths': 'analyses',
} as const;
type PathKey = keyof typeof PATH_KEYS;

/** The folders of each kind, relative to the workspace (`sql/models`, `seeds`), in the order listed. */
export type ProjectPaths = Record<(typeof PATH_KEYS)[PathKey], string[]>;

/** Folders of sql/ that belong to other parts of the workspace: no dbt folder may hold them. */
const NOT_DBT = ['sql/aurora', 'sql/sources', 'sql/project.json', 'sql/dbt_project.yml'];

/** Each analysis is an Nx target (tools/nx-plugin) and a make target: they are found in this folder only. */
const ANALYSES = 'sql/analyses';

/** A path key's folders; anything else is the schema's problem, so the default stands in meanwhile. */
const listed = (value: unknown) => (Array.isArray(value) && value.every((p) => typeof p === 'string') ? value : undefined);

const inside = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);

const object = v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'must be a mapping');
const statements = v.optional(v.union([v.string(), v.array(v.string())]));
const schema = v.looseObject({
  name: v.pipe(v.string('must be the project name'), v.regex(/^[a-z][a-z0-9_]*$/, 'must be a lowercase identifier')),
  vars: v.optional(object),
  models: v.optional(object),
  seeds: v.optional(object),
  snapshots: v.optional(object),
  tests: v.optional(object),
  data_tests: v.optional(object),
  'on-run-start': statements,
  'on-run-end': statements,
  ...Object.fromEntries(Object.keys(PATH_KEYS).map((k) => [k, v.optional(v.array(v.string('must be a list of folders')))])),
});

export type DbtProject = v.InferOutput<typeof schema>;

const reported = new Set<string>();

/** The project file, checked: every problem at once, ignored keys named once per process. */
export function readDbtProject(root: string): DbtProject {
  if (existsSync(join(root, 'sql/project.yml'))) {
    throw new TaskError('INVALID_PROJECT', "sql/project.yml is the old project file: the project is now sql/dbt_project.yml, in dbt's format.", {
      hint: 'Move its keys: name and vars as they are; models.<folder>.<key> → models.<name>.<folder>.+<key>; seeds.column_types.<seed> → seeds.<name>.<seed>.+column_types; snapshot_schema → snapshots.<name>.+target_schema (schema: public is the default). Then delete sql/project.yml.',
    });
  }
  if (!existsSync(join(root, PROJECT_FILE))) return { name: 'project' };
  const doc = readYamlFile(root, PROJECT_FILE) ?? {};
  const problems = schemaProblems(schema, doc);
  const raw = doc as Record<string, unknown>;
  const known = [...Object.keys(schema.entries), ...IGNORED];
  for (const key of Object.keys(raw).filter((k) => !known.includes(k))) {
    const close = closestNames(key, known);
    problems.push(`unknown key "${key}"${close.length ? ` (did you mean "${close[0]}"?)` : ''}`);
  }
  problems.push(...pathProblems(doc as DbtProject));
  if (problems.length) {
    throw new TaskError(
      'INVALID_PROJECT',
      problems.length === 1 ? `${PROJECT_FILE}: ${problems[0]}.` : `${PROJECT_FILE} has ${problems.length} problems:\n  - ${problems.join('\n  - ')}`,
      {
        hint: `dbt_project.yml keys read here: ${Object.keys(schema.entries).join(', ')}; ignored: ${IGNORED.join(', ')}.`,
      },
    );
  }
  const ignored = Object.keys(raw).filter((k) => IGNORED.includes(k) && k !== 'version' && k !== 'config-version');
  if (ignored.length && !reported.has(root)) {
    reported.add(root);
    log(
      `${PROJECT_FILE}: ${ignored.join(', ')} ${ignored.length === 1 ? 'does' : 'do'} not apply here and ${ignored.length === 1 ? 'is' : 'are'} ignored (each tenant is a target: tenants/<name>/tenant.json).`,
    );
  }
  return doc as DbtProject;
}

/**
 * A config tree of dbt_project.yml (`models:`, `seeds:`, …) as this engine reads it: the level under the
 * project's name, with the `+key` configs written at the top merged in. Another top-level name would be
 * a package's: refused, as packages are built in.
 */
export function projectLevel(tree: Record<string, unknown> | undefined, name: string, section: string): Record<string, unknown> {
  const level: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree ?? {})) {
    if (key.startsWith('+')) level[key] = value;
    else if (key === name && value && typeof value === 'object') Object.assign(level, value);
    else {
      throw new TaskError('UNKNOWN_CONFIG', `${PROJECT_FILE}: ${section}.${key} is not this project (${name}), so its settings would apply to nothing.`, {
        hint: `Nest them under the project's name: ${section}: { ${name}: { … } }, with + before each setting (+materialized: table).`,
      });
    }
  }
  return level;
}

/**
 * Where each kind of file is, from dbt's path keys: folders of sql/ (several per key, as in dbt), and for
 * seeds also the workspace's own seeds/ (`../seeds`).
 */
export function projectPaths(root: string, project: DbtProject): ProjectPaths {
  const paths = Object.fromEntries(
    Object.entries(PATH_KEYS).map(([key, folder]) => [folder, (listed(project[key as PathKey]) ?? [folder]).map(underSql)]),
  ) as ProjectPaths;
  // Seeds are where @mt/tenant-config finds them for every tenant (and the lake): one rule for both.
  return { ...paths, seeds: sharedSeedDirs(root) };
}

/** Path keys that point outside sql/ (seeds: or the workspace's seeds/), at the workspace's other folders, or at each other's. */
function pathProblems(project: DbtProject): string[] {
  const problems: string[] = [];
  const claimed: Array<[string, string]> = [];
  for (const [key, folder] of Object.entries(PATH_KEYS)) {
    // Seeds' default is @mt/tenant-config's to find (sql/seeds or seeds/): nothing to check.
    for (const written of listed(project[key as PathKey]) ?? (key === 'seed-paths' ? [] : [folder])) {
      const path = underSql(written);
      const shown = `"${key}": ${written}`;
      const other = NOT_DBT.find((x) => inside(x, path) || inside(path, x));
      const overlap = claimed.find(([, x]) => inside(x, path) || inside(path, x));
      if (key === 'analysis-paths' && path !== ANALYSES)
        problems.push(`${shown}: analyses stay in sql/analyses here, where each file is a target of every tenant (make analysis-<name>)`);
      else if (path === 'sql' || !(inside(path, 'sql') || (key === 'seed-paths' && inside(path, 'seeds'))))
        problems.push(
          `${shown} is ${path === 'sql' ? 'sql/ itself' : 'outside sql/'}; each kind of file needs a folder of its own in sql/${key === 'seed-paths' ? ' (or ../seeds)' : ''}`,
        );
      else if (other) problems.push(`${shown} would take in ${other}, which is not part of the dbt project`);
      else if (overlap) problems.push(`${shown} overlaps "${overlap[0]}" (${overlap[1]}): a folder holds one kind of file`);
      else claimed.push([key, path]);
    }
  }
  return problems;
}

/** A file's path under the folder of `bases` that holds it (`['marts', 'x.sql']`), as dbt's fqn and folder config see it. */
export function pathWithin(bases: string[], file: string): string[] {
  const base = bases.find((b) => file.startsWith(`${b}/`));
  return base ? file.slice(base.length + 1).split('/') : [file.split('/').at(-1)!];
}
