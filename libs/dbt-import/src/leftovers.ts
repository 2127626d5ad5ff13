/** What lies at the top of SRC besides the project: dbt's own output and installs, and anything else. */
import { readdirSync } from 'node:fs';
import type { DbtSource } from './source.ts';
import type { Left } from './types.ts';

const PACKAGES = 'installed packages: dbt_utils and dbt_external_tables are built in here; copy the macros you use of others into sql/macros';

/** dbt's own files and folders, skipped with the reason. */
const DBT_OWN: Record<string, string> = {
  target: "dbt's build output: not copied (this workspace compiles into dist/compiled/<tenant>/: make dbt-compile)",
  logs: "dbt's logs: not copied (each task prints its own)",
  dbt_packages: PACKAGES,
  dbt_modules: PACKAGES,
  'package-lock.yml': "dbt's lock of packages.yml: not needed (nothing is downloaded here)",
  '.user.yml': "dbt's anonymous user id: not needed",
};

/** Read by the import itself: the project file, the packages and the profiles (whose secrets stay out). */
const READ = ['dbt_project.yml', 'packages.yml', 'dependencies.yml', 'profiles.yml'];

export function leftAtTop(source: DbtSource): Left[] {
  const used = new Set([...READ, ...source.folders.map((f) => f.path.split('/')[0]), ...source.seedFolders.map((f) => f.split('/')[0])]);
  return readdirSync(source.dir, { withFileTypes: true })
    .filter((entry) => !used.has(entry.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((entry) => ({
      what: `${source.shown.replace(/\/+$/, '')}/${entry.name}${entry.isDirectory() ? '/' : ''}`,
      todo: DBT_OWN[entry.name] ?? 'not part of the dbt project: not copied (copy it yourself if this workspace needs it)',
    }));
}
