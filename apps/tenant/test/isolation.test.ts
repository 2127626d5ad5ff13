import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import { makeWorkspace, queryOn, testEngine } from './support/workspace.ts';

test('two concurrent runs of one tenant: the second waits, both succeed', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  const gate = new pg.Client(testEngine().clientConfig(ws.databases.tenant_a));
  try {
    const ready = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(ready.code, 0, ready.stderr);
    // A new model that waits for a lock the test holds: the first run stays inside the run lock until
    // the second is seen waiting for it, however slowly each process starts on a busy machine.
    ws.write('sql/models/marts/gated_model.sql', 'select 1 as x from (select pg_advisory_xact_lock(4242)) as gate\n');
    await gate.connect();
    await gate.query('select pg_advisory_lock(4242)');
    const waiting = async (n: number) => {
      for (let i = 0; i < 600; i++) {
        const { rows } = await gate.query(
          `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`,
        );
        if (rows[0].n >= n) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`never saw ${n} run(s) waiting`);
    };
    const first = ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json']);
    await waiting(1); // the first run, at the gated model
    const second = ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json']);
    await waiting(2); // and the second, at the run lock
    await gate.end();
    const [a, b] = await Promise.all([first, second]);
    t.is(a.code, 0, a.stderr);
    t.is(b.code, 0, b.stderr);
    t.regex(b.stderr, /waiting for another run on \S+ \(tenant_a\) to finish: task runner: tenant_a, process \d+/);
    const built = [a, b].map((r) =>
      JSON.parse(r.stdout)
        .results.filter((x: any) => x.status === 'built')
        .map((x: any) => x.id),
    );
    t.deepEqual(built, [['model.gated_model'], []], 'the run that waited found everything built');
    const [runs] = await ws.query('tenant_a', `select count(*)::int as n, count(*) filter (where status = 'success')::int as ok from pipeline_meta.runs`);
    t.deepEqual(runs, { n: 3, ok: 3 });
  } finally {
    await gate.end().catch(() => {});
    await ws.cleanup();
  }
});

test("a run for tenant_a touches nothing in tenant_b's database", async (t) => {
  const ws = await makeWorkspace();
  try {
    for (const tenant of ['tenant_a', 'tenant_b']) {
      const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', tenant]);
      t.is(r.code, 0, r.stderr);
    }
    const fingerprintB = async () =>
      (
        await ws.query(
          'tenant_b',
          `select
        (select md5(string_agg(unique_id || fingerprint || finished_at::text, ',' order by unique_id)) from pipeline_meta.node_state) as state,
        (select count(*) from pipeline_meta.runs) as runs,
        (select md5(string_agg(c::text, ',' order by customer_id)) from dim_customers c) as data,
        (select sum(n_tup_ins + n_tup_upd + n_tup_del) from pg_stat_user_tables) as writes`,
        )
      )[0];
    const before = await fingerprintB();
    ws.write(
      'seeds/customers.csv',
      ws.read('seeds/customers.csv').replace('John Doe', 'John Q. Doe').replace('2024-01-01 09:00:00\n', '2024-02-01 09:00:00\n'),
    );
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--full-refresh']);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(await fingerprintB(), before);
    const [a] = await ws.query('tenant_a', "select count(*)::int as n from dim_customers where customer_name = 'John Q. Doe'");
    t.is(a.n, 1);
    const [b] = await ws.query('tenant_b', "select count(*)::int as n from dim_customers where customer_name like 'John%'");
    t.is(b.n, 0);
  } finally {
    await ws.cleanup();
  }
});

test("a tenant.json naming another tenant's database is refused for both, naming each; nothing is written", async (t) => {
  const ws = await makeWorkspace();
  try {
    const shared = ws.databases.tenant_a;
    ws.write('tenants/tenant_b/tenant.json', ws.read('tenants/tenant_b/tenant.json').replace(ws.databases.tenant_b, shared));
    for (const [tenant, other] of [
      ['tenant_b', 'tenant_a'],
      ['tenant_a', 'tenant_b'],
    ]) {
      const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', tenant]);
      t.is(r.code, 1, r.stdout);
      t.regex(
        r.stderr,
        new RegExp(
          `\\[INVALID_TENANT_CONFIG\\] tenants/${tenant}/tenant\\.json has 1 problem[\\s\\S]*"database" "${shared}" is also the database of ${other} \\(tenants/${other}/tenant\\.json\\): every tenant needs a database of its own`,
        ),
      );
    }
    t.deepEqual(await queryOn('postgres', 'select datname from pg_database where datname = $1', [shared]), [], 'the shared database was never created');
  } finally {
    await ws.cleanup();
  }
});

test("the server's own databases are refused as tenant databases: postgres, template0/1, the Aurora database", async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  ws.write('config.json', JSON.stringify({ aurora: { phases: { schema: { connection_db: 'multitenant_analytics' } } } }));
  const original = ws.read('tenants/tenant_a/tenant.json');
  try {
    for (const [database, why] of [
      ['template1', 'the template every new database copies'],
      ['postgres', "the server's maintenance database"],
      ['template0', 'a template database'],
      ['multitenant_analytics', 'the database of the Aurora schema phase \\(config\\.json\\)'],
    ]) {
      ws.write('tenants/tenant_a/tenant.json', original.replace(ws.databases.tenant_a, database));
      const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
      t.is(r.code, 1, database);
      t.regex(
        r.stderr,
        new RegExp(`"database" "${database}" is ${why}, not a tenant's: give the tenant a database of its own, e\\.g\\. "tenant_a_db"`),
        database,
      );
    }
    const [poisoned] = await queryOn('template1', "select count(*)::int as n from pg_namespace where nspname = 'pipeline_meta'");
    t.is(poisoned.n, 0, 'template1 holds no tables of ours');
  } finally {
    ws.write('tenants/tenant_a/tenant.json', original);
    await ws.cleanup();
  }
});

test('a run waiting for a paused holder names it and gives up after RUN_LOCK_TIMEOUT, doing nothing', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  let holder: pg.Client | undefined;
  try {
    const first = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(first.code, 0, first.stderr);
    holder = new pg.Client({ ...ws.configAs('tenant_a', 'owner'), application_name: 'a paused run' });
    await holder.connect();
    await holder.query('select pg_advisory_lock(hashtext($1))', [`pipeline:${ws.databases.tenant_a}`]);
    const {
      rows: [me],
    } = await holder.query('select pg_backend_pid() as pid');
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a'], { RUN_LOCK_TIMEOUT: '2' });
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      new RegExp(
        `waiting for another run on ${ws.databases.tenant_a} \\(tenant_a\\) to finish: a paused run \\(server pid ${me.pid}, connected since [0-9-]+ [0-9:]+\\) \\(gives up after 2 s`,
      ),
    );
    t.regex(
      r.stderr,
      new RegExp(`\\[RUN_LOCK_TIMEOUT\\] Waited 2 s for another run on ${ws.databases.tenant_a}, held by a paused run \\(server pid ${me.pid}`),
    );
    const [runs] = await ws.query('tenant_a', 'select count(*)::int as n from pipeline_meta.runs');
    t.is(runs.n, 1, 'the run that gave up recorded nothing');
  } finally {
    await holder?.end().catch(() => {});
    await ws.cleanup();
  }
});

test('external mode, a tenant database that exists but belongs to another role: a clear message, nothing created', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  const suffix = ws.databases.tenant_a.slice(0, 9);
  const [user, owner, password] = [`${suffix}_runner`, `${suffix}_owner`, 'runner-secret-1'];
  const server = testEngine().clientConfig('postgres');
  try {
    await queryOn('postgres', `create role ${user} login password '${password}'`);
    await queryOn('postgres', `grant connect on database postgres to ${user}`);
    await queryOn('postgres', `create role ${owner}`);
    await queryOn('postgres', `create database ${ws.databases.tenant_a} owner ${owner}`);
    await queryOn(ws.databases.tenant_a, 'revoke create on schema public from public');
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a'], {
      PG_MODE: 'external',
      PGHOST: String(server.host),
      PGPORT: String(server.port),
      PGUSER: user,
      PGPASSWORD: password,
      PGDATABASE: 'postgres',
    });
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      new RegExp(`\\[DB_PERMISSION\\] PostgreSQL refused user "${user}" in database ${ws.databases.tenant_a} \\(tenant tenant_a\\): permission denied`),
    );
    t.regex(r.stderr, new RegExp(`hint  That user must own the database or have CREATE on it \\(ALTER DATABASE ${ws.databases.tenant_a} OWNER TO ${user}\\)`));
    t.notRegex(r.stderr, /unexpected error/);
    t.false(r.stderr.includes(password));
    const [schemas] = await queryOn(ws.databases.tenant_a, "select count(*)::int as n from pg_namespace where nspname = 'pipeline_meta'");
    t.is(schemas.n, 0);
  } finally {
    await ws.cleanup();
    await queryOn('postgres', `drop role if exists ${user}`).catch(() => {});
    await queryOn('postgres', `drop role if exists ${owner}`).catch(() => {});
  }
});

test('changes made by hand are noticed: the next run reloads the seed and rebuilds the table; the analysis fingerprint moves', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  try {
    const first = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(first.code, 0, first.stderr);
    const fingerprint = async () => (await ws.task('tenant/src/fingerprint.ts', ['--tenant', 'tenant_a'])).stdout.trim();
    const before = await fingerprint();
    const warm = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json']);
    t.is(JSON.parse(warm.stdout).results.filter((r: any) => r.status === 'built').length, 0, 'a warm run still rebuilds nothing');
    t.is(await fingerprint(), before, 'and leaves the fingerprint as it was');

    await ws.query('tenant_a', 'delete from customers where customer_id = (select min(customer_id) from customers)');
    await ws.query('tenant_a', "update dim_customers set customer_segment = 'Tampered'");
    t.not(await fingerprint(), before, 'the database fingerprint moved with the hand edit');
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json']);
    t.is(r.code, 0, r.stderr);
    const built = JSON.parse(r.stdout)
      .results.filter((x: any) => x.status === 'built')
      .map((x: any) => x.name);
    t.true(built.includes('customers') && built.includes('dim_customers'), built.join(', '));
    t.regex(r.stderr, /seeds\/customers\.csv: changed outside the pipeline since the last run; rebuilt/);
    // What the analyses' cache keys read: the fingerprint the build left, which is the database's now.
    const left = readFileSync(join(ws.root, 'dist/run-state/tenant_a.fingerprint'), 'utf8').trim();
    t.is(left, await fingerprint());
    t.not(left, before);
    const [state] = await ws.query(
      'tenant_a',
      "select (select count(*)::int from customers) as customers, (select count(*)::int from dim_customers where customer_segment = 'Tampered') as tampered",
    );
    t.deepEqual(state, { customers: 5, tampered: 0 });
  } finally {
    await ws.cleanup();
  }
});
