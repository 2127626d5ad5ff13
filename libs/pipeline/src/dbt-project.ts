/**
 * sql/dbt_project.yml, the project file in dbt's own format: `name`, `vars`, `on-run-start/end`, and the
 * `models:` / `seeds:` / `snapshots:` / `tests:` config trees under the project's name, with dbt's `+`
 * prefix. Keys that only mean something to dbt itself (`profile`, `target-path`, …) are accepted and
 * named once as ignored; anything else unknown is an error naming the key.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { log, TaskError } from '@mt/cli';
import { closestNames, readYamlFile, schemaProblems } from '@mt/tenant-config';

export const PROJECT_FILE = 'sql/dbt_project.yml';

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

/** The folders this engine reads, relative to sql/: dbt's path keys may name them, not others (yet). */
const PATHS: Record<string, string> = {
  'model-paths': 'models',
  'snapshot-paths': 'snapshots',
  'test-paths': 'tests',
  'macro-paths': 'macros',
  'analysis-paths': 'analyses',
  // The workspace's seeds/ (tenants/<name>/seeds/ override them).
  'seed-paths': '../seeds',
};

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
  ...Object.fromEntries(Object.keys(PATHS).map((k) => [k, v.optional(v.array(v.string()))])),
});

export type DbtProject = v.InferOutput<typeof schema>;

const reported = new Set<string>();

const normalize = (path: string) => path.replace(/^\.\//, '').replace(/\/+$/, '');

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
  for (const [key, folder] of Object.entries(PATHS)) {
    const paths = raw[key];
    if (Array.isArray(paths) && (paths.length !== 1 || normalize(String(paths[0])) !== folder))
      problems.push(`"${key}" must be ["${folder}"] (sql/${folder}); other folders are not read here`);
  }
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
