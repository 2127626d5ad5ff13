import type { Argv } from 'yargs';
import { taskCli } from '@mt/cli';
import { findWorkspaceRoot, loadEnv, loadTenant, resolveTenantName, type Tenant } from '@mt/tenant-config';
import { resolveEngine, type Engine } from '@mt/postgres';

export interface TenantContext {
  root: string;
  env: NodeJS.ProcessEnv;
  tenant: Tenant;
  engine: Engine;
}

/** The yargs parser every tenant task starts from: `--tenant`, `--help`, strict options. */
export function tenantCli(script: string, description: string): Argv<{ tenant: string | undefined }> {
  return taskCli(script, `$0 [--tenant <name>] [options]\n\n${description}`).option('tenant', {
    type: 'string',
    describe: 'Tenant to work on (default: TENANT_NAME from the environment or .env)',
  });
}

/** Resolves and validates the tenant before anything touches a database. */
export function tenantContext(tenantFlag: string | undefined): TenantContext {
  const root = findWorkspaceRoot();
  const env = loadEnv(root);
  const tenant = loadTenant(root, resolveTenantName(tenantFlag, env));
  return { root, env, tenant, engine: resolveEngine({ rootDir: root, env }) };
}
