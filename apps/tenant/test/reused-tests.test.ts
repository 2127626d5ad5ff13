/**
 * Reused test results: a data test whose SQL and inputs are unchanged since it passed is reported as
 * `reused` and not run; one whose inputs were rebuilt, dropped or changed by hand runs again, and so does
 * every test with --retest.
 */
import test from 'ava';
import { makeWorkspace, type TestWorkspace } from './support/workspace.ts';

let ws: TestWorkspace;
test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a'], lake: false });
});
test.after.always(() => ws?.cleanup());

const run = (...args: string[]) => ws.task('tenant/src/tenant-run.ts', ['--tenant', 'tenant_a', ...args]);
const testStep = (...args: string[]) => ws.task('tenant/src/test.ts', ['--tenant', 'tenant_a', ...args]);
/** The test rows of a --json report: name → status. */
const statuses = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout) as { results: Array<{ kind: string; name: string; status: string }> }).results
      .filter((r) => r.kind === 'test')
      .map((r) => [r.name, r.status]),
  );

test.serial('a second run reuses every passed test; --retest runs them all', async (t) => {
  const first = await run();
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /tenant_a: OK — 17 built, 1 ephemeral, 35 pass/);
  const again = await run();
  t.regex(again.stdout, /\d+ data tests\s+reused/);
  t.regex(again.stdout, /tenant_a: OK — 17 skipped, 1 ephemeral, 35 reused in/);
  const forced = await run('--retest');
  t.regex(forced.stdout, /tenant_a: OK — 17 skipped, 1 ephemeral, 35 pass in/);
});

test.serial('a hand change to a seed table: the tests that read it (through views) run again and see it; the others stay reused', async (t) => {
  await ws.query('tenant_a', "insert into customers (customer_id, customer_email) values (null, 'x@example.com')");
  try {
    const r = await testStep('--json');
    t.is(r.code, 1);
    const tests = statuses(r.stdout);
    t.is(tests.not_null_stg_customers_customer_id, 'fail', 'it reads stg_customers, a view on the changed customers');
    t.is(tests.unique_stg_products_product_id, 'reused', JSON.stringify(tests));
  } finally {
    await ws.query('tenant_a', 'delete from customers where customer_id is null');
  }
  // The deletion moved the counter again: those tests run once more, and pass.
  const r = await testStep('--json');
  t.is(r.code, 0, r.stderr);
  t.is(statuses(r.stdout).not_null_stg_customers_customer_id, 'pass');
  t.is(statuses((await testStep('--json')).stdout).not_null_stg_customers_customer_id, 'reused');
});

test.serial('a changed test, or a rebuilt input, runs again; a dropped input is never reused', async (t) => {
  await ws.edit(
    'sql/tests/assert_no_negative_amounts.sql',
    (sql) => `${sql}\n-- reviewed\n`,
    async () => {
      t.is(statuses((await testStep('--json')).stdout).assert_no_negative_amounts, 'pass');
    },
  );
  const rebuilt = await run('--json', '--select', 'dim_customers', '--full-refresh');
  const tests = statuses(rebuilt.stdout);
  t.is(tests.unique_dim_customers_customer_id, 'pass', 'dim_customers was rebuilt by this run');
  await ws.query('tenant_a', 'drop table dim_customers cascade');
  const dropped = await testStep('--json');
  t.is(dropped.code, 1);
  t.is(statuses(dropped.stdout).unique_dim_customers_customer_id, 'error');
  t.is((await run()).code, 0);
});
