import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TaskError, io, isValidIdentifier } from '@mt/cli';
import { assertTenantName } from './names.ts';
import { tenantSchema, type TenantFile } from './schemas.ts';
import { field, schemaProblems } from './validate.ts';

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
    throw new TaskError('UNKNOWN_TENANT', `Unknown tenant "${name}": there is no ${relative(root, file)}. Known tenants: ${known.join(', ') || '(none)'}.`, {
      hint: `Pick one of the known tenants, or add tenants/${name}/tenant.json (see README "Adding a tenant").`,
    });
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
  const phases = field(field(readJson(join(root, 'config.json')), 'aurora'), 'phases') ?? {};
  for (const [phase, p] of Object.entries(phases as Record<string, unknown>)) {
    const db = field(p, 'connection_db');
    if (typeof db === 'string' && !reserved.has(db)) reserved.set(db, `the database of the Aurora ${phase} phase (config.json)`);
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
    return { name, database: field(raw, 'database'), roles: Object.values(rolesOf(name, field(raw, 'roles'))) };
  });
}

/** tenant.json "roles" over the defaults <tenant>_owner and <tenant>_reader. */
function rolesOf(tenant: string, configured: unknown): Record<'owner' | 'reader', unknown> {
  return { owner: field(configured, 'owner') ?? `${tenant}_owner`, reader: field(configured, 'reader') ?? `${tenant}_reader` };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function validateTenant(raw: unknown, where: { name: string; dir: string; file: string }, claims: DatabaseClaims): Tenant {
  const problems = schemaProblems(tenantSchema, raw);
  const obj = (raw ?? {}) as Record<string, unknown>;
  const check = (ok: boolean, msg: string) => {
    if (!ok) problems.push(msg);
    return ok;
  };
  // What the schema cannot know: the folder, the server's databases and the other tenants.
  if (typeof obj.name === 'string') check(obj.name === where.name, `"name" must be "${where.name}" (the folder name), found ${JSON.stringify(obj.name)}`);
  if (isValidIdentifier(obj.database)) {
    const why = claims.reserved.get(obj.database);
    check(!why, `"database" "${obj.database}" is ${why}, not a tenant's: give the tenant a database of its own, e.g. "${where.name}_db"`);
    const sharing = claims.declared.filter((t) => t.name !== where.name && t.database === obj.database).map((t) => t.name);
    check(
      !sharing.length,
      `"database" "${obj.database}" is also the database of ${sharing.map((t) => `${t} (tenants/${t}/tenant.json)`).join(', ')}: every tenant needs a database of its own, or their data would mix`,
    );
  }
  const roles = checkRoles(obj.roles, where.name, claims, check);

  if (problems.length) {
    throw new TaskError('INVALID_TENANT_CONFIG', `${where.file} has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, {
      hint: 'Compare with tenants/tenant_a/tenant.json.',
    });
  }
  const file = raw as TenantFile;
  const { bucket, prefix } = file.dataLake;
  return {
    name: where.name,
    displayName: file.displayName ?? where.name,
    database: file.database,
    aurora: { schema: file.aurora.schema },
    dataLake: { bucket, prefix },
    vars: file.vars ?? {},
    roles,
    dir: where.dir,
    s3Location: (table?: string) => `s3://${bucket}/${prefix}/${table ? `${table}/` : ''}`,
  };
}

/**
 * The roles (tenant.json's, else the defaults) may not be another tenant's (a shared role would
 * reach both databases) nor the server's own (postgres, pg_*, public); the schema checked their form.
 */
function checkRoles(
  configured: unknown,
  tenant: string,
  claims: DatabaseClaims,
  check: (ok: boolean, msg: string) => boolean,
): { owner: string; reader: string } {
  const roles = rolesOf(tenant, configured) as { owner: string; reader: string };
  for (const kind of ['owner', 'reader'] as const) {
    const role = roles[kind];
    if (!isValidIdentifier(role)) {
      // A configured name of the wrong form is the schema's problem; a default can only be too long.
      if (field(configured, kind) === undefined)
        check(false, `the default ${kind} role "${role}" is longer than 63 characters: name the roles in "roles": {"owner": …, "reader": …}`);
      continue;
    }
    check(!/^pg_/.test(role) && role !== 'postgres' && role !== 'public', `"roles.${kind}" "${role}" is a name the server keeps for itself: pick another`);
    const sharing = claims.declared.filter((t) => t.name !== tenant && t.roles.includes(role)).map((t) => t.name);
    check(
      !sharing.length,
      `role "${role}" is also a role of ${sharing.map((t) => `${t} (tenants/${t}/tenant.json)`).join(', ')}: every tenant needs roles of its own, or each could reach the other's database`,
    );
  }
  check(roles.owner !== roles.reader, '"roles.owner" and "roles.reader" must differ: the reader may only read');
  return roles;
}

export function loadAllTenants(root: string): Tenant[] {
  const claims = databaseClaims(root);
  return claims.declared.map((t) => loadTenant(root, t.name, claims));
}

/**
 * The tenant a command is for: `--tenant` wins, then TENANT_NAME (env or .env). The name is validated
 * before anything connects anywhere.
 */
export function resolveTenantName(flag: string | undefined, env: NodeJS.ProcessEnv = io().env): string {
  const name = flag ?? env.TENANT_NAME;
  if (!name) {
    throw new TaskError('NO_TENANT', 'No tenant given: pass --tenant <name> or set TENANT_NAME (in the environment or .env).', {
      hint: 'For example: make tenant-run TENANT=tenant_a',
    });
  }
  return assertTenantName(name);
}
