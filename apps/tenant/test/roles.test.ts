/**
 * A role per tenant (issue #8): the owner role builds and owns the tenant's database, the reader role
 * runs the analyses, nobody else may connect, and nothing a model or an analysis holds runs as superuser.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import { makeWorkspace, queryOn, testEngine, type TestWorkspace } from './support/workspace.ts';

/** Connects as given and returns the error code and message (or 'connected'). */
async function tryConnect(config: pg.ClientConfig): Promise<string> {
  const client = new pg.Client(config);
  try {
    await client.connect();
    return 'connected';
  } catch (err) {
    const e = err as { code?: string; message: string };
    return `${e.code}: ${e.message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Objects of the tenant database (outside the system schemas) that its owner role does not own (public is the database owner's). */
const notOwnedByOwner = (ws: TestWorkspace, tenant: string) =>
  ws.query(
    tenant,
    `select kind, name from (
      select 'schema' as kind, nspname::text as name, nspowner as owner from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema'
      union all select 'relation', c.oid::regclass::text, c.relowner from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
      union all select 'routine', p.oid::regprocedure::text, p.proowner from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
        and not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    ) o where owner not in (select oid from pg_roles where rolname in ($1, 'pg_database_owner'))
      -- the data lake's external tables (and file_fdw, an extension) are the admin's by design, granted to the tenant
      and split_part(name, '.', 1) not in ('lake', 'lake_files') order by 1, 2`,
    [ws.roles[tenant].owner],
  );

test("each tenant has roles of its own that own its database; tenant_a's roles cannot even connect to tenant_b's", async (t) => {
  const ws = await makeWorkspace();
  try {
    let output = '';
    for (const tenant of ['tenant_a', 'tenant_b']) {
      const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', tenant]);
      t.is(r.code, 0, r.stderr);
      output += r.stdout + r.stderr;
    }
    const { owner, reader } = ws.roles.tenant_a;
    const roles = await queryOn(
      'postgres',
      'select rolname, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls from pg_roles where rolname = any($1) order by 1',
      [[owner, reader]],
    );
    t.deepEqual(
      roles,
      [owner, reader].sort().map((rolname) => ({ rolname, rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolbypassrls: false })),
    );
    const [db] = await queryOn(
      'postgres',
      `select pg_get_userbyid(datdba) as owner, has_database_privilege('public', datname, 'connect') as public_connect from pg_database where datname = $1`,
      [ws.databases.tenant_a],
    );
    t.deepEqual(db, { owner, public_connect: false });
    t.deepEqual(await notOwnedByOwner(ws, 'tenant_a'), [], 'the owner role owns every schema, table and function the pipeline made');

    for (const kind of ['owner', 'reader'] as const) {
      const intoB = { ...ws.configAs('tenant_a', kind), database: ws.databases.tenant_b };
      t.is(await tryConnect(intoB), `42501: permission denied for database "${ws.databases.tenant_b}"`, kind);
      t.is(
        await tryConnect({ ...ws.configAs('tenant_b', kind), database: ws.databases.tenant_a }),
        `42501: permission denied for database "${ws.databases.tenant_a}"`,
        kind,
      );
      t.is(await tryConnect(ws.configAs('tenant_a', kind)), 'connected', kind);
      t.is(await tryConnect({ ...ws.configAs('tenant_a', kind), database: 'postgres' }), '42501: permission denied for database "postgres"', kind);
    }

    // The passwords: generated, kept 0600, never printed, never in the server's log.
    const file = testEngine().rolesFile;
    t.is(statSync(file).mode & 0o777, 0o600);
    const { passwords } = JSON.parse(readFileSync(file, 'utf8'));
    const log = readFileSync(join(testEngine().logFile!), 'utf8');
    for (const role of [owner, reader, ws.roles.tenant_b.owner, ws.roles.tenant_b.reader]) {
      t.true(passwords[role]?.length >= 20, role);
      t.false(output.includes(passwords[role]), `${role}'s password is not printed`);
      t.false(log.includes(passwords[role]), `${role}'s password is not in the server log`);
    }
  } finally {
    await ws.cleanup();
  }
});

test('a model runs as the tenant owner: superuser functions are refused, naming the model; the owner cannot grant itself more', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  try {
    ws.write('sql/models/marts/who_am_i.sql', "select current_user::text as who, current_setting('is_superuser') as superuser\n");
    ws.write('sql/models/marts/read_server_file.sql', "select pg_read_file('PG_VERSION') as v\n");
    ws.write('sql/models/marts/become_superuser.sql', `select 1 as x from (select set_config('role', 'postgres', false)) s\n`);
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(r.code, 1);
    t.regex(r.stderr, /sql\/models\/marts\/read_server_file\.sql[\s\S]*permission denied for function pg_read_file/);
    t.regex(r.stderr, /sql\/models\/marts\/become_superuser\.sql[\s\S]*permission denied to set role "postgres"/);
    t.notRegex(r.stderr, /unexpected error/);
    const [me] = await ws.query('tenant_a', 'select who, superuser from who_am_i');
    t.deepEqual(me, { who: ws.roles.tenant_a.owner, superuser: 'off' });
    t.deepEqual(await ws.query('tenant_a', "select to_regclass('read_server_file') as t"), [{ t: null }]);
  } finally {
    await ws.cleanup();
  }
});

test('analyses run as the reader role: SELECT only, whatever the session asks for', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  try {
    const built = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(built.code, 0, built.stderr);
    ws.write('sql/analyses/whoami.sql', '-- section: me\nselect current_user::text as who\n');
    const r = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_a', '--name', 'whoami', '--json']);
    t.is(r.code, 0, r.stderr);
    t.true(r.stdout.includes(ws.roles.tenant_a.reader), r.stdout);

    // Even a session that turns read-only off may not write: the reader holds SELECT and nothing else.
    const reader = new pg.Client(ws.configAs('tenant_a', 'reader'));
    await reader.connect();
    try {
      t.deepEqual((await reader.query('show default_transaction_read_only')).rows, [{ default_transaction_read_only: 'on' }]);
      await reader.query('set default_transaction_read_only = off');
      for (const [sql, message] of [
        ['delete from customers', /permission denied for table customers/],
        ['update pipeline_meta.relation_versions set version = 0', /permission denied for table relation_versions/],
        ['create table public.stolen (x int)', /permission denied for schema public/],
        ['create temporary table stolen (x int)', /permission denied to create temporary tables/],
      ] as const) {
        await t.throwsAsync(reader.query(sql), { message }, sql);
      }
      t.true(Number((await reader.query('select count(*) as n from dim_customers')).rows[0].n) > 0, 'the reader reads every table');
    } finally {
      await reader.end();
    }
    const [customers] = await ws.query('tenant_a', 'select count(*)::int as n from customers');
    t.true(customers.n > 0, 'no row was lost');
  } finally {
    await ws.cleanup();
  }
});

test('a database built before tenant roles (owned by the admin) is handed to the owner role on the next run', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  const { owner, reader } = ws.roles.tenant_a;
  try {
    const first = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(first.code, 0, first.stderr);
    // What an earlier version left: everything the admin's, the roles gone.
    await ws.query('tenant_a', `reassign owned by ${owner} to current_user`);
    // One role at a time: the default privileges name both (DROP OWNED BY a, b fails on them).
    await ws.query('tenant_a', `drop owned by ${owner}`);
    await ws.query('tenant_a', `drop owned by ${reader}`);
    await queryOn('postgres', `drop role ${owner}`);
    await queryOn('postgres', `drop role ${reader}`);
    await queryOn('postgres', `grant connect on database ${ws.databases.tenant_a} to public`);
    const admin = testEngine().clientConfig('postgres').user;
    t.deepEqual(await queryOn('postgres', 'select pg_get_userbyid(datdba) as owner from pg_database where datname = $1', [ws.databases.tenant_a]), [
      { owner: admin },
    ]);

    const again = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', '--json']);
    t.is(again.code, 0, again.stderr);
    t.is(JSON.parse(again.stdout).results.filter((r: any) => r.status === 'built').length, 0, 'nothing is rebuilt: the data stayed');
    t.deepEqual(await notOwnedByOwner(ws, 'tenant_a'), []);
    const [db] = await queryOn(
      'postgres',
      `select pg_get_userbyid(datdba) as owner, has_database_privilege('public', datname, 'connect') as public_connect from pg_database where datname = $1`,
      [ws.databases.tenant_a],
    );
    t.deepEqual(db, { owner, public_connect: false });
    const analysis = await ws.task('tenant/src/analysis.ts', ['--tenant', 'tenant_a', '--name', 'basic']);
    t.is(analysis.code, 0, analysis.stderr);
  } finally {
    await ws.cleanup();
  }
});

test('a password changed by hand is set again by the next run', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  try {
    t.is((await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a'])).code, 0);
    await queryOn('postgres', `alter role ${ws.roles.tenant_a.owner} password 'changed-by-hand'`);
    t.regex(await tryConnect(ws.configAs('tenant_a', 'owner')), /^28P01/);
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(r.code, 0, r.stderr);
    t.is(await tryConnect(ws.configAs('tenant_a', 'owner')), 'connected');
  } finally {
    await ws.cleanup();
  }
});

test("a role that exists and is not the tenant's is left alone: ROLE_TAKEN, nothing created", async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  const { owner } = ws.roles.tenant_a;
  try {
    await queryOn('postgres', `create role ${owner} login password 'somebody-elses'`);
    const [before] = await queryOn('postgres', 'select rolpassword from pg_authid where rolname = $1', [owner]);
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      new RegExp(
        `\\[ROLE_TAKEN\\] The owner role "${owner}" of tenant tenant_a already exists on the server and is not this tenant's \\(it was not created by this tool\\): it is left as it is\\.`,
      ),
    );
    t.regex(r.stderr, /hint {2}Name other roles in tenants\/tenant_a\/tenant\.json \("roles": \{"owner": "…", "reader": "…"\}\)/);
    t.deepEqual(await queryOn('postgres', 'select rolpassword from pg_authid where rolname = $1', [owner]), [before], 'its password is unchanged');
    t.deepEqual(await queryOn('postgres', 'select datname from pg_database where datname = $1', [ws.databases.tenant_a]), []);
    t.deepEqual(
      await queryOn('postgres', 'select rolname from pg_roles where rolname = $1', [ws.roles.tenant_a.reader]),
      [],
      'the reader was not created either',
    );
  } finally {
    await ws.cleanup();
  }
});

test('external mode: a CREATEROLE user gets the tenant its roles; a user without it runs the tenant itself, with a note', async (t) => {
  // Without the lake: external tables need a superuser, which this server's admin is not (lake.test.ts).
  const ws = await makeWorkspace({ tenants: ['tenant_a', 'tenant_b'], lake: false });
  const admin = `${ws.databases.tenant_a}_admin`;
  const plain = `${ws.databases.tenant_b}_plain`;
  const server = testEngine().clientConfig('postgres');
  const external = (user: string) => ({
    PG_MODE: 'external',
    PGHOST: String(server.host),
    PGPORT: String(server.port),
    PGUSER: user,
    PGPASSWORD: 'external-secret-1',
    PGDATABASE: 'postgres',
  });
  try {
    await queryOn('postgres', `create role ${admin} login createrole createdb password 'external-secret-1'`);
    await queryOn('postgres', `create role ${plain} login createdb password 'external-secret-1'`);
    // The embedded server closes its own databases to PUBLIC; an external server's DBA grants what is needed.
    await queryOn('postgres', `grant connect on database postgres to ${admin}, ${plain}`);

    const a = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a'], external(admin));
    t.is(a.code, 0, a.stderr);
    t.notRegex(a.stderr, /note: user/);
    const [dbA] = await queryOn('postgres', 'select pg_get_userbyid(datdba) as owner from pg_database where datname = $1', [ws.databases.tenant_a]);
    t.is(dbA.owner, ws.roles.tenant_a.owner);
    t.deepEqual(await notOwnedByOwner(ws, 'tenant_a'), []);
    t.is(statSync(join(ws.root, '.data', 'roles', `external-${server.host}-${server.port}.json`)).mode & 0o777, 0o600);

    const b = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_b'], external(plain));
    t.is(b.code, 0, b.stderr);
    t.regex(b.stderr, new RegExp(`note: user "${plain}" may not create roles, so tenant tenant_b runs as "${plain}" itself, not as roles of its own`));
    const [dbB] = await queryOn('postgres', 'select pg_get_userbyid(datdba) as owner from pg_database where datname = $1', [ws.databases.tenant_b]);
    t.is(dbB.owner, plain);
    t.false(a.stderr.includes('external-secret-1') || b.stderr.includes('external-secret-1'));
  } finally {
    await ws.cleanup();
    for (const role of [admin, plain]) await queryOn('postgres', `drop role if exists ${role}`).catch(() => {});
  }
});

test('a tenant database owned by some other role is left alone: DB_OWNED_ELSEWHERE with the statement that hands it over', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  const stranger = `${ws.databases.tenant_a}_stranger`;
  try {
    await queryOn('postgres', `create role ${stranger}`);
    await queryOn('postgres', `create database ${ws.databases.tenant_a} owner ${stranger}`);
    await queryOn(ws.databases.tenant_a, `create table public.kept (x int); insert into public.kept values (1); alter table public.kept owner to ${stranger}`);
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a']);
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      new RegExp(
        `\\[DB_OWNED_ELSEWHERE\\] Database ${ws.databases.tenant_a} of tenant tenant_a belongs to role "${stranger}", not to the tenant's role "${ws.roles.tenant_a.owner}": it is left as it is\\.`,
      ),
    );
    t.regex(
      r.stderr,
      new RegExp(
        `hint  If it holds this tenant's data, hand it over \\(ALTER DATABASE ${ws.databases.tenant_a} OWNER TO ${ws.roles.tenant_a.owner}, as an admin\\)`,
      ),
    );
    const [db] = await queryOn(
      'postgres',
      `select pg_get_userbyid(datdba) as owner, has_database_privilege('public', datname, 'connect') as public_connect from pg_database where datname = $1`,
      [ws.databases.tenant_a],
    );
    t.deepEqual(db, { owner: stranger, public_connect: true }, 'nothing about it changed');
    t.deepEqual(
      await queryOn('postgres', 'select rolname from pg_roles where rolname = any($1)', [Object.values(ws.roles.tenant_a)]),
      [],
      'no role was created',
    );
    t.deepEqual(await ws.query('tenant_a', "select x, (select count(*)::int from pg_namespace where nspname = 'pipeline_meta') as meta from public.kept"), [
      { x: 1, meta: 0 },
    ]);
  } finally {
    await ws.cleanup();
    await queryOn('postgres', `drop role if exists ${stranger}`).catch(() => {});
  }
});

test('a damaged roles.json stops the command with its path and the way out; nothing is created', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
  // External mode with the test server's admin: the roles file is the workspace's own.
  const server = testEngine().clientConfig('postgres');
  const env = {
    PG_MODE: 'external',
    PGHOST: String(server.host),
    PGPORT: String(server.port),
    PGUSER: String(server.user),
    PGPASSWORD: String(server.password),
    PGDATABASE: 'postgres',
  };
  const file = join(ws.root, '.data', 'roles', `external-${server.host}-${server.port}.json`);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '{"passwords": {');
    const r = await ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a'], env);
    t.is(r.code, 1);
    t.regex(r.stderr, new RegExp(`\\[ROLES_FILE_CORRUPT\\] ${file.replaceAll('.', '\\.')} is not valid: it needs "passwords" and "databases"\\.`));
    t.regex(r.stderr, /hint {2}Remove it: the next tenant command gives every tenant role a new password and writes it again\./);
    t.is(readFileSync(file, 'utf8'), '{"passwords": {', 'the file is left for the user to look at');
    t.deepEqual(await queryOn('postgres', 'select datname from pg_database where datname = $1', [ws.databases.tenant_a]), []);
  } finally {
    await ws.cleanup();
  }
});
