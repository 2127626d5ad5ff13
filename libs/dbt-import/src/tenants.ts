/**
 * profiles.yml targets as tenants: tenants/<target>/tenant.json in this workspace's format, checked by
 * the same loader every command uses (in the staging folder, beside copies of the workspace's tenants,
 * so a database another tenant has is found too).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IDENTIFIER_PATTERN, isTaskError, isValidIdentifier } from '@mt/cli';
import { listTenantNames, loadTenant } from '@mt/tenant-config';
import type { Target } from './profiles.ts';
import type { ImportedTenant, Left } from './types.ts';

/**
 * What a tenant folder may not be named: the workspace's other projects (and the short names Nx
 * matches @mt/<lib> by). The same list as tools/nx-plugin (reservedNames) and the Makefile (RESERVED).
 */
function reservedNames(root: string): string[] {
  const folders = ['apps', 'libs', 'tools'].flatMap((dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)) : []));
  return [...folders, 'seeds', 'workspace'];
}

/** What profiles.yml cannot give, as the sample tenants have it (tenants/tenant_a/tenant.json). */
export const SAMPLE_DEFAULTS =
  'displayName from the name ("Tenant A" for tenant_a), aurora.schema = the name, dataLake s3://<name, - for _>-data-lake/ecommerce-data/ (as tenants/tenant_a/tenant.json); edit them if yours differ';

function tenantJson(name: string, database: string) {
  return {
    $schema: '../../libs/tenant-config/schemas/tenant.schema.json',
    name,
    displayName: name.replace(/(^|_)([a-z0-9])/g, (_, sep: string, c: string) => `${sep ? ' ' : ''}${c.toUpperCase()}`),
    database,
    aurora: { schema: name },
    dataLake: { bucket: `${name.replaceAll('_', '-')}-data-lake`, prefix: 'ecommerce-data' },
  };
}

/** Laid out as the sample tenants are: one key a line, the small objects inline. */
const formatJson = (file: Record<string, unknown>) =>
  `{\n${Object.entries(file)
    .map(
      ([k, v]) =>
        `  ${JSON.stringify(k)}: ${
          v && typeof v === 'object'
            ? `{ ${Object.entries(v)
                .map(([ik, iv]) => `${JSON.stringify(ik)}: ${JSON.stringify(iv)}`)
                .join(', ')} }`
            : JSON.stringify(v)
        }`,
    )
    .join(',\n')}\n}\n`;

/** The workspace's tenant.json files, copied into the staging folder: what a new tenant is checked against. */
export function copyTenants(root: string, staging: string): void {
  for (const name of listTenantNames(root)) {
    mkdirSync(join(staging, 'tenants', name), { recursive: true });
    writeFileSync(join(staging, 'tenants', name, 'tenant.json'), readFileSync(join(root, 'tenants', name, 'tenant.json')));
  }
}

/** Writes the targets' tenant.json into the staging folder, one after the other (a database the first took is not the second's). */
export function stageTenants(root: string, staging: string, targets: Target[], force: boolean): { tenants: ImportedTenant[]; left: Left[] } {
  const reserved = reservedNames(root);
  const existing = listTenantNames(root);
  const tenants: ImportedTenant[] = [];
  const left: Left[] = [];
  for (const { name, database } of targets) {
    const shown = JSON.stringify(name).slice(0, 66);
    if (!isValidIdentifier(name) || reserved.includes(name)) {
      const why = isValidIdentifier(name)
        ? `the name of another project of this workspace (${reserved.join(', ')})`
        : `not a tenant name (${IDENTIFIER_PATTERN.source})`;
      left.push({ what: `target ${shown}`, todo: `${why}: add its tenant by hand under another name (README "Adding a tenant")` });
      continue;
    }
    const file = join(staging, 'tenants', name, 'tenant.json');
    if (existing.includes(name) && !force) {
      const kept = JSON.parse(readFileSync(file, 'utf8')) as { database?: unknown };
      tenants.push({ name, status: 'kept', database: String(kept.database) });
      continue;
    }
    const status = existing.includes(name) ? 'replaced' : 'created';
    const previous = existsSync(file) ? readFileSync(file) : undefined;
    const own = `${name}_db`;
    const problem = tryTenant(staging, name, database ?? own);
    if (!problem) {
      tenants.push({ name, status, database: database ?? own });
      if (database === undefined)
        left.push({ what: `database of target ${name}`, todo: `not a plain name in profiles.yml: tenants/${name}/tenant.json names ${own}` });
      continue;
    }
    // The profile's database may be the server's own, or another tenant's: the tenant gets its own.
    if (database !== undefined && !tryTenant(staging, name, own)) {
      tenants.push({ name, status, database: own });
      left.push({ what: `database ${database} of target ${name}`, todo: `refused for a tenant here (${problem}): tenants/${name}/tenant.json names ${own}` });
      continue;
    }
    if (previous) writeFileSync(file, previous);
    else rmSync(join(staging, 'tenants', name), { recursive: true, force: true });
    left.push({ what: `target ${name}`, todo: `no tenant made: ${problem}` });
  }
  return { tenants, left };
}

/** tenants/<name>/tenant.json of the staging folder, as the sample tenants have it. */
export function writeTenant(staging: string, name: string, database: string): void {
  mkdirSync(join(staging, 'tenants', name), { recursive: true });
  writeFileSync(join(staging, 'tenants', name, 'tenant.json'), formatJson(tenantJson(name, database)));
}

/** Writes the tenant.json and loads it as every command does: the problems, or undefined. */
function tryTenant(staging: string, name: string, database: string): string | undefined {
  writeTenant(staging, name, database);
  try {
    loadTenant(staging, name);
    return undefined;
  } catch (err) {
    if (!isTaskError(err)) throw err;
    return err.message
      .replace(/^.*?problem\(s\):\s*/s, '')
      .replace(/\s*\n\s*-\s*/g, '; ')
      .replace(/^-\s*/, '');
  }
}
