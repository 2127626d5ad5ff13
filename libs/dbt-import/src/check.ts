/**
 * The engine's own reading of the staged project, through its one door: first the project file alone
 * (loadSettings: dbt_project.yml and packages.yml), so a project file the engine refuses stops the import;
 * then the whole project for each tenant, as a build loads it, whose problems are listed for the user to fix.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { isTaskError, TaskError } from '@mt/cli';
import { loadProject, loadSettings } from '@mt/pipeline';
import { loadTenant } from '@mt/tenant-config';
import { shownIn, type DbtSource } from './source.ts';
import { writeTenant } from './tenants.ts';

/** A tenant of the staging folder only, for loading the project before any real tenant is there. */
export const STAND_IN = 'import_dbt_check';

function withStandIn<T>(staging: string, fn: (name: string) => T): T {
  writeTenant(staging, STAND_IN, `${STAND_IN}_db`);
  try {
    return fn(STAND_IN);
  } finally {
    rmSync(join(staging, 'tenants', STAND_IN), { recursive: true, force: true });
  }
}

/** The copied dbt_project.yml (and packages.yml) as the engine reads them, or an error naming SRC's file. */
export function checkProjectFile(staging: string, source: DbtSource): void {
  try {
    loadSettings(staging);
  } catch (err) {
    if (!isTaskError(err)) throw err;
    throw new TaskError(
      err.code,
      `${shownIn(source, 'dbt_project.yml')}, copied as sql/dbt_project.yml, is refused by this workspace's engine: ${err.message}`,
      {
        hint: `${err.hint ? `${err.hint} ` : ''}Fix it in ${shownIn(source, 'dbt_project.yml')}, then run make import-dbt again. Nothing was written.`,
      },
    );
  }
}

export type Loaded = { tenants: string[]; counts: string } | { tenant: string; problem: string };

/** The whole project loaded for each tenant (one that exists here when the import made none). */
export function loadFor(staging: string, tenants: string[], env: NodeJS.ProcessEnv): Loaded[] {
  const load = (name: string) => loadProject(staging, loadTenant(staging, name), env);
  const results: Loaded[] = [];
  for (const name of tenants.length ? tenants : [STAND_IN]) {
    try {
      const project = name === STAND_IN ? withStandIn(staging, load) : load(name);
      const kinds = new Map<string, number>();
      for (const node of project.nodes.values()) kinds.set(node.kind, (kinds.get(node.kind) ?? 0) + 1);
      const counts = [...kinds].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : 's'}`).join(', ');
      const same = results.find((r): r is Extract<Loaded, { counts: string }> => 'counts' in r && r.counts === counts);
      if (same) same.tenants.push(name);
      else results.push({ tenants: [name], counts });
    } catch (err) {
      // Whatever stops the load is the user's to fix in the copy: listed, not fatal.
      results.push({ tenant: name, problem: isTaskError(err) ? `[${err.code}] ${err.message}` : String((err as Error).message ?? err) });
    }
  }
  return results;
}
