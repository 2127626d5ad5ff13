/**
 * make import-dbt: the dbt project of fixtures/dbt-shop (written for these tests) brought into a scratch
 * workspace holding the sample, built there by the tenant pipeline; no password of its profiles.yml
 * anywhere; and every bad input refused with its message, the workspace exactly as it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import pg from 'pg';
import { dropDatabase, makeWorkspace, queryOn, type TestWorkspace } from '../../tenant/test/support/workspace.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'dbt-shop');
const SCRIPT = 'platform/src/import-dbt.ts';
const PASSWORDS = ['pw-East-7f3a9c', 'pw-West-51be0d'];

/** Unique per run: the tenants get databases and roles on the shared test server. */
const id = randomBytes(3).toString('hex');
const EAST = `shop_east_${id}`;
const WEST = `shop_west_${id}`;

const profilesYml = () => `# dbt's connection profiles of the shop
shop:
  target: ${EAST}
  outputs:
    ${EAST}:
      type: postgres
      host: db.shop.internal
      port: 5432
      user: shop_rw
      password: "${PASSWORDS[0]}"
      dbname: ${EAST}_db
      schema: analytics
      threads: 4
    ${WEST}:
      type: redshift
      host: west.example.com
      user: shop_rw
      pass: ${PASSWORDS[1]}
      dbname: postgres
    Shop-Dev:
      type: postgres
      dbname: dev
`;

/** A scratch copy of the fixture, as a user's project folder looks: profiles.yml and dbt's own folders beside it. */
function shopProject(t: ExecutionContext, profiles = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'mt-dbt-shop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(FIXTURE, dir, { recursive: true });
  if (profiles) writeFileSync(join(dir, 'profiles.yml'), profilesYml());
  for (const folder of ['target', 'logs', 'dbt_packages/dbt_utils']) mkdirSync(join(dir, folder), { recursive: true });
  writeFileSync(join(dir, 'target', 'manifest.json'), '{}\n');
  return dir;
}

/** Every file and folder under root with a hash of its bytes: two equal snapshots mean nothing was written. */
function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = relative(root, join(entry.parentPath, entry.name));
    files[path] = entry.isFile()
      ? createHash('sha1')
          .update(readFileSync(join(root, path)))
          .digest('hex')
      : 'folder';
  }
  return files;
}

/** No ~/.dbt or $DBT_PROFILES_DIR of the machine running the tests. */
const home = mkdtempSync(join(tmpdir(), 'mt-home-'));
const env = { HOME: home, DBT_PROFILES_DIR: '' };

let ws: TestWorkspace;
test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a'] });
});
test.after.always(async () => {
  for (const tenant of [EAST, WEST]) {
    await dropDatabase(`${tenant}_db`);
    for (const role of ['owner', 'reader']) await queryOn('postgres', `drop role if exists ${pg.escapeIdentifier(`${tenant}_${role}`)}`);
  }
  await ws?.cleanup();
  rmSync(home, { recursive: true, force: true });
});

test.serial('the sample is kept unless --force; then the project lands in sql/ and seeds/, its targets in tenants/, and the tenant builds', async (t) => {
  const src = shopProject(t);
  const before = snapshot(ws.root);
  const refused = await ws.task(SCRIPT, ['--src', src], env);
  t.is(refused.code, 1);
  t.regex(
    refused.stderr,
    /\[IMPORT_PROJECT_EXISTS\] sql\/ already holds a dbt project \("ecommerce"\) \(sql\/analyses, sql\/macros, sql\/models, .*\): importing .* would replace it\. Nothing was written\./,
  );
  t.regex(refused.stderr, /hint {2}To import anyway, run again with --force \(make import-dbt SRC=.* ARGS=--force\)/);
  t.deepEqual(snapshot(ws.root), before, 'nothing written');

  const r = await ws.task(SCRIPT, ['--src', src, '--force'], env);
  t.is(r.code, 0, r.stderr);
  const out = r.stdout + r.stderr;
  for (const line of [
    /imported .* \(dbt project "shop"\):/,
    /sql\/dbt_project\.yml +seed-paths now \["\.\.\/seeds"\]/,
    /sql\/packages\.yml +without 1 package\(s\) \(below\)/,
    /sql\/models +5 files/,
    /sql\/macros +1 file\n/,
    /sql\/snapshots +1 file\n/,
    /seeds\/ +2 CSV files/,
    new RegExp(`tenants/${EAST}/ +created \\(database ${EAST}_db\\)`),
    new RegExp(`tenants/${WEST}/ +created \\(database ${WEST}_db\\)`),
    /filled in as the sample tenants have it: displayName from the name/,
    /the previous project is in \.data\/import-dbt-backup\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\/ \(git-ignored\)/,
    new RegExp(`the engine loads the project for ${EAST}, ${WEST}: 2 seeds, 3 models, 1 snapshot, 9 tests`),
    new RegExp(`next: make dbt-compile TENANT=${EAST}\\n`),
  ])
    t.regex(out, line);

  // What could not be carried over, each with what to do.
  const left = out.slice(out.indexOf('not carried over:'));
  for (const line of [
    /- .*\/README\.md: not part of the dbt project: not copied/,
    /- .*\/target\/: dbt's build output: not copied/,
    /- .*\/logs\/: dbt's logs/,
    /- .*\/dbt_packages\/: installed packages: dbt_utils and dbt_external_tables are built in here/,
    /- package calogica\/dbt_expectations \(.*\/packages\.yml:5\): not built in, .*copy the macros you use from it into sql\/macros/,
    /- .*\/seeds\/_seeds\.yml: only CSV files are seeds here/,
    /- external table clickstream\.page_views \(.*\/models\/staging\/_staging\.yml:24\): cut from the copy: declare it in sql\/sources\/clickstream\.yml/,
    new RegExp(`- password, pass \\(${EAST}, ${WEST}\\): not carried over \\(each tenant's roles and passwords are generated here\\)`),
    new RegExp(`- host, port, user \\(${EAST}, ${WEST}\\): the server is chosen in \\.env \\(PG_MODE=external and PG\\*\\)`),
    new RegExp(`- threads 4 \\(${EAST}\\): a setting of each run here: ARGS=--threads 4`),
    new RegExp(`- schema analytics \\(${EAST}\\): models build into public`),
    new RegExp(`- type redshift \\(${WEST}\\): not carried over`),
    new RegExp(
      `- database postgres of target ${WEST}: refused for a tenant here \\("database" "postgres" is the server's maintenance database.*\\): tenants/${WEST}/tenant\\.json names ${WEST}_db`,
    ),
    /- target "Shop-Dev": not a tenant name/,
  ])
    t.regex(left, line);
  for (const password of PASSWORDS) t.false(out.includes(password), 'no password in the output');

  // The files: the project's, edited only where it had to be; the workspace's own stay.
  const project = ws.read('sql/dbt_project.yml');
  t.regex(
    project,
    /# make import-dbt: the seeds are the workspace's seeds\/ \(was \["seeds"\]\)\nseed-paths: \["\.\.\/seeds"\] {11}# the raw exports, loaded with dbt seed\n/,
  );
  t.is(project.replace(/# make import-dbt.*\n/, '').replace('["../seeds"]', '["seeds"]'), readFileSync(join(src, 'dbt_project.yml'), 'utf8'));
  t.notRegex(ws.read('sql/packages.yml'), /dbt_expectations/);
  t.regex(ws.read('sql/packages.yml'), /dbt-labs\/dbt_utils/);
  const staging = ws.read('sql/models/staging/_staging.yml');
  t.notRegex(staging, /external:|SHOP_BUCKET/);
  t.regex(staging, /description: One row per page view\.\n {8}# what each view records\n {8}columns:/);
  for (const kept of ['sql/aurora/schema/create-tenant-schemas.sql', 'sql/project.json', 'seeds/project.json']) t.true(existsSync(join(ws.root, kept)), kept);
  for (const gone of ['sql/sources', 'sql/models/marts/dim_customers.sql', 'seeds/customers.csv']) t.false(existsSync(join(ws.root, gone)), gone);
  const backup = join(ws.root, '.data/import-dbt-backup', readdirSync(join(ws.root, '.data/import-dbt-backup'))[0]);
  for (const moved of ['sql/dbt_project.yml', 'sql/sources/lake.yml', 'sql/models/marts/dim_customers.sql', 'seeds/customers.csv'])
    t.true(existsSync(join(backup, moved)), `${moved} is in the backup`);
  t.deepEqual(readdirSync(join(ws.root, '.data')).sort(), ['import-dbt-backup'], 'the staging folder is gone');
  t.deepEqual(JSON.parse(ws.read(`tenants/${EAST}/tenant.json`)), {
    $schema: '../../libs/tenant-config/schemas/tenant.schema.json',
    name: EAST,
    displayName: `Shop East ${id.replace(/^./, (c) => c.toUpperCase())}`,
    database: `${EAST}_db`,
    aurora: { schema: EAST },
    dataLake: { bucket: `shop-east-${id}-data-lake`, prefix: 'ecommerce-data' },
  });
  t.is(JSON.parse(ws.read(`tenants/${WEST}/tenant.json`)).database, `${WEST}_db`);
  t.false(existsSync(join(ws.root, 'tenants/Shop-Dev')));
  for (const [path, hash] of Object.entries(snapshot(ws.root)))
    if (hash !== 'folder') for (const password of PASSWORDS) t.false(readFileSync(join(ws.root, path), 'utf8').includes(password), `no password in ${path}`);

  // It builds here: seeds, models, snapshot and tests, as any tenant.
  const build = await ws.task('tenant/src/tenant-run.ts', ['--tenant', EAST]);
  t.is(build.code, 0, build.stdout + build.stderr);
  t.regex(build.stdout, new RegExp(`${EAST}: OK — 6 built, 9 pass`));
  const rows = await queryOn(
    `${EAST}_db`,
    'select customer_name, revenue::text, revenue_cents::int, big_orders::int from customer_revenue order by customer_id',
  );
  t.deepEqual(rows, [
    { customer_name: 'Aiko Tanaka', revenue: '105.50', revenue_cents: 10550, big_orders: 1 },
    { customer_name: 'Ben Carter', revenue: '12.25', revenue_cents: 1225, big_orders: 0 },
    { customer_name: 'Chloé Martin', revenue: '149.99', revenue_cents: 14999, big_orders: 2 },
    { customer_name: 'Dev Patel', revenue: '0', revenue_cents: 0, big_orders: 0 },
  ]);
});

test.serial('a second import: refused without --force; with it, the tenant.json files are replaced and kept in the backup', async (t) => {
  const src = shopProject(t);
  const before = snapshot(ws.root);
  const refused = await ws.task(SCRIPT, ['--src', src], env);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /\[IMPORT_PROJECT_EXISTS\] sql\/ already holds a dbt project \("shop"\)/);
  t.deepEqual(snapshot(ws.root), before);

  ws.write(`tenants/${EAST}/tenant.json`, ws.read(`tenants/${EAST}/tenant.json`).replace(/"displayName": "[^"]*"/, '"displayName": "Mine"'));
  const again = await ws.task(SCRIPT, ['--src', src, '--force'], env);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stderr, new RegExp(`tenants/${EAST}/ +replaced \\(database ${EAST}_db\\)`));
  t.not(JSON.parse(ws.read(`tenants/${EAST}/tenant.json`)).displayName, 'Mine');
  const backups = readdirSync(join(ws.root, '.data/import-dbt-backup')).sort();
  t.is(backups.length, 2);
  t.regex(readFileSync(join(ws.root, '.data/import-dbt-backup', backups[1], `tenants/${EAST}/tenant.json`), 'utf8'), /"Mine"/);
});

test('--help; no --src is a usage error', async (t) => {
  const help = await ws.task(SCRIPT, ['--help'], env);
  t.is(help.code, 0);
  t.regex(help.stdout, /--src .*--force .*--profiles/s);
  const none = await ws.task(SCRIPT, [], env);
  t.is(none.code, 1);
  t.regex(none.stderr, /Missing required argument: src/);
});

/** Runs the import with these arguments and checks it is refused with the message, leaving the workspace as it was. */
async function refusedWith(t: ExecutionContext, args: string[], message: RegExp, extraEnv: NodeJS.ProcessEnv = {}) {
  const fresh = await makeWorkspace({ tenants: ['tenant_a'] });
  try {
    const before = snapshot(fresh.root);
    const r = await fresh.task(SCRIPT, args, { ...env, ...extraEnv });
    t.is(r.code, 1, r.stdout + r.stderr);
    t.regex(r.stderr, message);
    t.regex(r.stderr, /Nothing was written\./);
    t.deepEqual(snapshot(fresh.root), before, 'the workspace is exactly as it was');
  } finally {
    await fresh.cleanup();
  }
}

/** A project folder holding these files. */
function projectWith(t: ExecutionContext, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mt-dbt-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('SRC that does not exist, or is a file', async (t) => {
  await refusedWith(t, ['--src', 'no/such/project', '--force'], /\[IMPORT_SOURCE\] SRC "no\/such\/project" does not exist \(.*no\/such\/project\)\./);
  await refusedWith(t, ['--src', join(FIXTURE, 'README.md'), '--force'], /\[IMPORT_SOURCE\] SRC ".*README\.md" is a file, not a folder\./);
});

test('SRC without dbt_project.yml (the hint names a folder below that has one)', async (t) => {
  const empty = projectWith(t, { 'models/a.sql': 'select 1\n' });
  await refusedWith(t, ['--src', empty, '--force'], /\[IMPORT_SOURCE\] .*\/dbt_project\.yml does not exist: SRC must be the folder of a dbt project\./);
  const parent = projectWith(t, { 'shop/dbt_project.yml': 'name: shop\n' });
  await refusedWith(t, ['--src', parent, '--force'], /hint {2}It is in .*\/shop: make import-dbt SRC=.*\/shop\. Nothing was written\./);
});

test('a dbt_project.yml that is not YAML, or names a folder outside the project', async (t) => {
  const broken = projectWith(t, { 'dbt_project.yml': 'name: shop\nmodels: [unclosed\n' });
  await refusedWith(t, ['--src', broken, '--force'], /\[IMPORT_SOURCE\] .*\/dbt_project\.yml:\d+:\d+ is not valid YAML: /);
  const outside = projectWith(t, { 'dbt_project.yml': 'name: shop\nmodel-paths: ["../shared/models"]\n' });
  await refusedWith(t, ['--src', outside, '--force'], /"model-paths" names "\.\.\/shared\/models", which is not a folder inside the project/);
  const taken = projectWith(t, { 'dbt_project.yml': 'name: shop\nmacro-paths: ["aurora"]\n', 'aurora/m.sql': '' });
  await refusedWith(t, ['--src', taken, '--force'], /"macro-paths" names aurora, but sql\/aurora is the Aurora phase SQL here\./);
});

test("a dbt_project.yml the engine refuses: its message, naming SRC's file; the sample stays even with --force", async (t) => {
  const typo = projectWith(t, {
    'dbt_project.yml': 'name: shop\nversion: "1.0.0"\nmodles:\n  shop:\n    +materialized: view\n',
    'models/a.sql': 'select 1 as x\n',
  });
  await refusedWith(
    t,
    ['--src', typo, '--force'],
    /\[INVALID_PROJECT\] .*\/dbt_project\.yml, copied as sql\/dbt_project\.yml, is refused by this workspace's engine: sql\/dbt_project\.yml: unknown key "modles" \(did you mean "models"\?\)/,
  );
});

test('--profiles that does not exist', async (t) => {
  await refusedWith(
    t,
    ['--src', shopProject(t, false), '--force', '--profiles', 'nowhere/profiles.yml'],
    /\[IMPORT_PROFILES\] --profiles nowhere\/profiles\.yml: there is no such file/,
  );
});
