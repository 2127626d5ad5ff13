import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TaskError } from '@mt/cli';
import { assertTenantName, IDENTIFIER_PATTERN, isValidIdentifier } from './names.ts';

/** One tenant = one folder `tenants/<name>/` with a tenant.json (also one Nx project). */
export interface Tenant {
  name: string;
  displayName: string;
  database: string;
  aurora: { schema: string };
  dataLake: { bucket: string; prefix: string };
  vars: Record<string, unknown>;
  /** The tenant's own PostgreSQL roles: owner builds (and owns the database), reader runs the analyses. */
  roles: { owner: string; reader: string };
  /** Folder of the tenant (for per-tenant seed overrides). */
  dir: string;
  /** `s3://<bucket>/<prefix>/<table>/` — the tenant's data lake location of a table. */
  s3Location(table?: string): string;
}

const S3_BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

export const tenantsDir = (root: string) => join(root, 'tenants');

export function listTenantNames(root: string): string[] {
  const dir = tenantsDir(root);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'tenant.json')))
    .map((d) => d.name)
    .sort();
}

/** What a tenant's database is checked against: the reserved databases and every tenant's own. */
interface DatabaseClaims {
  reserved: Map<string, string>;
  declared: DeclaredTenant[];
}
const databaseClaims = (root: string): DatabaseClaims => ({ reserved: reservedDatabases(root), declared: declaredTenants(root) });

/** Loads and validates one tenant; every problem in the file is reported at once. */
export function loadTenant(root: string, name: string, claims: DatabaseClaims = databaseClaims(root)): Tenant {
  assertTenantName(name);
  const dir = join(tenantsDir(root), name);
  const file = join(dir, 'tenant.json');
  if (!existsSync(file)) {
    const known = listTenantNames(root);
    throw new TaskError(
      'UNKNOWN_TENANT',
      `Unknown tenant "${name}": there is no ${relative(root, file)}. Known tenants: ${known.join(', ') || '(none)'}.`,
      { hint: `Pick one of the known tenants, or add tenants/${name}/tenant.json (see README "Adding a tenant").` },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TaskError('INVALID_TENANT_CONFIG', `${relative(root, file)} is not valid JSON: ${(e as Error).message}.`, {
      hint: 'Fix the JSON syntax (a trailing comma or a missing quote is the usual cause).',
    });
  }
  return validateTenant(raw, { name, dir, file: relative(root, file) }, claims);
}

/**
 * Databases no tenant may have: the server's own and the templates (every database created later
 * copies template1, so a tenant's tables there would end up in all of them), and those config.json
 * gives the Aurora phases.
 */
function reservedDatabases(root: string): Map<string, string> {
  const reserved = new Map([
    ['postgres', "the server's maintenance database"],
    ['template0', 'a template database'],
    ['template1', 'the template every new database copies'],
  ]);
  const phases = readJson(join(root, 'config.json'))?.aurora?.phases ?? {};
  for (const [phase, p] of Object.entries<any>(phases)) {
    if (typeof p?.connection_db === 'string' && !reserved.has(p.connection_db)) reserved.set(p.connection_db, `the database of the Aurora ${phase} phase (config.json)`);
  }
  return reserved;
}

/** Every tenant's database and roles as its tenant.json names them (read as they are, even when invalid). */
export interface DeclaredTenant {
  name: string;
  database: unknown;
  roles: unknown[];
}

export function declaredTenants(root: string): DeclaredTenant[] {
  return listTenantNames(root).map((name) => {
    const raw = readJson(join(tenantsDir(root), name, 'tenant.json'));
    return { name, database: raw?.database, roles: Object.values(rolesOf(name, raw?.roles)) };
  });
}

/** tenant.json "roles" over the defaults <tenant>_owner and <tenant>_reader. */
function rolesOf(tenant: string, configured: any): Record<'owner' | 'reader', unknown> {
  const given = typeof configured === 'object' && configured !== null ? configured : {};
  return { owner: given.owner ?? `${tenant}_owner`, reader: given.reader ?? `${tenant}_reader` };
}

function readJson(file: string): any {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function validateTenant(raw: unknown, where: { name: string; dir: string; file: string }, claims: DatabaseClaims): Tenant {
  const problems: string[] = [];
  const obj = (raw ?? {}) as Record<string, any>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) problems.push('the file must hold a JSON object');
  const check = (ok: boolean, msg: string) => {
    if (!ok) problems.push(msg);
    return ok;
  };

  check(obj.name === where.name, `"name" must be "${where.name}" (the folder name), found ${JSON.stringify(obj.name)}`);
  check(isValidIdentifier(obj.database), `"database" must match ${IDENTIFIER_PATTERN.source}, found ${JSON.stringify(obj.database)}`);
  if (isValidIdentifier(obj.database)) {
    const why = claims.reserved.get(obj.database);
    check(!why, `"database" "${obj.database}" is ${why}, not a tenant's: give the tenant a database of its own, e.g. "${where.name}_db"`);
    const sharing = claims.declared.filter((t) => t.name !== where.name && t.database === obj.database).map((t) => t.name);
    check(!sharing.length, `"database" "${obj.database}" is also the database of ${sharing.map((t) => `${t} (tenants/${t}/tenant.json)`).join(', ')}: every tenant needs a database of its own, or their data would mix`);
  }
  check(isValidIdentifier(obj.aurora?.schema), `"aurora.schema" must match ${IDENTIFIER_PATTERN.source}, found ${JSON.stringify(obj.aurora?.schema)}`);
  check(typeof obj.dataLake?.bucket === 'string' && S3_BUCKET.test(obj.dataLake.bucket),
    `"dataLake.bucket" must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens), found ${JSON.stringify(obj.dataLake?.bucket)}`);
  check(typeof obj.dataLake?.prefix === 'string' && S3_PREFIX.test(obj.dataLake.prefix),
    `"dataLake.prefix" must be a key prefix without leading or trailing "/", found ${JSON.stringify(obj.dataLake?.prefix)}`);
  check(obj.displayName === undefined || typeof obj.displayName === 'string', '"displayName" must be a string');
  const roles = checkRoles(obj.roles, where.name, claims, check);
  check(obj.vars === undefined || (typeof obj.vars === 'object' && !Array.isArray(obj.vars)), '"vars" must be an object');
  const known = new Set(['$schema', 'name', 'displayName', 'database', 'aurora', 'dataLake', 'roles', 'vars']);
  for (const key of Object.keys(obj)) check(known.has(key), `unknown key "${key}" (known: ${[...known].slice(1).join(', ')})`);

  if (problems.length) {
    throw new TaskError('INVALID_TENANT_CONFIG', `${where.file} has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, {
      hint: 'Compare with tenants/tenant_a/tenant.json.',
    });
  }
  const { bucket, prefix } = obj.dataLake;
  return {
    name: where.name,
    displayName: obj.displayName ?? where.name,
    database: obj.database,
    aurora: { schema: obj.aurora.schema },
    dataLake: { bucket, prefix },
    vars: obj.vars ?? {},
    roles,
    dir: where.dir,
    s3Location: (table?: string) => `s3://${bucket}/${prefix}/${table ? `${table}/` : ''}`,
  };
}

/**
 * The roles must be valid names that no other tenant uses (a shared role would reach both databases),
 * nor the server's own (postgres, pg_*, public).
 */
function checkRoles(configured: any, tenant: string, claims: DatabaseClaims, check: (ok: boolean, msg: string) => boolean): { owner: string; reader: string } {
  const shapeOk = configured === undefined || (typeof configured === 'object' && configured !== null && !Array.isArray(configured) && Object.keys(configured).every((k) => k === 'owner' || k === 'reader'));
  check(shapeOk, '"roles" must be an object with "owner" and/or "reader" (role names)');
  const roles = rolesOf(tenant, shapeOk ? configured : undefined);
  for (const [kind, role] of Object.entries(roles)) {
    const invalid = configured?.[kind] === undefined
      ? `the default ${kind} role ${JSON.stringify(role)} is longer than 63 characters: name the roles in "roles": {"owner": …, "reader": …}`
      : `"roles.${kind}" must match ${IDENTIFIER_PATTERN.source}, found ${JSON.stringify(role)}`;
    if (!check(isValidIdentifier(role), invalid)) continue;
    check(!/^pg_/.test(role as string) && role !== 'postgres' && role !== 'public', `"roles.${kind}" "${role}" is a name the server keeps for itself: pick another`);
    const sharing = claims.declared.filter((t) => t.name !== tenant && t.roles.includes(role)).map((t) => t.name);
    check(!sharing.length, `role "${role}" is also a role of ${sharing.map((t) => `${t} (tenants/${t}/tenant.json)`).join(', ')}: every tenant needs roles of its own, or each could reach the other's database`);
  }
  check(roles.owner !== roles.reader, '"roles.owner" and "roles.reader" must differ: the reader may only read');
  return roles as { owner: string; reader: string };
}

export function loadAllTenants(root: string): Tenant[] {
  const claims = databaseClaims(root);
  return claims.declared.map((t) => loadTenant(root, t.name, claims));
}

/**
 * The tenant a command is for: `--tenant` wins, then TENANT_NAME (env or .env). The name is validated
 * before anything connects anywhere.
 */
export function resolveTenantName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = flag ?? env.TENANT_NAME;
  if (!name) {
    throw new TaskError('NO_TENANT', 'No tenant given: pass --tenant <name> or set TENANT_NAME (in the environment or .env).', {
      hint: 'For example: make tenant-run TENANT=tenant_a',
    });
  }
  return assertTenantName(name);
}
