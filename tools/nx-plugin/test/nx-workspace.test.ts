import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { listAnalyses } from '@mt/pipeline';
import { REPO, TEST_DATA_DIR, testEngine } from '../../../apps/tenant/test/support/workspace.ts';

const run = promisify(execFile);
const nx = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(join(REPO, 'node_modules/.bin/nx'), args, {
    cwd: REPO,
    env: { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false', NX_NO_CLOUD: 'true', ...env },
  });

const TENANT_TARGETS = [
  'analysis',
  'analysis-basic',
  'analysis-dashboard',
  'analysis-products',
  'compile',
  'db-connect',
  'debug',
  'dev-shell',
  'docs',
  'external-tables',
  'ls',
  'report',
  'run',
  'seed',
  'show',
  'snapshot',
  'source-freshness',
  'tenant-run',
  'test',
];

test.serial('every tenant folder is an Nx project with the pipeline targets', async (t) => {
  const { stdout } = await nx(['show', 'project', 'tenant_a', '--json']);
  const project = JSON.parse(stdout);
  t.is(project.root, 'tenants/tenant_a');
  t.deepEqual(Object.keys(project.targets).sort(), TENANT_TARGETS);
  t.is(project.targets['tenant-run'].executor, './tools/nx-plugin/src:tenant-task');
  t.deepEqual(project.targets['tenant-run'].options, { script: 'tenant-run', args: ['--tenant', 'tenant_a'] });
  t.deepEqual(project.targets.run.dependsOn, ['seed']);
  t.truthy(project.targets.seed.metadata.description);
});

test.serial('adding tenants/<name>/tenant.json adds a project with every target, no code change', async (t) => {
  const dir = join(REPO, 'tenants', 'tenant_zz_test');
  mkdirSync(dir, { recursive: true });
  cpSync(join(REPO, 'tenants/tenant_c/tenant.json'), join(dir, 'tenant.json'));
  try {
    const { stdout } = await nx(['show', 'projects', '--json']);
    t.true(JSON.parse(stdout).includes('tenant_zz_test'));
    const project = JSON.parse((await nx(['show', 'project', 'tenant_zz_test', '--json'])).stdout);
    t.deepEqual(Object.keys(project.targets).sort(), TENANT_TARGETS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await nx(['reset', '--only-workspace-data']).catch(() => {});
  }
});

test.serial("analysis targets: cached, after the tenant build, with the build's fingerprint", async (t) => {
  const { targets } = JSON.parse((await nx(['show', 'project', 'tenant_b', '--json'])).stdout);
  const products = targets['analysis-products'];
  t.true(products.cache);
  t.deepEqual(products.dependsOn, ['tenant-run']);
  t.true(products.inputs.includes('{workspaceRoot}/libs/*/src/**/*'), "the scripts' sources");
  t.true(products.inputs.includes('{workspaceRoot}/sql/analyses/products.sql'));
  t.false(products.inputs.some((i: unknown) => typeof i === 'string' && i.includes('analyses/basic')));
  t.true(products.inputs.some((i: any) => i.dependentTasksOutputFiles === 'dist/run-state/*.fingerprint'));
  t.deepEqual(targets['tenant-run'].outputs, ['{workspaceRoot}/dist/run-state/tenant_b.fingerprint']);
  t.deepEqual(products.outputs, [
    '{workspaceRoot}/dist/analysis/tenant_b/products.json',
    '{workspaceRoot}/dist/analysis/tenant_b/products.md',
    '{workspaceRoot}/dist/analysis/tenant_b/products.csv',
    '{workspaceRoot}/dist/analysis/tenant_b/products.*.csv',
  ]);
  t.deepEqual(targets.analysis.dependsOn, ['analysis-basic', 'analysis-dashboard', 'analysis-products']);
});

test.serial('make analysis-<unknown> lists the available analyses', async (t) => {
  const err = await run('make', ['analysis-nope'], { cwd: REPO }).catch((e) => e);
  t.regex(err.stderr, /Unknown analysis "nope": there is no sql\/analyses\/nope\.sql\. Available: basic dashboard products/);
});

test.serial("make's analyses (its check, scripts/run_analysis.sh --help) are listAnalyses of @mt/pipeline", async (t) => {
  const { stdout } = await run('make', ['--no-print-directory', '-s', 'list-analyses'], { cwd: REPO });
  t.is(stdout.trim(), listAnalyses(REPO).join(' '));
});

test.serial('make help lists every target with one line', async (t) => {
  const { stdout } = await run('make', ['help'], { cwd: REPO, env: { ...process.env, NO_COLOR: '1' } });
  for (const target of [
    'analysis-all',
    'analysis-basic',
    'analysis-dashboard',
    'analysis-products',
    'report',
    'tenant-a',
    'tenant-b',
    'tenant-run',
    'dbt-debug',
    'dbt-seed',
    'dbt-run',
    'up',
    'down',
    'db-status',
    'db-connect',
    'dev-shell',
    'dev-logs',
    'setup',
    'quick-start',
    'demo',
    'info',
    'examples',
    'version',
    'test',
    'data-lake',
    'external-tables',
  ]) {
    t.regex(stdout, new RegExp(`\\b${target}\\b.* \\w`), target);
  }
});

test.serial('nx run <tenant>:tenant-run runs the task script through Nx', async (t) => {
  await testEngine().ensureUp();
  const { stdout, stderr } = await nx(['run', 'tenant_c:tenant-run', '--json'], { PG_DATA_DIR: TEST_DATA_DIR, PG_MODE: 'embedded', NO_COLOR: '1' });
  t.regex(stdout + stderr, /Successfully ran target tenant-run for project tenant_c/);
  t.regex(stdout, /"tenant": "tenant_c"/);
});

test.serial('nx run <tenant>:<target> runs task by task, not in a batch (its output live, under its own header)', async (t) => {
  await testEngine().ensureUp();
  const { stdout, stderr } = await nx(['run', 'tenant_c:debug'], { PG_DATA_DIR: TEST_DATA_DIR, PG_MODE: 'embedded', NO_COLOR: '1' });
  t.regex(stdout, /> nx run tenant_c:debug\n/);
  t.regex(stdout + stderr, /tenant_c \(Tenant C\)/);
  t.notRegex(stdout + stderr, /tasks with/);
});

test.serial(
  'nx run-many: the tenants run in one batch, each with its own output and result; a failing tenant fails alone, and what depends on it does not run',
  async (t) => {
    await testEngine().ensureUp();
    const bad = join(REPO, 'tenants', 'tenant_zz_bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'tenant.json'), '{ not json\n');
    try {
      const env = { PG_DATA_DIR: TEST_DATA_DIR, PG_MODE: 'embedded', NO_COLOR: '1' };
      const many = await nx(['run-many', '-t', 'debug', '-p', 'tenant_c,tenant_zz_bad', '--parallel=2', '--output-style=static'], env).catch((e) => e);
      t.is(many.code, 1);
      t.regex(many.stdout + many.stderr, /Running 2 tasks with \.\/tools\/nx-plugin\/src:tenant-task/);
      // Split at Nx's task headers: each block holds one tenant's output and nothing of the other's.
      const blocks = Object.fromEntries(
        many.stdout
          .split(/^> nx run /m)
          .slice(1)
          .map((block: string) => [block.slice(0, block.indexOf('\n')).trim(), block]),
      );
      t.regex(blocks['tenant_c:debug'], /tenant_c \(Tenant C\)[\s\S]*connection ok/);
      t.notRegex(blocks['tenant_c:debug'], /tenant_zz_bad/);
      t.regex(blocks['tenant_zz_bad:debug'], /error \[INVALID_TENANT_CONFIG\] tenants\/tenant_zz_bad\/tenant\.json is not valid JSON/);
      t.notRegex(blocks['tenant_zz_bad:debug'], /tenant_c/);
      t.regex(many.stderr, /Failed tasks:\s+- tenant_zz_bad:debug\s*$/m);

      const chain = await nx(['run-many', '-t', 'run', '-p', 'tenant_zz_bad'], env).catch((e) => e);
      t.is(chain.code, 1);
      t.regex(chain.stdout, /> nx run tenant_zz_bad:run\n\nnot run: tenant_zz_bad:seed failed/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
      await nx(['reset', '--only-workspace-data']).catch(() => {});
    }
  },
);
