// @ts-check
/**
 * The workspace's own Nx plugin: every `tenants/<name>/tenant.json` is a project named <name> with
 * the pipeline targets, so adding a tenant is adding a folder. Each target runs a typed zx task
 * script of apps/tenant with `--tenant <name>`, through the tenant-task executor (src/tenant-task: many
 * tenants in one process) or, for the interactive ones, run-commands and tools/bundle/run-task.mjs;
 * arguments typed after the target are passed through.
 *
 * Plain JavaScript, type-checked by tsc (checkJs): Nx loads a .ts plugin through swc-node, which
 * costs ~450 ms on every `nx` call (docs/BENCHMARKS.md) — on a command typed dozens of times a day.
 */
const { existsSync, readdirSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');
const { createNodesFromFiles } = require('@nx/devkit');

/**
 * @typedef {Record<string, never>} TenantPluginOptions  (none)
 * @typedef {{ script: string; description: string; dependsOn?: string[]; interactive?: boolean; builds?: boolean }} TargetSpec
 */

/**
 * Valid tenant and analysis names: a copy of IDENTIFIER_PATTERN of @mt/cli (libs/cli/src/identifier.ts),
 * the source of truth, which this CommonJS file cannot import. test/create-nodes.test.ts asserts they are equal.
 */
const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
/**
 * The executors of tenant targets (src/executors.json). Named by path, and the package they live in is not
 * a project of its own: for an executor inside a project with a package.json, Nx loads TypeScript to read
 * tsconfig's customConditions, ~250 ms on every run (docs/BENCHMARKS.md).
 */
const TENANT_TASK = './tools/nx-plugin/src:tenant-task';
const TENANT_ANALYSIS = './tools/nx-plugin/src:tenant-analysis';
/** @param {string} script  @param {string[]} args */
const runTask = (script, args) => ({ command: ['node tools/bundle/run-task.mjs', `tenant/${script}`, ...args].join(' '), cwd: '{workspaceRoot}' });

/**
 * What the bundled tenant scripts are made of: a cached target that runs them hashes these.
 * @type {NonNullable<import('@nx/devkit').TargetConfiguration['inputs']>}
 */
const TASK_SOURCES = [
  '{workspaceRoot}/apps/tenant/src/**/*',
  '{workspaceRoot}/libs/*/src/**/*',
  '{workspaceRoot}/tools/bundle/bundle.mjs',
  '{workspaceRoot}/package-lock.json',
];

/**
 * Names a tenant folder may not have: those of the workspace's other projects, and the short names
 * Nx matches scoped ones by (`nx run postgres:…` would run `@mt/postgres`). The Makefile keeps the
 * same list (RESERVED).
 * @param {string} workspaceRoot
 */
function reservedNames(workspaceRoot) {
  const folders = ['apps', 'libs', 'tools'].flatMap((dir) => (existsSync(join(workspaceRoot, dir)) ? readdirSync(join(workspaceRoot, dir)) : []));
  return new Set([...folders, 'seeds', 'workspace']);
}

/**
 * Order matters for `nx show project`: the main entry first, then the steps in pipeline order.
 * @type {Record<string, TargetSpec>}
 */
const TENANT_TARGETS = {
  'tenant-run': { script: 'tenant-run', description: 'Full tenant build: debug → seed → run → snapshot → test, with a summary', builds: true },
  debug: { script: 'debug', description: 'Check tenant config, database connection and server version' },
  seed: { script: 'seed', description: 'Load seeds/*.csv (and tenant overrides) with COPY; unchanged files are skipped', builds: true },
  run: { script: 'run', description: 'Build the models in DAG order; unchanged models are skipped', dependsOn: ['seed'], builds: true },
  snapshot: { script: 'snapshot', description: 'Record SCD type 2 history (sql/snapshots) of what is built', builds: true },
  test: { script: 'test', description: 'Run the data tests (YAML and sql/tests) on what is built', builds: true },
  compile: { script: 'compile', description: 'Render the SQL of the selection into dist/compiled/<tenant>/ (--select x --print)' },
  ls: { script: 'ls', description: 'List the nodes: type, materialization, tags (--select, --output json)' },
  show: { script: 'show', description: "First rows of a node's query or of --inline SQL, psql-aligned (read-only role)" },
  'source-freshness': { script: 'source-freshness', description: 'How recent each source is (loaded_at_field, warn_after / error_after)' },
  docs: { script: 'docs', description: 'The docs site with the lineage graph: dist/docs/<tenant>/index.html (--lang ja)' },
  'external-tables': {
    script: 'external-tables',
    description:
      'Discover the data lake partitions and create/refresh the external tables (--dialect=athena|glue|redshift|aurora: DDL files; --s3: list the real buckets; --dry-run)',
  },
  'db-connect': { script: 'db-connect', description: "psql into the tenant's database", interactive: true },
  'dev-shell': { script: 'dev-shell', description: 'A shell with TENANT_NAME and PG* set for this tenant', interactive: true },
};

/**
 * @param {string} tenant
 * @param {TargetSpec} spec
 * @returns {import('@nx/devkit').TargetConfiguration}
 */
function buildTarget(tenant, spec) {
  return {
    // A psql or a shell needs the terminal itself; the rest run in-process, many tenants per worker.
    ...(spec.interactive
      ? { executor: 'nx:run-commands', options: { ...runTask(spec.script, ['--tenant', tenant]), tty: true } }
      : { executor: TENANT_TASK, options: { script: spec.script, args: ['--tenant', tenant] } }),
    // These targets change a database, so Nx must not replay them from cache: the engine itself
    // skips unchanged work using the run state kept in the tenant database.
    cache: false,
    ...(spec.dependsOn ? { dependsOn: spec.dependsOn } : {}),
    // A build ends by writing the tenant's fingerprint (libs/pipeline fingerprintFile): the analyses hash it.
    ...(spec.builds ? { outputs: [`{workspaceRoot}/dist/run-state/${tenant}.fingerprint`] } : {}),
    metadata: { description: spec.description, technologies: ['postgresql'] },
  };
}

/** Environment that decides which database an analysis reads (hashed with it). */
const DATABASE_ENV = ['PG_MODE', 'PG_DATA_DIR', 'DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER'];

/**
 * `sql/analyses/<name>.sql` → analysis names (a new file is a new target on every tenant): the same
 * list as listAnalyses of @mt/pipeline (libs/pipeline/src/analyses.ts), which the analysis task runs
 * when given no name; test/create-nodes.test.ts asserts that both agree.
 * @param {string} workspaceRoot
 */
function analysisNames(workspaceRoot) {
  const dir = join(workspaceRoot, 'sql', 'analyses');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -4))
    .filter((n) => IDENTIFIER_PATTERN.test(n))
    .sort();
}

/** Folders of sql/ that no analysis reads: the analyses (each hashes its own file), the Aurora phases, the data tests. */
const NOT_READ_BY_ANALYSES = ['analyses', 'aurora', 'tests'];

/**
 * What the data an analysis reads is built from: the dbt project's files in sql/ — every folder of it
 * but NOT_READ_BY_ANALYSES, so wherever dbt_project.yml's path keys put models, macros (analyses call
 * them too) and seeds — and the workspace's seeds/. Listed, not `sql/**` with exclusions: Nx applies an
 * exclusion to the whole list (the analysis's own file too) and counts every file of `sql/**` as
 * affecting the tenants, sql/aurora's included. One readdir, no YAML to parse on every `nx` call.
 * @param {string} workspaceRoot
 * @returns {string[]}
 */
function pipelineInputs(workspaceRoot) {
  const sql = join(workspaceRoot, 'sql');
  const folders = existsSync(sql)
    ? readdirSync(sql, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !NOT_READ_BY_ANALYSES.includes(d.name))
        .map((d) => d.name)
        .sort()
    : [];
  return ['{workspaceRoot}/sql/*.yml', ...folders.map((f) => `{workspaceRoot}/sql/${f}/**/*`), '{workspaceRoot}/seeds/**/*'];
}

/**
 * One cached target per analysis. Its inputs are exactly what its result depends on: its own SQL (so
 * editing one analysis reruns only that one), the models, snapshots and seeds, the tenant's folder, the
 * scripts' sources, the database settings, and the fingerprint of what the tenant database holds, which
 * the tenant build writes as it ends. That is a dependency-output input, so Nx hashes it only after the
 * build ran: the fingerprint is never taken from a database about to change.
 * @param {string} workspaceRoot
 * @param {string} tenant
 * @param {string} name
 * @returns {import('@nx/devkit').TargetConfiguration}
 */
function analysisTarget(workspaceRoot, tenant, name) {
  // analysisOutputDir(tenant) of @mt/pipeline, where the task writes (test/create-nodes.test.ts checks).
  const out = `{workspaceRoot}/dist/analysis/${tenant}`;
  return {
    executor: TENANT_ANALYSIS,
    options: { script: 'analysis', args: ['--tenant', tenant, '--name', name] },
    cache: true,
    inputs: [
      `{workspaceRoot}/sql/analyses/${name}.sql`,
      ...pipelineInputs(workspaceRoot),
      '{projectRoot}/**/*',
      ...TASK_SOURCES,
      ...DATABASE_ENV.map((env) => ({ env })),
      // Options make passes in the environment (tools/bundle/run-task.mjs) may change the result too.
      { env: 'MT_ARGS' },
      // What the tenant database holds: the fingerprint its build wrote last (tenant-run's output). Being a
      // dependency's output, it also makes Nx hash this task only after the build ran.
      { dependentTasksOutputFiles: 'dist/run-state/*.fingerprint' },
    ],
    outputs: [`${out}/${name}.json`, `${out}/${name}.md`, `${out}/${name}.csv`, `${out}/${name}.*.csv`],
    dependsOn: ['tenant-run'],
    metadata: {
      description: `Run sql/analyses/${name}.sql: psql-style tables, and dist/analysis/${tenant}/${name}.{json,csv,md}`,
      technologies: ['postgresql'],
    },
  };
}

/**
 * @param {string} configFile
 * @param {TenantPluginOptions | undefined} options
 * @param {import('@nx/devkit').CreateNodesContextV2} context
 */
function createTenantProject(configFile, options, context) {
  const root = dirname(configFile);
  const name = basename(root);
  // An invalid folder name is reported by the task scripts with a clear message; it gets no project.
  if (!IDENTIFIER_PATTERN.test(name)) return {};
  const reserved = reservedNames(context.workspaceRoot);
  if (reserved.has(name)) {
    console.warn(
      `tenants/${name}/ is ignored: "${name}" is the name of another project of this workspace (reserved: ${[...reserved].sort().join(', ')}). Rename the folder, e.g. tenants/tenant_${name}/.`,
    );
    return {};
  }
  /** @type {Record<string, import('@nx/devkit').TargetConfiguration>} */
  const targets = Object.fromEntries(Object.entries(TENANT_TARGETS).map(([t, spec]) => [t, buildTarget(name, spec)]));
  const analyses = analysisNames(context.workspaceRoot);
  for (const analysis of analyses) targets[`analysis-${analysis}`] = analysisTarget(context.workspaceRoot, name, analysis);
  const reportInputs = ['dashboard', 'basic'].filter((a) => analyses.includes(a));
  targets.report = {
    executor: TENANT_ANALYSIS,
    options: { script: 'report', args: ['--tenant', name] },
    cache: true,
    // Exactly the analysis results and the script: a replayed analysis gives a replayed page.
    inputs: [{ dependentTasksOutputFiles: '**/*.json' }, ...TASK_SOURCES],
    outputs: [`{workspaceRoot}/dist/reports/${name}`],
    dependsOn: reportInputs.map((a) => `analysis-${a}`),
    metadata: { description: `HTML dashboard with charts: dist/reports/${name}/index.html (self-contained)`, technologies: ['postgresql'] },
  };
  targets.analysis = {
    executor: 'nx:noop',
    dependsOn: analyses.map((a) => `analysis-${a}`),
    metadata: { description: `Every analysis of sql/analyses (${analyses.join(', ')})` },
  };
  return {
    projects: {
      [root]: {
        name,
        root,
        projectType: /** @type {const} */ ('application'),
        tags: ['type:tenant'],
        // The pipeline's files live in projects of their own (sql/, seeds/), so a change there affects
        // every tenant and nothing else; tenants/<name>/** affects only that tenant.
        implicitDependencies: ['tenant-tasks', 'pipeline-sql', 'seeds'],
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

/**
 * What `--parallel` the command asked for, as Nx reads it (false → 1, a number, bare → NX_PARALLEL
 * or 3; unset → NX_PARALLEL, nx.json `parallel`, 3). Nx passes it to no executor, and the batches of
 * tenant tasks need it: they get it as MT_PARALLEL.
 * @param {string[]} argv
 * @param {import('@nx/devkit').NxJsonConfiguration} nxJson
 * @param {NodeJS.ProcessEnv} env
 */
function parallelOf(argv, nxJson, env = process.env) {
  const flag = argv.findLast((arg) => /^--(parallel|max-parallel|maxParallel)(=|$)/.test(arg));
  const value = flag?.includes('=') ? flag.slice(flag.indexOf('=') + 1) : flag ? argv[argv.lastIndexOf(flag) + 1] : undefined;
  if (flag && value === 'false') return 1;
  if (flag && value !== undefined && /^\d+$/.test(value)) return Number(value);
  if (flag) return Number(env.NX_PARALLEL) || 3;
  return Number(env.NX_PARALLEL) || nxJson.parallel || 3;
}

/**
 * Run by Nx before any task, with the command line: sets how tenant tasks are batched (above and below).
 * `--env` belongs to Nx's run-commands (environment
 * variables for the command), which would answer `nx run aurora:phase --env=dev` with "Property 'env'
 * does not match the schema": the bastion's environment is `--environment`, and this says so instead.
 * @type {import('@nx/devkit').PreTasksExecution<TenantPluginOptions>}
 */
function preTasksExecution(_options, context) {
  const old = context.argv.find((arg) => arg === '--env' || arg.startsWith('--env='));
  if (old) {
    const value = old === '--env' ? context.argv[context.argv.indexOf(old) + 1] : old.slice('--env='.length);
    throw new Error(
      `--env is not an option of this workspace's targets (Nx reserves it for environment variables of run-commands). ` +
        `The bastion's config.json environment is --environment=${value ?? '<name>'}, e.g. npx nx run aurora:phase --phase=schema --environment=${value ?? 'dev'}, ` +
        `or make aurora-phase PHASE=schema ENV=${value ?? 'dev'}.`,
    );
  }
  process.env.MT_PARALLEL = String(parallelOf(context.argv, context.nxJsonConfiguration));
  // Batches are for many projects at once. One project's targets run task by task, each with its
  // output live and under its own header (a cold build of a big tenant prints progress for minutes);
  // `--batch` / `--batch=false` choose otherwise. Always assigned, never read: this runs in the daemon
  // when there is one (not the command's environment), and what an outer nx set here reaches the nx
  // commands its tasks start.
  const manyProjects = ['run-many', 'affected'].includes(context.argv[2] ?? '');
  const batchFlag = context.argv.some((arg) => /^--(no-)?batch(=|$)/.test(arg));
  process.env.NX_BATCH_MODE = manyProjects || batchFlag ? '' : 'false';
}

// IDENTIFIER_PATTERN and parallelOf only for the tests (Nx reads the other three).
module.exports = { createNodes, createNodesV2: createNodes, preTasksExecution, parallelOf, IDENTIFIER_PATTERN };
