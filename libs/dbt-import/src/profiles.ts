/**
 * profiles.yml: the outputs of the project's profile are dbt's targets, and here each tenant is one.
 * A target gives its name and database; every other setting is named (never its value: profiles hold
 * passwords) with where this workspace takes it from instead.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { TaskError } from '@mt/cli';
import { expandHome, shownIn, type DbtSource } from './source.ts';
import type { Left } from './types.ts';

export interface ProfilesFile {
  file: string;
  /** As shown to the user (~ for the home folder). */
  shown: string;
}

/** `--profiles` (a file, or a folder holding profiles.yml) when given, else where dbt looks: SRC, $DBT_PROFILES_DIR, ~/.dbt. */
export function findProfiles(source: DbtSource, explicit: string | undefined, cwd: string, env: NodeJS.ProcessEnv): ProfilesFile | undefined {
  const home = env.HOME || homedir();
  const shown = (file: string) => (file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file);
  if (explicit !== undefined) {
    let file = resolve(cwd, expandHome(explicit, env));
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'profiles.yml');
    if (!existsSync(file))
      throw new TaskError('IMPORT_PROFILES', `--profiles ${explicit}: there is no such file (${file}).`, {
        hint: 'Name your profiles.yml (or the folder holding it), or leave --profiles out to use SRC/profiles.yml, $DBT_PROFILES_DIR or ~/.dbt. Nothing was written.',
      });
    return { file, shown: explicit };
  }
  const inSource = join(source.dir, 'profiles.yml');
  if (existsSync(inSource)) return { file: inSource, shown: shownIn(source, 'profiles.yml') };
  for (const dir of [env.DBT_PROFILES_DIR ? resolve(cwd, expandHome(env.DBT_PROFILES_DIR, env)) : undefined, join(home, '.dbt')]) {
    if (dir && existsSync(join(dir, 'profiles.yml'))) return { file: join(dir, 'profiles.yml'), shown: shown(join(dir, 'profiles.yml')) };
  }
  return undefined;
}

export interface Target {
  name: string;
  /** dbname (or database) when it is a plain name; a Jinja expression is not evaluated here. */
  database: string | undefined;
  settings: Record<string, unknown>;
}

/** The targets of the project's profile (the only profile when dbt_project.yml names none). */
export function readTargets(profiles: ProfilesFile, profileName: string | undefined): { targets: Target[]; left: Left[]; defaultTarget?: string } {
  const doc = parseDocument(readFileSync(profiles.file, 'utf8'));
  const [error] = doc.errors;
  if (error) {
    // The parser's message may quote the line, which may hold a password: its code and place only.
    const at = error.linePos?.[0];
    return {
      targets: [],
      left: [{ what: profiles.shown, todo: `not valid YAML (${error.code}${at ? ` at ${at.line}:${at.col}` : ''}): no tenant made from it` }],
    };
  }
  const all = (doc.toJS() ?? {}) as Record<string, unknown>;
  const names = Object.keys(all).filter((k) => k !== 'config');
  const name = profileName ?? (names.length === 1 ? names[0] : undefined);
  const profile = name === undefined ? undefined : (all[name] as Record<string, unknown> | undefined);
  const outputs = profile?.outputs;
  if (!outputs || typeof outputs !== 'object') {
    const which = name === undefined ? 'dbt_project.yml names no profile' : `it has no profile "${name}" with outputs`;
    return {
      targets: [],
      left: [
        {
          what: profiles.shown,
          todo: `${which} (profiles: ${names.join(', ') || 'none'}): no tenant made from it; add tenants/<name>/tenant.json (README "Adding a tenant")`,
        },
      ],
    };
  }
  const targets = Object.entries(outputs as Record<string, unknown>).map(([target, value]) => {
    const settings = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    const dbname = settings.dbname ?? settings.database;
    return { name: target, database: typeof dbname === 'string' && !dbname.includes('{{') ? dbname : undefined, settings };
  });
  return { targets, left: [], defaultTarget: typeof profile?.target === 'string' ? profile.target : undefined };
}

/** How each setting of a target is taken here; the others are named as not read. */
const SECRET = /pass|secret|token|private|keyfile|sslkey|credential/i;
const SERVER = [
  'host',
  'port',
  'user',
  'username',
  'sslmode',
  'sslcert',
  'sslrootcert',
  'connect_timeout',
  'keepalives_idle',
  'retries',
  'role',
  'search_path',
];
/** A value shown in a message: a number or a plain word, never free text (which could be a secret in the wrong key). */
const shownValue = (value: unknown) => (typeof value === 'number' || (typeof value === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(value)) ? ` ${value}` : '');

/** The settings of the tenants' targets that are not carried over, one line per kind with the targets that have it. */
export function settingsLeft(targets: Target[]): Left[] {
  const notes = new Map<string, { what: Set<string>; targets: string[]; todo: string }>();
  const note = (kind: string, what: string, target: string, todo: string) => {
    const n = notes.get(kind) ?? { what: new Set<string>(), targets: [], todo };
    n.what.add(what);
    if (!n.targets.includes(target)) n.targets.push(target);
    notes.set(kind, n);
  };
  for (const { name, settings } of targets) {
    for (const [key, value] of Object.entries(settings)) {
      const shown = shownValue(value);
      if (key === 'dbname' || key === 'database' || (key === 'type' && value === 'postgres') || (key === 'schema' && value === 'public')) continue;
      if (SECRET.test(key)) note('secret', key, name, "not carried over (each tenant's roles and passwords are generated here)");
      else if (SERVER.includes(key)) note('server', key, name, 'the server is chosen in .env (PG_MODE=external and PG*)');
      else if (key === 'threads')
        note(`threads${shown}`, `threads${shown}`, name, `a setting of each run here: ARGS=--threads${shown || ' N'} (default: the number of cores)`);
      else if (key === 'type') note(`type${shown}`, `type${shown}`, name, "not carried over: every tenant builds on this workspace's PostgreSQL");
      else if (key === 'schema')
        note(
          `schema${shown}`,
          `schema${shown}`,
          name,
          'models build into public of each tenant\'s own database here; a custom schema is +schema in sql/dbt_project.yml (docs/MIGRATING.md, "Schemas")',
        );
      else note(`other ${key}`, key, name, 'not read here');
    }
  }
  return [...notes.values()].map((n) => ({ what: `${[...n.what].join(', ')} (${n.targets.join(', ')})`, todo: n.todo }));
}
