/**
 * Where the import is built and how it lands: a staging folder in .data/ (git-ignored, and on the
 * workspace's file system, so every move is a rename), the previous project moved aside to
 * .data/import-dbt-backup/<time>/, then the new one moved in; a move that fails puts back the ones done.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Entries of sql/ and seeds/ that are the workspace's, not the dbt project's: they stay. */
const KEEP: Record<string, string[]> = { sql: ['aurora', 'project.json'], seeds: ['project.json'] };

export const BACKUP_DIR = '.data/import-dbt-backup';

/** The dbt project the workspace holds now, as paths relative to it (sql/dbt_project.yml, sql/models, seeds/customers.csv, …). */
export function currentProject(root: string): string[] {
  return Object.entries(KEEP).flatMap(([dir, keep]) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .filter((name) => !keep.includes(name))
          .sort()
          .map((name) => `${dir}/${name}`)
      : [],
  );
}

export interface Staging {
  dir: string;
  /** Removes the staging folder (and .data/ when the import made it and nothing else is in it). */
  cleanup(): void;
}

export function makeStaging(root: string): Staging {
  const data = join(root, '.data');
  const madeData = !existsSync(data);
  mkdirSync(data, { recursive: true });
  const dir = mkdtempSync(join(data, 'import-dbt-'));
  return {
    dir,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      if (madeData && !readdirSync(data).length) rmdirSync(data);
    },
  };
}

/** A fresh folder for the previous project, named by the time (UTC). */
export function backupFolder(root: string, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, '-');
  let path = `${BACKUP_DIR}/${stamp}`;
  for (let n = 2; existsSync(join(root, path)); n++) path = `${BACKUP_DIR}/${stamp}-${n}`;
  return path;
}

/** Renames each [from, to] (absolute) in order; if one fails, the ones done are renamed back and the error goes on. */
export function moveAll(moves: Array<[string, string]>): void {
  const done: Array<[string, string]> = [];
  try {
    for (const [from, to] of moves) {
      mkdirSync(dirname(to), { recursive: true });
      renameSync(from, to);
      done.push([from, to]);
    }
  } catch (err) {
    for (const [from, to] of done.reverse()) renameSync(to, from);
    throw err;
  }
}
