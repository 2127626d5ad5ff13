/**
 * The plugin's createNodes called in-process, as Nx calls it, on a temporary workspace folder: which
 * projects and targets it infers from tenants/<name>/tenant.json, sql/analyses and the names of the
 * other projects. No nx CLI, no database (nx-workspace.test.ts checks the real workspace through Nx).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test from 'ava';
import { IDENTIFIER_PATTERN } from '@mt/cli';
import { analysisOutputDir, listAnalyses } from '@mt/pipeline';
import plugin from '../src/index.js';

const { createNodes, createNodesV2 } = plugin;
const [pattern, createNodesFunction] = createNodes;

/** This repository's nx.json (ava runs test files from the repository root). */
const NX_JSON = JSON.parse(readFileSync('nx.json', 'utf8'));

/**
 * A workspace folder: nx.json, the apps/libs/tools folders whose names a tenant may not take,
 * sql/analyses/<name>.sql for each analysis, tenants/<name>/tenant.json for each tenant.
 */
function makeWorkspace(
  t: { teardown(fn: () => void): void },
  { tenants = ['tenant_a'], analyses = ['basic', 'dashboard', 'products'], files = {} as Record<string, string> } = {},
) {
  const root = mkdtempSync(join(tmpdir(), 'nx-plugin-create-nodes-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  write('nx.json', JSON.stringify(NX_JSON, null, 2));
  for (const folder of ['apps/platform', 'apps/aurora', 'apps/tenant', 'libs/postgres', 'libs/pipeline', 'tools/bundle', 'tools/nx-plugin'])
    mkdirSync(join(root, folder), { recursive: true });
  for (const name of analyses) write(`sql/analyses/${name}.sql`, `-- section: ${name}\nselect 1\n`);
  for (const name of tenants) write(`tenants/${name}/tenant.json`, JSON.stringify({ name, database: `${name}_db` }));
  for (const [path, content] of Object.entries(files)) write(path, content);
  return root;
}

/** createNodes as Nx calls it: the matching files (relative to the workspace root) and a context. */
async function inferProjects(workspaceRoot: string, configFiles: string[]) {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
  try {
    const results = await createNodesFunction(configFiles, {}, { workspaceRoot, nxJsonConfiguration: NX_JSON });
    return { results, warnings };
  } finally {
    console.warn = warn;
  }
}

/** The single project inferred from one tenant.json. */
async function tenantProject(workspaceRoot: string, tenant: string) {
  const { results, warnings } = await inferProjects(workspaceRoot, [`tenants/${tenant}/tenant.json`]);
  if (warnings.length) throw new Error(`unexpected warnings: ${warnings.join('\n')}`);
  const project = results[0]?.[1].projects?.[`tenants/${tenant}`];
  if (!project) throw new Error(`no project for tenants/${tenant}: ${JSON.stringify(results)}`);
  return project;
}

const PIPELINE_TARGETS = [
  'tenant-run',
  'debug',
  'seed',
  'run',
  'snapshot',
  'test',
  'compile',
  'ls',
  'show',
  'source-freshness',
  'docs',
  'external-tables',
  'db-connect',
  'dev-shell',
];
const TASK_SOURCES = [
  '{workspaceRoot}/apps/tenant/src/**/*',
  '{workspaceRoot}/libs/*/src/**/*',
  '{workspaceRoot}/tools/bundle/bundle.mjs',
  '{workspaceRoot}/package-lock.json',
];

// Serial: the warning capture replaces console.warn for the duration of one call.
test.serial('the plugin matches tenants/*/tenant.json; createNodes and createNodesV2 are the same', (t) => {
  t.is(pattern, 'tenants/*/tenant.json');
  t.is(createNodesV2, createNodes);
});

test.serial('a tenants/<name>/tenant.json is an application project <name> with the pipeline targets first, in pipeline order', async (t) => {
  const root = makeWorkspace(t, { tenants: ['tenant_a'] });
  const { results, warnings } = await inferProjects(root, ['tenants/tenant_a/tenant.json']);
  t.deepEqual(warnings, []);
  t.is(results.length, 1);
  const [file, result] = results[0];
  t.is(file, 'tenants/tenant_a/tenant.json');
  t.deepEqual(Object.keys(result.projects ?? {}), ['tenants/tenant_a']);
  const { targets, ...project } = result.projects!['tenants/tenant_a'];
  t.deepEqual(project, {
    name: 'tenant_a',
    root: 'tenants/tenant_a',
    projectType: 'application',
    tags: ['type:tenant'],
    implicitDependencies: ['tenant-tasks', 'pipeline-sql', 'seeds'],
  });
  t.deepEqual(Object.keys(targets ?? {}), [...PIPELINE_TARGETS, 'analysis-basic', 'analysis-dashboard', 'analysis-products', 'report', 'analysis']);
});

test.serial('a pipeline target runs tenant/<script> with --tenant through the tenant-task executor, uncached, after its dependencies', async (t) => {
  const { targets } = await tenantProject(makeWorkspace(t, { tenants: ['tenant_b'] }), 'tenant_b');
  t.deepEqual(targets!.run, {
    executor: './tools/nx-plugin/src:tenant-task',
    options: { script: 'run', args: ['--tenant', 'tenant_b'] },
    cache: false,
    dependsOn: ['seed'],
    outputs: ['{workspaceRoot}/dist/run-state/tenant_b.fingerprint'],
    metadata: { description: 'Build the models in DAG order; unchanged models are skipped', technologies: ['postgresql'] },
  });
  t.deepEqual(targets!['tenant-run'], {
    executor: './tools/nx-plugin/src:tenant-task',
    options: { script: 'tenant-run', args: ['--tenant', 'tenant_b'] },
    cache: false,
    outputs: ['{workspaceRoot}/dist/run-state/tenant_b.fingerprint'],
    metadata: { description: 'Full tenant build: debug → seed → run → snapshot → test, with a summary', technologies: ['postgresql'] },
  });
  for (const name of PIPELINE_TARGETS) {
    const { options } = targets![name];
    if (options.tty) t.is(options.command, `node tools/bundle/run-task.mjs tenant/${name} --tenant tenant_b`, name);
    else t.deepEqual(options, { script: name, args: ['--tenant', 'tenant_b'] }, name);
    t.false(targets![name].cache, name);
  }
  // What a build leaves for the analyses' cache keys: from the five targets that build.
  t.deepEqual(
    PIPELINE_TARGETS.filter((name) => targets![name].outputs),
    ['tenant-run', 'seed', 'run', 'snapshot', 'test'],
  );
  t.deepEqual(Object.fromEntries(PIPELINE_TARGETS.map((name) => [name, targets![name].dependsOn])), {
    'tenant-run': undefined,
    debug: undefined,
    seed: undefined,
    run: ['seed'],
    snapshot: undefined,
    test: undefined,
    compile: undefined,
    ls: undefined,
    show: undefined,
    'source-freshness': undefined,
    docs: undefined,
    'external-tables': undefined,
    'db-connect': undefined,
    'dev-shell': undefined,
  });
});

test.serial('db-connect and dev-shell are interactive (tty); the other pipeline targets are not', async (t) => {
  const { targets } = await tenantProject(makeWorkspace(t), 'tenant_a');
  t.deepEqual(targets!['db-connect'].options, {
    command: 'node tools/bundle/run-task.mjs tenant/db-connect --tenant tenant_a',
    cwd: '{workspaceRoot}',
    tty: true,
  });
  t.deepEqual(targets!['dev-shell'].options, {
    command: 'node tools/bundle/run-task.mjs tenant/dev-shell --tenant tenant_a',
    cwd: '{workspaceRoot}',
    tty: true,
  });
  t.deepEqual(
    PIPELINE_TARGETS.filter((name) => targets![name].options.tty),
    ['db-connect', 'dev-shell'],
  );
});

test.serial(
  "analysis-<name>: cached on its SQL, the dbt project's files, the tenant folder, the sources, the database env and the build's fingerprint",
  async (t) => {
    const { targets } = await tenantProject(
      makeWorkspace(t, { tenants: ['tenant_c'], analyses: ['products'], files: { 'sql/models/a.sql': 'select 1' } }),
      'tenant_c',
    );
    t.deepEqual(targets!['analysis-products'], {
      executor: './tools/nx-plugin/src:tenant-analysis',
      options: { script: 'analysis', args: ['--tenant', 'tenant_c', '--name', 'products'] },
      cache: true,
      inputs: [
        '{workspaceRoot}/sql/analyses/products.sql',
        '{workspaceRoot}/sql/*.yml',
        '{workspaceRoot}/sql/models/**/*',
        '{workspaceRoot}/seeds/**/*',
        '{projectRoot}/**/*',
        ...TASK_SOURCES,
        { env: 'PG_MODE' },
        { env: 'PG_DATA_DIR' },
        { env: 'DATABASE_URL' },
        { env: 'PGHOST' },
        { env: 'PGPORT' },
        { env: 'PGDATABASE' },
        { env: 'PGUSER' },
        { env: 'MT_ARGS' },
        { dependentTasksOutputFiles: 'dist/run-state/*.fingerprint' },
      ],
      outputs: [
        '{workspaceRoot}/dist/analysis/tenant_c/products.json',
        '{workspaceRoot}/dist/analysis/tenant_c/products.md',
        '{workspaceRoot}/dist/analysis/tenant_c/products.csv',
        '{workspaceRoot}/dist/analysis/tenant_c/products.*.csv',
      ],
      dependsOn: ['tenant-run'],
      metadata: {
        description: 'Run sql/analyses/products.sql: psql-style tables, and dist/analysis/tenant_c/products.{json,csv,md}',
        technologies: ['postgresql'],
      },
    });
  },
);

test.serial(
  "the dbt project's files an analysis hashes: every folder of sql/ wherever the path keys put them, not the analyses, sql/aurora or the data tests",
  async (t) => {
    const files = Object.fromEntries(
      ['sql/dbt_project.yml', 'sql/transform/a.sql', 'sql/lib/m.sql', 'sql/seeds/s.csv', 'sql/aurora/x.sql', 'sql/tests/t.sql', 'sql/sources/lake.yml'].map(
        (f) => [f, ''],
      ),
    );
    const { targets } = await tenantProject(makeWorkspace(t, { analyses: ['basic'], files }), 'tenant_a');
    t.deepEqual(
      targets!['analysis-basic'].inputs!.filter((i) => typeof i === 'string' && /sql\/|seeds/.test(i)),
      [
        '{workspaceRoot}/sql/analyses/basic.sql',
        '{workspaceRoot}/sql/*.yml',
        '{workspaceRoot}/sql/lib/**/*',
        '{workspaceRoot}/sql/seeds/**/*',
        '{workspaceRoot}/sql/sources/**/*',
        '{workspaceRoot}/sql/transform/**/*',
        '{workspaceRoot}/seeds/**/*',
      ],
    );
  },
);

test.serial('analysis targets come from sql/analyses/*.sql in name order; other files and invalid names add none', async (t) => {
  const root = makeWorkspace(t, {
    analyses: ['zeta', 'alpha'],
    files: { 'sql/analyses/README.md': '# analyses\n', 'sql/analyses/Top-Customers.sql': 'select 1\n', 'sql/analyses/notes.sql.bak': 'select 1\n' },
  });
  const { targets } = await tenantProject(root, 'tenant_a');
  t.deepEqual(
    Object.keys(targets!).filter((name) => name.startsWith('analysis-')),
    ['analysis-alpha', 'analysis-zeta'],
  );
  t.deepEqual(targets!.analysis, {
    executor: 'nx:noop',
    dependsOn: ['analysis-alpha', 'analysis-zeta'],
    metadata: { description: 'Every analysis of sql/analyses (alpha, zeta)' },
  });
});

// The plugin is plain CommonJS and cannot import the TypeScript libs: these keep its copies equal to them.
test.serial('tenant and analysis names: the same pattern as IDENTIFIER_PATTERN of @mt/cli', (t) => {
  t.is(plugin.IDENTIFIER_PATTERN.source, IDENTIFIER_PATTERN.source);
  t.is(plugin.IDENTIFIER_PATTERN.flags, IDENTIFIER_PATTERN.flags);
});

test.serial('analysis targets: the same analyses as listAnalyses of @mt/pipeline (what the analysis task runs)', async (t) => {
  const root = makeWorkspace(t, {
    analyses: ['zeta', 'alpha', 'a_1', `t${'x'.repeat(62)}`],
    files: {
      'sql/analyses/README.md': '# analyses\n',
      'sql/analyses/Top-Customers.sql': 'select 1\n',
      'sql/analyses/1st.sql': 'select 1\n',
      [`sql/analyses/t${'x'.repeat(63)}.sql`]: 'select 1\n',
      'sql/analyses/notes.sql.bak': 'select 1\n',
    },
  });
  const { targets } = await tenantProject(root, 'tenant_a');
  t.deepEqual(listAnalyses(root), ['a_1', 'alpha', `t${'x'.repeat(62)}`, 'zeta']);
  t.deepEqual(
    targets!.analysis.dependsOn,
    listAnalyses(root).map((name) => `analysis-${name}`),
  );
});

test.serial("analysis-<name>: its outputs are in the task's folder, analysisOutputDir of @mt/pipeline", async (t) => {
  const { targets } = await tenantProject(makeWorkspace(t, { tenants: ['tenant_c'], analyses: ['products'] }), 'tenant_c');
  const outputs = targets!['analysis-products'].outputs!;
  t.is(outputs.length, 4);
  for (const output of outputs) t.true(output.startsWith(`{workspaceRoot}/${analysisOutputDir('tenant_c')}/products.`), output);
});

test.serial('report: cached on the analysis results and the sources, after analysis-dashboard and analysis-basic', async (t) => {
  const { targets } = await tenantProject(makeWorkspace(t), 'tenant_a');
  t.deepEqual(targets!.report, {
    executor: './tools/nx-plugin/src:tenant-analysis',
    options: { script: 'report', args: ['--tenant', 'tenant_a'] },
    cache: true,
    inputs: [{ dependentTasksOutputFiles: '**/*.json' }, ...TASK_SOURCES],
    outputs: ['{workspaceRoot}/dist/reports/tenant_a'],
    dependsOn: ['analysis-dashboard', 'analysis-basic'],
    metadata: { description: 'HTML dashboard with charts: dist/reports/tenant_a/index.html (self-contained)', technologies: ['postgresql'] },
  });
});

test.serial('report depends only on the analyses that exist; without sql/analyses there are no analysis targets', async (t) => {
  const onlyBasic = await tenantProject(makeWorkspace(t, { analyses: ['basic', 'products'] }), 'tenant_a');
  t.deepEqual(onlyBasic.targets!.report.dependsOn, ['analysis-basic']);
  const none = await tenantProject(makeWorkspace(t, { analyses: [] }), 'tenant_a');
  t.deepEqual(Object.keys(none.targets!), [...PIPELINE_TARGETS, 'report', 'analysis']);
  t.deepEqual(none.targets!.report.dependsOn, []);
  t.deepEqual(none.targets!.analysis, { executor: 'nx:noop', dependsOn: [], metadata: { description: 'Every analysis of sql/analyses ()' } });
});

test.serial('every tenant.json given is a project of its own, in the order given', async (t) => {
  const root = makeWorkspace(t, { tenants: ['tenant_a', 'tenant_b', 'tenant_c'] });
  const files = ['tenants/tenant_c/tenant.json', 'tenants/tenant_a/tenant.json', 'tenants/tenant_b/tenant.json'];
  const { results, warnings } = await inferProjects(root, files);
  t.deepEqual(warnings, []);
  t.deepEqual(
    results.map(([file]) => file),
    files,
  );
  t.deepEqual(
    results.map(([, result]) => Object.values(result.projects ?? {}).map((p) => p.name)),
    [['tenant_c'], ['tenant_a'], ['tenant_b']],
  );
  t.deepEqual(results[0][1].projects!['tenants/tenant_c'].targets!.seed.options, { script: 'seed', args: ['--tenant', 'tenant_c'] });
});

test.serial(
  'a tenant folder named like another project (apps, libs, tools, seeds, workspace) gets no project and a warning naming the reserved names',
  async (t) => {
    const root = makeWorkspace(t, { tenants: ['tenant_a', 'postgres', 'platform', 'seeds', 'workspace', 'bundle'] });
    const { results, warnings } = await inferProjects(root, [
      'tenants/postgres/tenant.json',
      'tenants/tenant_a/tenant.json',
      'tenants/platform/tenant.json',
      'tenants/seeds/tenant.json',
      'tenants/workspace/tenant.json',
      'tenants/bundle/tenant.json',
    ]);
    const reserved = 'reserved: aurora, bundle, nx-plugin, pipeline, platform, postgres, seeds, tenant, workspace';
    t.deepEqual(
      warnings,
      ['postgres', 'platform', 'seeds', 'workspace', 'bundle'].map(
        (name) =>
          `tenants/${name}/ is ignored: "${name}" is the name of another project of this workspace (${reserved}). Rename the folder, e.g. tenants/tenant_${name}/.`,
      ),
    );
    t.deepEqual(
      results.map(([file, result]) => [file, Object.keys(result.projects ?? {})]),
      [
        ['tenants/postgres/tenant.json', []],
        ['tenants/tenant_a/tenant.json', ['tenants/tenant_a']],
        ['tenants/platform/tenant.json', []],
        ['tenants/seeds/tenant.json', []],
        ['tenants/workspace/tenant.json', []],
        ['tenants/bundle/tenant.json', []],
      ],
    );
  },
);

test.serial('a tenant folder whose name is not a valid tenant name gets no project and no warning (the task scripts explain)', async (t) => {
  const invalid = ['Tenant_A', 'tenant-a', '1tenant', '_tenant', `t${'x'.repeat(63)}`];
  const root = makeWorkspace(t, { tenants: [...invalid, `t${'x'.repeat(62)}`] });
  const { results, warnings } = await inferProjects(
    root,
    [...invalid, `t${'x'.repeat(62)}`].map((name) => `tenants/${name}/tenant.json`),
  );
  t.deepEqual(warnings, []);
  t.deepEqual(
    results.map(([, result]) => Object.values(result.projects ?? {}).map((p) => p.name)),
    [[], [], [], [], [], [`t${'x'.repeat(62)}`]],
  );
});

test.serial('no tenant.json, no project', async (t) => {
  const { results, warnings } = await inferProjects(makeWorkspace(t, { tenants: [] }), []);
  t.deepEqual(results, []);
  t.deepEqual(warnings, []);
});

test.serial("the batches' parallelism is Nx's --parallel as Nx reads it: the flag, else NX_PARALLEL, else nx.json, else 3", (t) => {
  const nx = (...args: string[]) => ['/usr/bin/node', 'nx', 'run-many', '-t', 'tenant-run', ...args];
  t.is(plugin.parallelOf(nx(), {}, {}), 3);
  t.is(plugin.parallelOf(nx(), { parallel: 5 }, {}), 5);
  t.is(plugin.parallelOf(nx(), { parallel: 5 }, { NX_PARALLEL: '6' }), 6);
  t.is(plugin.parallelOf(nx('--parallel=1'), { parallel: 5 }, {}), 1);
  t.is(plugin.parallelOf(nx('--parallel', '4'), {}, {}), 4);
  t.is(plugin.parallelOf(nx('--parallel=false'), {}, {}), 1);
  t.is(plugin.parallelOf(nx('--parallel', 'false'), {}, {}), 1);
  t.is(plugin.parallelOf(nx('--maxParallel=2'), {}, {}), 2);
  // A bare --parallel means "yes": NX_PARALLEL, else Nx's 3 (not nx.json's).
  t.is(plugin.parallelOf(nx('--parallel', '--output-style=static'), { parallel: 5 }, {}), 3);
  t.is(plugin.parallelOf(nx('--parallel'), {}, { NX_PARALLEL: '2' }), 2);
});

test.serial('preTasksExecution: run-many and affected batch the tenant tasks; one project runs task by task unless --batch says otherwise', (t) => {
  const saved = { NX_BATCH_MODE: process.env.NX_BATCH_MODE, MT_PARALLEL: process.env.MT_PARALLEL };
  const batchMode = (...args: string[]) => {
    void plugin.preTasksExecution({}, { id: 'x', workspaceRoot: '/w', nxJsonConfiguration: {}, argv: ['/usr/bin/node', 'nx', ...args] });
    return process.env.NX_BATCH_MODE as string | undefined;
  };
  try {
    t.is(batchMode('run', 'tenant_a:tenant-run'), 'false');
    t.is(batchMode('test', 'tenant_a'), 'false');
    t.is(batchMode('run-many', '-t', 'tenant-run'), '');
    t.is(batchMode('affected', '-t', 'analysis'), '');
    t.is(batchMode('run', 'tenant_a:test', '--batch'), '');
    // An outer nx's choice does not stick to a nested one (its tasks inherit the environment).
    process.env.NX_BATCH_MODE = 'false';
    t.is(batchMode('run-many', '-t', 'tenant-run'), '');
    t.is(process.env.MT_PARALLEL, '3');
    t.throws(() => batchMode('run', 'aurora:phase', '--env=dev'), { message: /--environment=dev/ });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});
