import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { TaskError } from '@mt/cli';
import { listTenantNames, loadTenant, resolveTenantName } from '@mt/tenant-config';
import { makeWorkspace, REPO, testEngine } from './support/workspace.ts';

function tenantsRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mt-tenants-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, 'tenants', name), { recursive: true });
    writeFileSync(join(root, 'tenants', name, 'tenant.json'), content);
  }
  return root;
}

test('the shipped tenants load with the seed values', (t) => {
  t.deepEqual(listTenantNames(REPO), ['tenant_a', 'tenant_b', 'tenant_c']);
  const a = loadTenant(REPO, 'tenant_a');
  t.is(a.database, 'tenant_a_db');
  t.is(a.aurora.schema, 'tenant_a');
  t.is(a.s3Location('customers'), 's3://tenant-a-data-lake/ecommerce-data/customers/');
  t.is(loadTenant(REPO, 'tenant_b').s3Location('orders'), 's3://tenant-b-data-lake/ecommerce-data/orders/');
});

test('an invalid tenant.json lists every problem at once', (t) => {
  const root = tenantsRoot({
    tenant_x: JSON.stringify({ name: 'tenant_y', database: 'Bad-DB', aurora: {}, dataLake: { bucket: 'UPPER', prefix: '/lead' }, colour: 'red' }),
  });
  try {
    const err = t.throws(() => loadTenant(root, 'tenant_x'), { instanceOf: TaskError });
    t.is(err?.code, 'INVALID_TENANT_CONFIG');
    t.regex(err!.message, /tenants\/tenant_x\/tenant\.json has 6 problem\(s\)/);
    for (const field of ['"name" must be "tenant_x"', '"database"', '"aurora.schema"', '"dataLake.bucket"', '"dataLake.prefix"', 'unknown key "colour"']) {
      t.true(err!.message.includes(field), field);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('tenant roles: <tenant>_owner and <tenant>_reader by default; shared, reserved, equal or too long names are refused', (t) => {
  const tenant = (name: string, roles?: unknown) =>
    JSON.stringify({ name, database: `${name}_db`, aurora: { schema: name }, dataLake: { bucket: 'some-bucket', prefix: 'data' }, roles });
  const long = `t${'x'.repeat(57)}`;
  const root = tenantsRoot({
    acme: tenant('acme'),
    beta: tenant('beta', { owner: 'beta_rw', reader: 'beta_ro' }),
    gamma: tenant('gamma', { owner: 'acme_owner', reader: 'gamma_ro' }),
    delta: tenant('delta', { owner: 'postgres', reader: 'pg_monitor', admin: 'x' }),
    eps: tenant('eps', { owner: 'eps_one', reader: 'eps_one' }),
    [long]: tenant(long),
  });
  try {
    t.deepEqual(loadTenant(root, 'beta').roles, { owner: 'beta_rw', reader: 'beta_ro' });
    const problems = (name: string) => t.throws(() => loadTenant(root, name), { instanceOf: TaskError })!.message;
    t.regex(problems('acme'), /role "acme_owner" is also a role of gamma \(tenants\/gamma\/tenant\.json\): every tenant needs roles of its own/);
    t.regex(problems('gamma'), /role "acme_owner" is also a role of acme \(tenants\/acme\/tenant\.json\)/);
    t.is(
      problems('delta'),
      'tenants/delta/tenant.json has 3 problem(s):\n' +
        '  - unknown key "roles.admin" (known: owner, reader)\n' +
        '  - "roles.owner" "postgres" is a name the server keeps for itself: pick another\n' +
        '  - "roles.reader" "pg_monitor" is a name the server keeps for itself: pick another',
    );
    t.regex(problems('eps'), /"roles\.owner" and "roles\.reader" must differ/);
    t.regex(problems(long), new RegExp(`the default reader role "${long}_reader" is longer than 63 characters: name the roles in "roles"`));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('tenant.json: a mistyped key gets the closest known one; a value of the wrong type says what was expected and found', (t) => {
  const root = tenantsRoot({
    tenant_x: JSON.stringify({
      name: 'tenant_x',
      databse: 'x_db',
      aurora: { schema: 'x', shema: 'y' },
      dataLake: { bucket: 'some-bucket', prefix: 'data' },
      vars: [1],
      displayName: 7,
    }),
  });
  try {
    const err = t.throws(() => loadTenant(root, 'tenant_x'), { instanceOf: TaskError });
    t.is(
      err!.message,
      'tenants/tenant_x/tenant.json has 5 problem(s):\n' +
        '  - "displayName" must be a string, found 7\n' +
        '  - "database" is missing\n' +
        '  - unknown key "aurora.shema" (did you mean "schema"?) (known: schema)\n' +
        '  - "vars" must be an object, found [1]\n' +
        '  - unknown key "databse" (did you mean "database"?) (known: name, displayName, database, aurora, dataLake, roles, vars)',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('broken JSON names the file', (t) => {
  const root = tenantsRoot({ tenant_x: '{ "name": "tenant_x", }' });
  try {
    const err = t.throws(() => loadTenant(root, 'tenant_x'), { instanceOf: TaskError });
    t.regex(err!.message, /tenants\/tenant_x\/tenant\.json is not valid JSON/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--tenant wins over TENANT_NAME; nothing given is a clear error', (t) => {
  t.is(resolveTenantName('tenant_b', { TENANT_NAME: 'tenant_a' }), 'tenant_b');
  t.is(resolveTenantName(undefined, { TENANT_NAME: 'tenant_a' }), 'tenant_a');
  t.is(t.throws(() => resolveTenantName(undefined, {}), { instanceOf: TaskError })?.code, 'NO_TENANT');
});

test('TENANT_NAME from .env picks the tenant; debug masks the password', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_b'] });
  try {
    ws.write('.env', 'TENANT_NAME=tenant_b\n');
    const r = await ws.task('tenant/src/debug.ts');
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /tenant\s+tenant_b/);
    t.regex(r.stderr, new RegExp(`database +${ws.databases.tenant_b} as ${ws.roles.tenant_b.owner}\n`));
    t.regex(r.stderr, new RegExp(`postgresql://${ws.roles.tenant_b.owner}:\\*\\*\\*\\*@127\\.0\\.0\\.1:\\d+/`));
    for (const password of [testEngine().clientConfig('postgres').password, ws.configAs('tenant_b', 'owner').password]) {
      t.truthy(password);
      t.false(r.stderr.includes(String(password)) || r.stdout.includes(String(password)));
    }
  } finally {
    await ws.cleanup();
  }
});

test('every task script has --help', async (t) => {
  const ws = await makeWorkspace({ tenants: ['tenant_a'] });
  try {
    for (const script of ['tenant-run', 'debug', 'seed', 'run', 'snapshot', 'test', 'db-connect', 'dev-shell']) {
      const r = await ws.task(`tenant/src/${script}.ts`, ['--help']);
      t.is(r.code, 0, script);
      t.regex(r.stdout, /--tenant/, script);
    }
    const run = await ws.task('tenant/src/run.ts', ['--help']);
    t.regex(run.stdout, /--select[\s\S]*--full-refresh/);
  } finally {
    await ws.cleanup();
  }
});
