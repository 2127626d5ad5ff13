import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import test from 'ava';
import pg from 'pg';
import { dropDatabase, makeWorkspace, testEngine, type TestWorkspace } from '../../tenant/test/support/workspace.ts';

let ws: TestWorkspace;
const target = `mta_${randomBytes(4).toString('hex')}`;
const phase = (name: string, ...args: string[]) => ws.task('aurora/src/phase.ts', ['--phase', name, ...args]);

async function onTarget<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client(testEngine().clientConfig(target));
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const EXPECTED_VERIFICATION = ` schema_name 
-------------
 tenant_a
 tenant_b
 tenant_c
(3 rows)

 schemaname | tablename | tableowner 
------------+-----------+------------
 tenant_a   | users     | postgres
 tenant_b   | users     | postgres
 tenant_c   | users     | postgres
(3 rows)

  tenant  | user_count 
----------+------------
 tenant_a |          5
 tenant_b |          5
 tenant_c |          5
(3 rows)

`;

test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a', 'tenant_b', 'tenant_c'] });
  // This workspace's own target database instead of multitenant_analytics.
  ws.write('config.json', ws.read('../../../config.json').replaceAll('"multitenant_analytics"', `"${target}"`));
});
test.after.always(async () => {
  await dropDatabase(target);
  await ws?.cleanup();
});

test.serial('a phase before the database phase says to run the database phase (not a tenant hint)', async (t) => {
  const r = await phase('schema');
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`\\[DB_NOT_FOUND\\] Database "${target}" does not exist .* The schema phase runs in it, and the database phase creates it\\.`));
  t.regex(r.stderr, /hint {2}Run the database phase first: npx nx run aurora:phase --phase=database \(or every phase in order: npx nx run aurora:setup\)/);
  t.notRegex(r.stderr, /Tenant tasks/);
});

test.serial('the four phases in order build the multi-tenant database; verification prints what psql prints', async (t) => {
  for (const name of ['database', 'schema', 'data']) {
    const r = await phase(name);
    t.is(r.code, 0, r.stderr);
  }
  const v = await phase('verification');
  t.is(v.code, 0, v.stderr);
  t.is(v.stdout, EXPECTED_VERIFICATION);
  t.deepEqual(await onTarget('select email, full_name from tenant_b.users where user_id = 1'), [
    { email: 'user1@tenant-b.example.com', full_name: 'Aiko Tanaka' },
  ]);
});

test.serial('running every phase again changes nothing and verifies the same', async (t) => {
  for (const name of ['database', 'schema', 'data']) {
    const r = await phase(name);
    t.is(r.code, 0, r.stderr);
    if (name !== 'database') t.regex(r.stderr, /already applied, unchanged/);
  }
  t.is((await phase('verification')).stdout, EXPECTED_VERIFICATION);
  const [{ n }] = await onTarget<{ n: number }>('select count(*)::int as n from aurora_setup.applied_files');
  t.is(n, 2);
});

test.serial('an applied file that changed is refused with a clear message; --force re-applies it', async (t) => {
  const file = 'sql/aurora/data/insert-sample-data.sql';
  const before = ws.read(file);
  ws.write(file, before.replace("'Emma Novak'", "'Emma Nowak'"));
  try {
    const r = await phase('data');
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      /\[AURORA_FILE_CHANGED\] sql\/aurora\/data\/insert-sample-data\.sql was applied on \d{4}-\d\d-\d\dT[\d:.]+Z and has changed since[\s\S]*--force/,
    );
    const forced = await phase('data', '--force');
    t.is(forced.code, 0, forced.stderr);
    t.regex(forced.stderr, /insert-sample-data\.sql: applied/);
  } finally {
    ws.write(file, before);
    await phase('data', '--force');
  }
});

test.serial('a new tenant gets its schema, table and users with no SQL edit', async (t) => {
  mkdirSync(`${ws.root}/tenants/tenant_d`, { recursive: true });
  ws.write(
    'tenants/tenant_d/tenant.json',
    JSON.stringify({
      name: 'tenant_d',
      database: 'tenant_d_db',
      aurora: { schema: 'tenant_d' },
      dataLake: { bucket: 'tenant-d-data-lake', prefix: 'ecommerce-data' },
    }),
  );
  try {
    for (const name of ['schema', 'data']) {
      const r = await phase(name);
      t.is(r.code, 0, r.stderr);
      t.regex(r.stderr, /the tenant registry changed, applying again/);
    }
    const v = await phase('verification');
    t.regex(v.stdout, / tenant_d \|\s+5\n\(4 rows\)/);
    const filter = await ws.task('aurora/src/zero-etl-filter.ts');
    t.is(
      filter.stdout.trim(),
      `include: multitenant_analytics.tenant_a.users, include: multitenant_analytics.tenant_b.users, include: multitenant_analytics.tenant_c.users, include: multitenant_analytics.tenant_d.users`,
    );
  } finally {
    mkdirSync(`${ws.root}/tenants/tenant_d`, { recursive: true });
    ws.write('tenants/tenant_d/tenant.json', '{}');
    (await import('node:fs')).rmSync(`${ws.root}/tenants/tenant_d`, { recursive: true, force: true });
  }
});

test.serial('unknown phase lists the known ones; nothing runs', async (t) => {
  const r = await phase('indexes');
  t.is(r.code, 1);
  t.regex(r.stderr, /\[UNKNOWN_PHASE\] Unknown phase "indexes": known phases are database, schema, data, verification/);
});

test.serial('a SQL error stops the phase with file:line:col and a caret (or the server detail); nothing recorded', async (t) => {
  ws.write('sql/aurora/data/zz-broken.sql', "-- a typo\nINSERT INTO tenant_a.users (user_id, emial, full_name)\nVALUES (99, 'x@example.com', 'x');\n");
  try {
    const r = await phase('data');
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      /\[SQL_ERROR\] sql\/aurora\/data\/zz-broken\.sql:2:38: ERROR: +column "emial" of relation "users" does not exist\n +2 \| INSERT INTO tenant_a\.users \(user_id, emial, full_name\)\n +\| +\^/,
    );
    ws.write('sql/aurora/data/zz-broken.sql', "INSERT INTO tenant_a.users (user_id, email, full_name)\nVALUES (99, NULL, 'x');\n");
    const nulls = await phase('data');
    t.regex(nulls.stderr, /\[SQL_ERROR\] sql\/aurora\/data\/zz-broken\.sql:1: ERROR: +null value in column "email"[\s\S]*DETAIL: +Failing row contains/);
    t.deepEqual(await onTarget("select count(*)::int as n from aurora_setup.applied_files where file like '%zz-broken%'"), [{ n: 0 }]);
  } finally {
    rmSync(`${ws.root}/sql/aurora/data/zz-broken.sql`);
  }
});

test.serial('a file that fails halfway leaves neither its changes nor a history row; a --! no-transaction file runs outside one', async (t) => {
  const half = 'sql/aurora/data/zz-halfway.sql';
  ws.write(
    half,
    "INSERT INTO tenant_a.users (user_id, email, full_name) VALUES (97, 'first@example.com', 'first');\nINSERT INTO tenant_a.users (user_id, email, full_name) VALUES (98, NULL, 'second');\n",
  );
  try {
    const r = await phase('data');
    t.is(r.code, 1);
    t.regex(r.stderr, /zz-halfway\.sql:2: ERROR: +null value in column "email"/);
    t.deepEqual(await onTarget('select count(*)::int as n from tenant_a.users where user_id = 97'), [{ n: 0 }], 'the first statement was rolled back');
    t.deepEqual(await onTarget("select count(*)::int as n from aurora_setup.applied_files where file like '%zz-halfway%'"), [{ n: 0 }]);
  } finally {
    rmSync(`${ws.root}/${half}`);
  }
  const concurrently = 'sql/aurora/data/zz-index.sql';
  ws.write(concurrently, '--! no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_full_name ON tenant_a.users (full_name);\n');
  try {
    const r = await phase('data');
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /zz-index\.sql: applied \(1 statements/);
    t.deepEqual(await onTarget("select count(*)::int as n from pg_indexes where indexname = 'users_full_name'"), [{ n: 1 }]);
    // Recorded after it ran (its own statement, not its transaction): with the file's checksum, so a re-run skips it.
    const sql = ws.read(concurrently);
    t.deepEqual(await onTarget("select phase, checksum from aurora_setup.applied_files where file like '%zz-index%'"), [
      { phase: 'data', checksum: createHash('sha256').update(sql).digest('hex') },
    ]);
    const again = await phase('data');
    t.is(again.code, 0, again.stderr);
    t.regex(again.stderr, /zz-index\.sql: already applied, unchanged/);
  } finally {
    rmSync(`${ws.root}/${concurrently}`);
  }
});
