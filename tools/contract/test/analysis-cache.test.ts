/**
 * Analyses through Nx, in a temporary git repository holding a copy of this workspace (its own
 * tenant databases on the shared test server): cache hits replay output and files, results are never
 * stale, and `nx affected -t analysis` reruns exactly what a change touched.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import test from 'ava';
import { queryOn, REPO, TEST_DATA_DIR, testEngine } from '../../../apps/tenant/test/support/workspace.ts';

const exec = promisify(execFile);
const TENANTS = ['tenant_a', 'tenant_b', 'tenant_c'];
let root: string;
const databases: Record<string, string> = {};
const env = {
  ...process.env,
  PG_MODE: 'embedded',
  PG_DATA_DIR: TEST_DATA_DIR,
  NX_DAEMON: 'false',
  NX_ISOLATE_PLUGINS: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};
delete (env as NodeJS.ProcessEnv).TENANT_NAME;

const nx = async (...args: string[]) => {
  const { stdout, stderr } = await exec(join(REPO, 'node_modules/.bin/nx'), [...args, '--output-style=static'], { cwd: root, env, maxBuffer: 64 << 20 });
  return stdout + stderr;
};
const git = (...args: string[]) => exec('git', ['-c', 'user.email=test@example.com', '-c', 'user.name=test', ...args], { cwd: root });
const write = (path: string, content: string) => (mkdirSync(dirname(join(root, path)), { recursive: true }), writeFileSync(join(root, path), content));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
/** Tasks Nx ran for real (not replayed from cache) in an output with --output-style=static. */
const executed = (out: string) =>
  [...out.matchAll(/^> nx run (\S+?)( {2}\[(local cache|existing outputs match the cache, left as is)\])?\s*$/gm)]
    .filter((m) => !m[2])
    .map((m) => m[1])
    .sort();
const cached = (out: string) =>
  [...out.matchAll(/^> nx run (\S+?) {2}\[(local cache|existing outputs match the cache, left as is)\]\s*$/gm)].map((m) => m[1]).sort();
const analysisTasks = (tasks: string[]) => tasks.filter((t) => t.includes(':analysis-'));

const sql = (tenant: string, text: string) => queryOn(tenant === 'postgres' ? 'postgres' : databases[tenant], text);

test.before(async () => {
  await testEngine().ensureUp();
  mkdirSync(join(REPO, '.data', 'test-workspaces'), { recursive: true });
  root = mkdtempSync(join(REPO, '.data', 'test-workspaces', 'git-'));
  const { stdout } = await exec('git', ['ls-files', '-z'], { cwd: REPO });
  for (const file of stdout.split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    cpSync(join(REPO, file), join(root, file));
  }
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const suffix = randomBytes(3).toString('hex');
  for (const tenant of TENANTS) {
    const file = `tenants/${tenant}/tenant.json`;
    const config = JSON.parse(read(file));
    databases[tenant] = config.database = `nx${suffix}_${tenant}`;
    write(file, JSON.stringify(config, null, 2) + '\n');
  }
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-qm', 'baseline');
});

test.after.always(async () => {
  for (const db of Object.values(databases)) await sql('postgres', `drop database if exists "${db}" with (force)`).catch(() => {});
  if (root) rmSync(root, { recursive: true, force: true });
});

test.serial('first run computes; the second replays every analysis from cache, tables and files', async (t) => {
  const first = await nx('run-many', '-t', 'analysis');
  t.deepEqual(analysisTasks(executed(first)).length, 9, first);
  const second = await nx('run-many', '-t', 'analysis');
  t.deepEqual(analysisTasks(executed(second)), [], second);
  t.is(analysisTasks(cached(second)).length, 9);
  t.regex(second, /KPIs\n total_customers \| total_orders \| total_sales/, 'the replay prints the tables');
  rmSync(join(root, 'dist/analysis/tenant_a/dashboard.json'));
  const restored = await nx('run', 'tenant_a:analysis-dashboard');
  t.deepEqual(analysisTasks(cached(restored)), ['tenant_a:analysis-dashboard']);
  t.is(JSON.parse(read('dist/analysis/tenant_a/dashboard.json')).sections[0].rows[0].total_sales, 3464.89);
});

test.serial('report: built after its analyses, cached on unchanged results', async (t) => {
  const first = await nx('run', 'tenant_c:report');
  t.regex(read('dist/reports/tenant_c/index.html'), /id="kpi-total_sales"><div class="label">Total sales<\/div><div class="value">3,464\.89</);
  t.true(executed(first).includes('tenant_c:report') || cached(first).includes('tenant_c:report'));
  const second = await nx('run', 'tenant_c:report');
  t.true(cached(second).includes('tenant_c:report'), second);
});

test.serial('never stale: a changed seed recomputes with the new data', async (t) => {
  const seed = read('seeds/orders.csv');
  write('seeds/orders.csv', seed.replace('8,1005,5,3,2024-01-16,2,39.98', '8,1005,5,3,2024-01-16,3,59.97'));
  try {
    const out = await nx('run', 'tenant_a:analysis-dashboard');
    t.deepEqual(analysisTasks(executed(out)), ['tenant_a:analysis-dashboard']);
    t.is(JSON.parse(read('dist/analysis/tenant_a/dashboard.json')).sections[0].rows[0].total_sales, 3484.88);
  } finally {
    write('seeds/orders.csv', seed);
  }
  const back = await nx('run', 'tenant_a:analysis-dashboard');
  t.is(JSON.parse(read('dist/analysis/tenant_a/dashboard.json')).sections[0].rows[0].total_sales, 3464.89, back);
});

test.serial('never stale: after make tenant-a rebuilt the data, the next analysis recomputes', async (t) => {
  write('tenants/tenant_a/seeds/regions.csv', 'region_id,region_name,country\n1,Tohoku,Japan\n2,Kansai,Japan\n3,California,United States\n4,Bavaria,Germany\n');
  try {
    await nx('run', 'tenant_a:tenant-run');
    const out = await nx('run', 'tenant_a:analysis-basic');
    t.deepEqual(analysisTasks(executed(out)), ['tenant_a:analysis-basic']);
  } finally {
    rmSync(join(root, 'tenants/tenant_a/seeds'), { recursive: true, force: true });
  }
});

test.serial("never stale: a row changed by hand recomputes (the build's fingerprint holds the change counters)", async (t) => {
  const warm = await nx('run', 'tenant_b:analysis-products');
  t.deepEqual(analysisTasks(cached(warm)), ['tenant_b:analysis-products'], warm);
  const fingerprint = () => readFileSync(join(root, 'dist/run-state/tenant_b.fingerprint'), 'utf8');
  const before = fingerprint();
  await sql('tenant_b', 'update orders set quantity = quantity + 1 where order_id = (select min(order_id) from orders)');
  const out = await nx('run', 'tenant_b:analysis-products');
  t.deepEqual(analysisTasks(executed(out)), ['tenant_b:analysis-products'], out);
  t.not(fingerprint(), before);
});

test.serial("never stale: a dropped and rebuilt database recomputes (the build's fingerprint)", async (t) => {
  const warm = await nx('run', 'tenant_b:analysis-products');
  t.deepEqual(analysisTasks(cached(warm)), ['tenant_b:analysis-products'], warm);
  await sql('postgres', `drop database "${databases.tenant_b}" with (force)`);
  const out = await nx('run', 'tenant_b:analysis-products');
  t.deepEqual(analysisTasks(executed(out)), ['tenant_b:analysis-products'], out);
  t.regex(out, /Product performance/);
});

test.serial('affected: sql/analyses/products.sql reruns only analysis-products, for every tenant', async (t) => {
  await nx('run-many', '-t', 'analysis'); // warm every cache entry for the current state
  appendFileSync(join(root, 'sql/analyses/products.sql'), '\n-- reviewed\n');
  try {
    const out = await nx('affected', '-t', 'analysis', '--base=HEAD');
    t.deepEqual(
      analysisTasks(executed(out)),
      TENANTS.map((x) => `${x}:analysis-products`),
    );
    t.deepEqual(analysisTasks(cached(out)), TENANTS.flatMap((x) => [`${x}:analysis-basic`, `${x}:analysis-dashboard`]).sort());
  } finally {
    await git('checkout', '--', 'sql/analyses/products.sql');
  }
});

test.serial('affected: a model or a seed change reruns every tenant’s analyses', async (t) => {
  for (const file of ['sql/models/marts/dim_products.sql', 'seeds/products.csv']) {
    const before = read(file);
    write(file, file.endsWith('.csv') ? before.replace('Coffee Mug', 'Coffee Cup') : before.replace('-- products with', '-- all products with'));
    try {
      const out = await nx('affected', '-t', 'analysis', '--base=HEAD');
      t.deepEqual(analysisTasks(executed(out)), TENANTS.flatMap((x) => ['basic', 'dashboard', 'products'].map((a) => `${x}:analysis-${a}`)).sort(), file);
    } finally {
      await git('checkout', '--', file);
    }
  }
});

test.serial('a new sql/analyses/<x>.sql is a new analysis-<x> on every tenant, no code change', async (t) => {
  write(
    'sql/analyses/top_customer.sql',
    "-- section: Top customer\nselect customer_name, lifetime_value from {{ ref('dim_customers') }} order by lifetime_value desc, customer_id limit 1\n",
  );
  try {
    for (const tenant of TENANTS) {
      const { targets } = JSON.parse(await nx('show', 'project', tenant, '--json'));
      t.truthy(targets['analysis-top_customer'], tenant);
      t.true(targets.analysis.dependsOn.includes('analysis-top_customer'));
    }
    const out = await nx('run', 'tenant_b:analysis-top_customer');
    t.regex(out, /Top customer\n customer_name \| lifetime_value \n-+\+-+\n Mio Tanaka +\| +1,347\.00\n\(1 row\)/);
  } finally {
    rmSync(join(root, 'sql/analyses/top_customer.sql'));
  }
});

test.serial('affected: tenants/tenant_b/** touches only tenant_b; sql/aurora/** no analysis', async (t) => {
  const file = 'tenants/tenant_b/tenant.json';
  write(file, read(file).replace('"Tenant B"', '"Tenant B (renamed)"'));
  try {
    const projects = await nx('show', 'projects', '--affected', '-t', 'analysis', '--base=HEAD');
    t.deepEqual(
      projects
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^tenant_/.test(l)),
      ['tenant_b'],
    );
  } finally {
    await git('checkout', '--', file);
  }
  write('sql/aurora/schema/extra.sql', 'select 1;\n');
  try {
    const projects = await nx('show', 'projects', '--affected', '-t', 'analysis', '--base=HEAD');
    t.deepEqual(
      projects
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^tenant_/.test(l)),
      [],
    );
    const out = await nx('affected', '-t', 'analysis', '--base=HEAD');
    t.deepEqual(analysisTasks(executed(out)), []);
  } finally {
    rmSync(join(root, 'sql/aurora/schema'), { recursive: true, force: true });
  }
});
