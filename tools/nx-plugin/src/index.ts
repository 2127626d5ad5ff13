/**
 * The workspace's own Nx plugin: every `tenants/<name>/tenant.json` is a project named <name> with
 * the pipeline targets, so adding a tenant is adding a folder. Each target runs a typed zx task
 * script from apps/tenant with `--tenant <name>`; extra CLI args are passed through.
 */
import { basename, dirname } from 'node:path';
import { createNodesFromFiles, type CreateNodesContextV2, type CreateNodesV2, type TargetConfiguration } from '@nx/devkit';

export interface TenantPluginOptions {
  /** Folder of the tenant task scripts. */
  scriptsDir?: string;
}

const TENANT_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

interface TargetSpec {
  script: string;
  description: string;
  dependsOn?: string[];
  /** Interactive targets keep the terminal (psql, a shell). */
  interactive?: boolean;
}

// Order matters for `nx show project`: the main entry first, then the steps in pipeline order.
const TENANT_TARGETS: Record<string, TargetSpec> = {
  'tenant-run': { script: 'tenant-run', description: 'Full tenant build: debug → seed → run → snapshot → test, with a summary' },
  debug: { script: 'debug', description: 'Check tenant config, database connection and server version' },
  seed: { script: 'seed', description: 'Load seeds/*.csv (and tenant overrides) with COPY; unchanged files are skipped' },
  run: { script: 'run', description: 'Build the models in DAG order; unchanged models are skipped', dependsOn: ['seed'] },
  snapshot: { script: 'snapshot', description: 'Record SCD type 2 history (sql/snapshots)', dependsOn: ['run'] },
  test: { script: 'test', description: 'Run data tests from YAML and sql/tests', dependsOn: ['run'] },
  'db-connect': { script: 'db-connect', description: "psql into the tenant's database", interactive: true },
  'dev-shell': { script: 'dev-shell', description: 'A shell with TENANT_NAME and PG* set for this tenant', interactive: true },
};

function normalizeOptions(options: TenantPluginOptions | undefined): Required<TenantPluginOptions> {
  return { scriptsDir: options?.scriptsDir ?? 'apps/tenant/src' };
}

function buildTarget(tenant: string, spec: TargetSpec, options: Required<TenantPluginOptions>): TargetConfiguration {
  return {
    executor: 'nx:run-commands',
    options: {
      command: `node --import tsx ${options.scriptsDir}/${spec.script}.ts --tenant ${tenant}`,
      cwd: '{workspaceRoot}',
      ...(spec.interactive ? { tty: true } : {}),
    },
    // These targets change a database, so Nx must not replay them from cache: the engine itself
    // skips unchanged work using the run state kept in the tenant database.
    cache: false,
    ...(spec.dependsOn ? { dependsOn: spec.dependsOn } : {}),
    metadata: { description: spec.description, technologies: ['postgresql'] },
  };
}

function createTenantProject(configFile: string, options: TenantPluginOptions | undefined, _context: CreateNodesContextV2) {
  const root = dirname(configFile);
  const name = basename(root);
  // An invalid folder name is reported by the task scripts with a clear message; it gets no project.
  if (!TENANT_PATTERN.test(name)) return {};
  const opts = normalizeOptions(options);
  const targets = Object.fromEntries(Object.entries(TENANT_TARGETS).map(([t, spec]) => [t, buildTarget(name, spec, opts)]));
  return {
    projects: {
      [root]: {
        name,
        root,
        projectType: 'application' as const,
        tags: ['type:tenant'],
        implicitDependencies: ['tenant-tasks'],
        targets,
      },
    },
  };
}

export const createNodes: CreateNodesV2<TenantPluginOptions> = [
  'tenants/*/tenant.json',
  (configFiles, options, context) => createNodesFromFiles(createTenantProject, configFiles, options ?? {}, context),
];
export const createNodesV2 = createNodes;
