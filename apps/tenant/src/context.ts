import type { Argv } from 'yargs';
import { log, taskCli } from '@mt/cli';
import { parseVars, type InspectOptions } from '@mt/pipeline';
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

/** `--vars`, for every task that renders templates (parsed by @mt/pipeline's parseVars). */
export const VARS_OPTION = {
  type: 'string',
  describe: `Template variables over the tenant's and the project's, as YAML or JSON: '{"segment_vip": 2000}'`,
} as const;

/** dbt's --select / --exclude / --vars, shared by every step that reads the project. */
export function withSelection<T>(cli: Argv<T>, what = 'Nodes to work on') {
  return cli
    .option('select', {
      alias: 's',
      type: 'string',
      array: true,
      describe: `${what}, in dbt's syntax: name, +name, name+, 2+name+1, @name, tag:x, path:x, config.materialized:x, resource_type:x, state:modified, wildcards; space = union, comma = intersection`,
    })
    .option('exclude', { type: 'string', array: true, describe: 'Nodes to leave out, in the same syntax' })
    .option('vars', VARS_OPTION);
}

/** The tenant's context and what compile, ls and the like pass to @mt/pipeline (selection, vars, warnings). */
export function inspectContext(argv: { tenant?: string; select?: string[]; exclude?: string[]; vars?: string }): {
  ctx: TenantContext;
  options: InspectOptions;
} {
  const ctx = tenantContext(argv.tenant);
  return {
    ctx,
    options: {
      root: ctx.root,
      tenant: ctx.tenant,
      db: ctx.engine,
      select: argv.select,
      exclude: argv.exclude,
      vars: parseVars(argv.vars),
      env: ctx.env,
      onWarning: (line) => log(`${ctx.tenant.name}: warning: ${line}`),
    },
  };
}
