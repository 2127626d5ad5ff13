import { existsSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { Tenant } from './tenant.ts';

/** Where `make generate-data` writes a tenant's seeds (git-ignored): tenants/<name>/seeds/generated/. */
export const GENERATED_SEEDS = 'generated';

export const tenantSeedsDir = (root: string, tenant: Tenant) => relative(root, join(tenant.dir, 'seeds'));

/**
 * The seed files a tenant loads, by name, relative to the workspace: seeds/**.csv, overridden file by
 * file by tenants/<name>/seeds/**.csv, and those by the generated ones (tenants/<name>/seeds/generated/).
 */
export function tenantSeedFiles(root: string, tenant: Tenant): Map<string, string> {
  const own = tenantSeedsDir(root, tenant);
  const generated = join(own, GENERATED_SEEDS);
  const layers = [csvFiles(root, 'seeds'), csvFiles(root, own).filter((f) => !f.startsWith(`${generated}/`)), csvFiles(root, generated)];
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
