import { existsSync, readdirSync } from 'node:fs';
import { basename, join, posix, relative } from 'node:path';
import { readYamlFile } from './yaml.ts';
import type { Tenant } from './tenant.ts';

/** The pipeline's project file (@mt/pipeline reads all of it; seed-paths is read here too). */
export const DBT_PROJECT_FILE = 'sql/dbt_project.yml';

/** Where `make generate-data` writes a tenant's seeds (git-ignored): tenants/<name>/seeds/generated/. */
export const GENERATED_SEEDS = 'generated';

export const tenantSeedsDir = (root: string, tenant: Tenant) => relative(root, join(tenant.dir, 'seeds'));

/**
 * The project's seed folders, relative to the workspace: sql/dbt_project.yml's `seed-paths` (relative
 * to sql/, as dbt has them: `../seeds` is the workspace's seeds/); when it names none, dbt's sql/seeds if
 * there is one (a dbt project copied in whole), else the workspace's seeds/.
 * @mt/pipeline checks the key (projectPaths) and resolves it the same way; its test asserts both agree.
 */
export function sharedSeedDirs(root: string): string[] {
  const project = existsSync(join(root, DBT_PROJECT_FILE)) ? (readYamlFile(root, DBT_PROJECT_FILE) as Record<string, unknown> | null) : null;
  const paths = project?.['seed-paths'];
  if (!Array.isArray(paths)) return [existsSync(join(root, 'sql/seeds')) ? 'sql/seeds' : 'seeds'];
  return paths.map((p) => posix.join('sql', String(p)).replace(/\/+$/, ''));
}

/**
 * The seed files a tenant loads, by name, relative to the workspace: the project's seed folders
 * (sharedSeedDirs), overridden file by file by tenants/<name>/seeds/**.csv, and those by the generated
 * ones (tenants/<name>/seeds/generated/).
 */
export function tenantSeedFiles(root: string, tenant: Tenant): Map<string, string> {
  const own = tenantSeedsDir(root, tenant);
  const generated = join(own, GENERATED_SEEDS);
  const layers = [
    ...sharedSeedDirs(root).map((dir) => csvFiles(root, dir)),
    csvFiles(root, own).filter((f) => !f.startsWith(`${generated}/`)),
    csvFiles(root, generated),
  ];
  const files = new Map<string, string>();
  for (const layer of layers) for (const f of layer) files.set(basename(f, '.csv'), f);
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function csvFiles(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => join(dir, f));
}
