/**
 * The dbt project to import (SRC), read and checked before anything is written: the folder, its
 * dbt_project.yml, and the folders its path keys name (dbt's defaults when a key is absent); and what
 * else lies at its top, which is not copied.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { isSeq } from 'yaml';
import { TaskError } from '@mt/cli';
import { PATH_KEYS } from '@mt/pipeline';
import type { Left } from './types.ts';
import { pairOf, parseYaml, type YamlText } from './yaml-edit.ts';

/** The seeds go to the workspace's seeds/ instead, which the copied project names as ../seeds. */
export const SEED_KEY = 'seed-paths';

/** dbt's other folder keys (the engine's, with dbt's defaults), copied to sql/<the same path>: the engine reads them relative to sql/. */
export const FOLDER_KEYS = Object.entries(PATH_KEYS).filter(([key]) => key !== SEED_KEY);

/** Names in sql/ that belong to the workspace: no folder of the import may take one. */
const TAKEN: Record<string, string> = {
  aurora: 'the Aurora phase SQL',
  'project.json': 'the Nx project of sql/',
  sources: "where this workspace declares the data lake's external tables",
  'dbt_project.yml': 'the project file',
  'packages.yml': 'the packages file',
  'dependencies.yml': 'the packages file',
};

export interface Folder {
  key: string;
  /** Relative to SRC, and to sql/ in the workspace. */
  path: string;
}

export interface DbtSource {
  dir: string;
  /** SRC as the user gave it, for messages. */
  shown: string;
  project: YamlText;
  name: string;
  profile: string | undefined;
  /** What goes to sql/<path>: the folders that exist. */
  folders: Folder[];
  /** Seed folders (relative to SRC) that exist: their CSVs go to seeds/. */
  seedFolders: string[];
  /** Folders a path key names explicitly that SRC does not have. */
  missing: Folder[];
}

/** A path inside SRC as the user reads it: SRC as typed (without its trailing slash), then the path. */
export const shownIn = (source: DbtSource, path: string) => `${source.shown.replace(/\/+$/, '')}/${path}`;

/** `~/x` as the shell would have it (make passes the text as typed). */
export const expandHome = (path: string, env: NodeJS.ProcessEnv) => (path === '~' || path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(1)) : path);

export function readSource(given: string, cwd: string, env: NodeJS.ProcessEnv): DbtSource {
  const dir = resolve(cwd, expandHome(given, env));
  const next = `Give the folder of your dbt project, the one holding dbt_project.yml: make import-dbt SRC=../dbt-poc. Nothing was written.`;
  if (!existsSync(dir)) throw new TaskError('IMPORT_SOURCE', `SRC "${given}" does not exist (${dir}).`, { hint: next });
  if (!statSync(dir).isDirectory()) throw new TaskError('IMPORT_SOURCE', `SRC "${given}" is a file, not a folder.`, { hint: next });
  const file = posix.join(given, 'dbt_project.yml');
  if (!existsSync(join(dir, 'dbt_project.yml'))) {
    const below = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'dbt_project.yml')));
    throw new TaskError('IMPORT_SOURCE', `${file} does not exist: SRC must be the folder of a dbt project.`, {
      hint: below.length ? `It is in ${posix.join(given, below[0])}: make import-dbt SRC=${posix.join(given, below[0])}. Nothing was written.` : next,
    });
  }
  const project = parseYaml(readFileSync(join(dir, 'dbt_project.yml'), 'utf8'));
  const [error] = project.doc.errors;
  if (error) {
    const at = error.linePos?.[0];
    throw new TaskError('IMPORT_SOURCE', `${file}${at ? `:${at.line}:${at.col}` : ''} is not valid YAML: ${error.message.split('\n')[0]}`, {
      hint: `Fix it there (dbt would refuse it too), then run make import-dbt again. Nothing was written.`,
    });
  }
  const raw = project.doc.toJS() as unknown;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new TaskError('IMPORT_SOURCE', `${file} is not a dbt project file: it must be a mapping (name:, version:, …).`, { hint: next });
  const keys = raw as Record<string, unknown>;
  const folders: Folder[] = [];
  const missing: Folder[] = [];
  for (const [key, fallback] of FOLDER_KEYS) {
    for (const path of folderList(project, file, key, fallback)) {
      if (TAKEN[path.split('/')[0]])
        throw new TaskError('IMPORT_SOURCE', `${file}: "${key}" names ${path}, but sql/${path.split('/')[0]} is ${TAKEN[path.split('/')[0]]} here.`, {
          hint: `Rename that folder of your project (and the key), then run make import-dbt again. Nothing was written.`,
        });
      if (existsSync(join(dir, path))) folders.push({ key, path });
      else if (keys[key] !== undefined) missing.push({ key, path });
    }
  }
  const seedFolders = folderList(project, file, SEED_KEY, PATH_KEYS[SEED_KEY]).filter((p) => existsSync(join(dir, p)));
  return {
    dir,
    shown: given,
    project,
    name: typeof keys.name === 'string' ? keys.name : '(no name)',
    profile: typeof keys.profile === 'string' ? keys.profile : undefined,
    folders,
    seedFolders,
    missing,
  };
}

/** A path key's folders, normalised (`./models/` → `models`); one outside the project is refused, since it cannot be copied into sql/. */
function folderList(project: YamlText, file: string, key: string, fallback: string): string[] {
  const node = pairOf(project.doc.contents, key)?.value;
  if (!node) return [fallback];
  const list = node.toJSON() as unknown;
  if (!isSeq(node) || !(list as unknown[]).every((p) => typeof p === 'string'))
    throw new TaskError('IMPORT_SOURCE', `${file}: "${key}" must be a list of folders, found ${JSON.stringify(list)}.`, {
      hint: `dbt writes it as ${key}: ["${fallback}"]. Fix it there, then run make import-dbt again. Nothing was written.`,
    });
  return (list as string[]).map((p) => {
    const path = posix.normalize(p).replace(/\/+$/, '');
    if (isAbsolute(p) || path === '.' || path === '..' || path.startsWith('../'))
      throw new TaskError(
        'IMPORT_SOURCE',
        `${file}: "${key}" names ${JSON.stringify(p)}, which is not a folder inside the project: only the project's own folders are copied.`,
        {
          hint: `Move that folder into the project (and name it relative to dbt_project.yml), then run make import-dbt again. Nothing was written.`,
        },
      );
    return path;
  });
}

const PACKAGES = 'installed packages: dbt_utils and dbt_external_tables are built in here; copy the macros you use of others into sql/macros';

/** dbt's own files and folders at the top of SRC, skipped with the reason. */
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

/** What lies at the top of SRC besides the project: dbt's own output and installs, and anything else. */
export function leftAtTop(source: DbtSource): Left[] {
  const used = new Set([...READ, ...source.folders.map((f) => f.path.split('/')[0]), ...source.seedFolders.map((f) => f.split('/')[0])]);
  return readdirSync(source.dir, { withFileTypes: true })
    .filter((entry) => !used.has(entry.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((entry) => ({
      what: shownIn(source, `${entry.name}${entry.isDirectory() ? '/' : ''}`),
      todo: DBT_OWN[entry.name] ?? 'not part of the dbt project: not copied (copy it yourself if this workspace needs it)',
    }));
}
