/**
 * `make import-dbt SRC=<dir>`: a dbt project copied into this workspace so it builds here unchanged.
 * Everything is built and checked in a staging folder first; only then is the previous project moved
 * aside and the new one moved in, so a refused import leaves the workspace exactly as it was.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { io, TaskError } from '@mt/cli';
import { filesUnder } from '@mt/pipeline';
import { listTenantNames, readYamlFile } from '@mt/tenant-config';
import { checkProjectFile, loadFor, type Loaded } from './check.ts';
import { backupFolder, currentProject, makeStaging, moveAll, BACKUP_DIR } from './place.ts';
import { findProfiles, readTargets, settingsLeft } from './profiles.ts';
import { cutExternalBlocks, keepBuiltInPackages, pointSeedsHere } from './project-files.ts';
import { leftAtTop, readSource, shownIn, type DbtSource } from './source.ts';
import { copyTenants, stageTenants } from './tenants.ts';
import type { ImportedTenant, Left } from './types.ts';

export interface ImportOptions {
  /** The dbt project's folder, as the user typed it. */
  src: string;
  /** Move the workspace's current project aside (and replace tenant.json files) instead of refusing. */
  force?: boolean;
  /** profiles.yml, or the folder holding it. */
  profiles?: string;
}

export interface ImportResult {
  src: string;
  project: string;
  /** What went where: `sql/models` → `12 files`. */
  copied: Array<{ path: string; detail: string }>;
  profiles: string | undefined;
  tenants: ImportedTenant[];
  loaded: Loaded[];
  left: Left[];
  /** Where the previous project went (relative to the workspace). */
  backup: string | undefined;
  /** The tenant to try first. */
  next: string | undefined;
}

export function importDbtProject(root: string, options: ImportOptions, env: NodeJS.ProcessEnv = io().env, cwd = io().cwd): ImportResult {
  const source = readSource(options.src, cwd, env);
  const current = currentProject(root);
  if (current.length && !options.force) throw projectExists(root, current, source.shown);
  const profiles = findProfiles(source, options.profiles, cwd, env);
  const staging = makeStaging(root);
  try {
    const { copied, left } = stageProject(source, staging.dir);
    copyTenants(root, staging.dir);
    const targets = profiles ? readTargets(profiles, source.profile) : undefined;
    const staged = stageTenants(root, staging.dir, targets?.targets ?? [], !!options.force);
    const names = staged.tenants.map((t) => t.name);
    left.push(...(targets?.left ?? []), ...settingsLeft((targets?.targets ?? []).filter((t) => names.includes(t.name))), ...staged.left);
    if (!profiles)
      left.push({
        what: 'profiles.yml',
        todo: 'none found (SRC, $DBT_PROFILES_DIR, ~/.dbt): no tenant made; add tenants/<name>/tenant.json (README "Adding a tenant") or run again with ARGS="--profiles <file>"',
      });
    const loaded = loadFor(staging.dir, names.length ? names : listTenantNames(root), env);
    for (const l of loaded)
      if ('problem' in l)
        left.push({
          what: `the project does not load yet for ${l.tenant}`,
          todo: `${l.problem} — fix it in the copy, then make dbt-compile TENANT=${l.tenant}`,
        });
    const backup = land(root, staging.dir, current, staged.tenants);
    return {
      src: source.shown,
      project: source.name,
      copied,
      profiles: profiles?.shown,
      tenants: staged.tenants,
      loaded,
      left,
      backup,
      next: names.find((n) => n === targets?.defaultTarget) ?? names[0] ?? listTenantNames(root)[0],
    };
  } finally {
    staging.cleanup();
  }
}

/**
 * The previous project (and the tenant.json files --force replaces) moved to a backup folder, then the
 * staged files moved in: renames only, undone if one fails. Returns the backup folder, if one was needed.
 */
function land(root: string, staging: string, current: string[], tenants: ImportedTenant[]): string | undefined {
  const replaced = tenants.filter((t) => t.status === 'replaced').map((t) => `tenants/${t.name}/tenant.json`);
  const backup = current.length || replaced.length ? backupFolder(root) : undefined;
  const written = [
    ...['sql', 'seeds'].flatMap((dir) => (existsSync(join(staging, dir)) ? readdirSync(join(staging, dir)).map((name) => `${dir}/${name}`) : [])),
    ...tenants.filter((t) => t.status !== 'kept').map((t) => `tenants/${t.name}/tenant.json`),
  ];
  moveAll([
    ...[...current, ...replaced].map((path): [string, string] => [join(root, path), join(root, backup!, path)]),
    ...written.map((path): [string, string] => [join(staging, path), join(root, path)]),
  ]);
  return backup;
}

/**
 * The project into staging/sql and staging/seeds, then read by the engine: a project file it refuses
 * stops the import there, before the copy is edited.
 */
function stageProject(source: DbtSource, staging: string): { copied: ImportResult['copied']; left: Left[] } {
  const sql = join(staging, 'sql');
  const left: Left[] = [
    ...leftAtTop(source),
    ...source.missing.map((f) => ({ what: `${f.key}: ${f.path}`, todo: `${shownIn(source, f.path)} does not exist: nothing copied` })),
  ];
  mkdirSync(sql, { recursive: true });
  writeFileSync(join(sql, 'dbt_project.yml'), pointSeedsHere(source.project));
  const copied = [{ path: 'sql/dbt_project.yml', detail: 'seed-paths now ["../seeds"]' }];
  for (const file of ['packages.yml', 'dependencies.yml'].filter((f) => existsSync(join(source.dir, f)))) {
    const kept = keepBuiltInPackages(readFileSync(join(source.dir, file), 'utf8'), shownIn(source, file));
    writeFileSync(join(sql, file), kept.text);
    left.push(...kept.left);
    copied.push({ path: `sql/${file}`, detail: kept.left.length ? `without ${kept.left.length} package(s) (below)` : 'as it is' });
  }
  for (const f of source.folders) cpSync(join(source.dir, f.path), join(sql, f.path), { recursive: true, dereference: true });
  const seeds = copySeeds(source, join(staging, 'seeds'));
  left.push(...seeds.left);
  checkProjectFile(staging, source);
  for (const f of source.folders) {
    if (f.key === 'model-paths') left.push(...cutExternals(join(sql, f.path), shownIn(source, f.path)));
    copied.push({ path: `sql/${f.path}`, detail: count(filesIn(join(sql, f.path)).length, 'file') });
  }
  copied.push({ path: 'seeds/', detail: count(seeds.files, 'CSV file') });
  return { copied, left };
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Files under a folder, relative to it, sorted; links followed, as the engine finds its files. */
const filesIn = (dir: string) => filesUnder(dir, '', '');

/** The CSVs of every seed folder into the workspace's seeds/ (sub-folders kept); other files are listed. */
function copySeeds(source: DbtSource, dest: string): { files: number; left: Left[] } {
  const others: string[] = [];
  const seen = new Map<string, string>();
  const left: Left[] = [];
  for (const folder of source.seedFolders) {
    for (const file of filesIn(join(source.dir, folder))) {
      if (!file.endsWith('.csv')) {
        others.push(shownIn(source, `${folder}/${file}`));
      } else if (seen.has(file)) {
        left.push({
          what: shownIn(source, `${folder}/${file}`),
          todo: `not copied: ${shownIn(source, `${seen.get(file)}/${file}`)} goes to the same seeds/${file}`,
        });
      } else {
        mkdirSync(dirname(join(dest, file)), { recursive: true });
        copyFileSync(join(source.dir, folder, file), join(dest, file));
        seen.set(file, folder);
      }
    }
  }
  if (others.length)
    left.push({
      what: others.length > 4 ? `${others.slice(0, 4).join(', ')} and ${others.length - 4} more` : others.join(', '),
      todo: 'only CSV files are seeds here (seed properties YAML is not read): not copied',
    });
  return { files: seen.size, left };
}

/** external: blocks cut from every YAML file of a copied models folder. */
function cutExternals(dir: string, shownDir: string): Left[] {
  return filesIn(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const cut = cutExternalBlocks(text, `${shownDir}/${file}`);
      if (cut.text !== text) writeFileSync(join(dir, file), cut.text);
      return cut.left;
    });
}

function projectExists(root: string, current: string[], src: string): TaskError {
  let name = '';
  try {
    name = String((readYamlFile(root, 'sql/dbt_project.yml') as { name?: unknown }).name ?? '');
  } catch {
    // Named only when it can be read.
  }
  const seeds = current.filter((p) => p.startsWith('seeds/')).length;
  const folders = current.filter((p) => p.startsWith('sql/') && p !== 'sql/dbt_project.yml');
  return new TaskError(
    'IMPORT_PROJECT_EXISTS',
    `sql/ already holds a dbt project${name ? ` ("${name}")` : ''} (${[...folders, seeds ? `${seeds} entries in seeds/` : ''].filter(Boolean).join(', ')}): importing ${src} would replace it. Nothing was written.`,
    {
      hint: `To import anyway, run again with --force (make import-dbt SRC=${src} ARGS=--force): the current project is moved to ${BACKUP_DIR}/<time>/ first (git-ignored), so nothing is lost.`,
    },
  );
}
