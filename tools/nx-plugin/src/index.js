// @ts-check
/**
 * The workspace's own Nx plugin: every `tenants/<name>/tenant.json` is a project named <name> with
 * the pipeline targets, so adding a tenant is adding a folder. Each target runs a typed zx task
 * script of apps/tenant (bundled by tenant-tasks:build) with `--tenant <name>`; extra CLI args are
 * passed through.
 *
 * Plain JavaScript, type-checked by tsc (checkJs): Nx loads a .ts plugin through swc-node, which
 * costs ~450 ms on every `nx` call (docs/BENCHMARKS.md) — on a command typed dozens of times a day.
 */
const { basename, dirname } = require('node:path');
const { createNodesFromFiles } = require('@nx/devkit');

/**
 * @typedef {{ scriptsDir?: string }} TenantPluginOptions  scriptsDir: the bundled task scripts (tenant-tasks:build)
 * @typedef {{ script: string; description: string; dependsOn?: string[]; interactive?: boolean }} TargetSpec
 */

const TENANT_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Order matters for `nx show project`: the main entry first, then the steps in pipeline order.
 * @type {Record<string, TargetSpec>}
 */
const TENANT_TARGETS = {
  'tenant-run': { script: 'tenant-run', description: 'Full tenant build: debug → seed → run → snapshot → test, with a summary' },
  debug: { script: 'debug', description: 'Check tenant config, database connection and server version' },
  seed: { script: 'seed', description: 'Load seeds/*.csv (and tenant overrides) with COPY; unchanged files are skipped' },
  run: { script: 'run', description: 'Build the models in DAG order; unchanged models are skipped', dependsOn: ['seed'] },
  snapshot: { script: 'snapshot', description: 'Record SCD type 2 history (sql/snapshots)', dependsOn: ['run'] },
  test: { script: 'test', description: 'Run data tests from YAML and sql/tests', dependsOn: ['run'] },
  'db-connect': { script: 'db-connect', description: "psql into the tenant's database", interactive: true },
  'dev-shell': { script: 'dev-shell', description: 'A shell with TENANT_NAME and PG* set for this tenant', interactive: true },
};

/** @param {TenantPluginOptions | undefined} options */
function normalizeOptions(options) {
  return { scriptsDir: options?.scriptsDir ?? 'dist/tasks/tenant' };
}

/**
 * @param {string} tenant
 * @param {TargetSpec} spec
 * @param {{ scriptsDir: string }} options
 * @returns {import('@nx/devkit').TargetConfiguration}
 */
function buildTarget(tenant, spec, options) {
  return {
    executor: 'nx:run-commands',
    options: {
      command: `node ${options.scriptsDir}/${spec.script}.mjs --tenant ${tenant}`,
      cwd: '{workspaceRoot}',
      ...(spec.interactive ? { tty: true } : {}),
    },
    // These targets change a database, so Nx must not replay them from cache: the engine itself
    // skips unchanged work using the run state kept in the tenant database.
    cache: false,
    // The scripts run from their bundle, rebuilt first whenever a script or lib changed (Nx cache).
    dependsOn: [{ projects: ['tenant-tasks'], target: 'build' }, ...(spec.dependsOn ?? [])],
    metadata: { description: spec.description, technologies: ['postgresql'] },
  };
}

/**
 * @param {string} configFile
 * @param {TenantPluginOptions | undefined} options
 */
function createTenantProject(configFile, options) {
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
        projectType: /** @type {const} */ ('application'),
        tags: ['type:tenant'],
        implicitDependencies: ['tenant-tasks'],
        targets,
      },
    },
  };
}

/** @type {import('@nx/devkit').CreateNodesV2<TenantPluginOptions>} */
const createNodes = [
  'tenants/*/tenant.json',
  (configFiles, options, context) => createNodesFromFiles(createTenantProject, configFiles, options ?? {}, context),
];

module.exports = { createNodes, createNodesV2: createNodes };
