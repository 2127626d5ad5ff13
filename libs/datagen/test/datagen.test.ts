/** The scale-data generator: deterministic seeds in the sample's shape, and generated tenants that never touch yours. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { TaskError } from '@mt/cli';
import { defaultSeed, generateSeeds, generateTenants } from '../src/index.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
function scratch(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'mt-datagen-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const read = (dir: string, name: string) => readFileSync(join(dir, `${name}.csv`), 'utf8');
const rowsOf = (csv: string) =>
  csv
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));

test('the same rows and seed give the same bytes; another seed other data; the sample headers, rows as asked', async (t) => {
  const [a, b, c] = [scratch(t), scratch(t), scratch(t)];
  const result = await generateSeeds(a, { rows: 1001, seed: 7 });
  await generateSeeds(b, { rows: 1001, seed: 7 });
  await generateSeeds(c, { rows: 1001, seed: 8 });
  t.deepEqual(result.files, [
    { name: 'regions', rows: 12 },
    { name: 'products', rows: 6 },
    { name: 'customers', rows: 21 },
    { name: 'orders', rows: 1001 },
  ]);
  for (const name of ['regions', 'products', 'customers', 'orders']) {
    t.is(read(a, name), read(b, name), name);
    t.is(read(a, name).split('\n')[0], readFileSync(join(REPO, 'seeds', `${name}.csv`), 'utf8').split('\n')[0], `${name}: the sample's header`);
  }
  t.not(read(a, 'orders'), read(c, 'orders'));
  for (const rows of [0, 1.5, 100_000_001]) await t.throwsAsync(generateSeeds(scratch(t), { rows, seed: 1 }), { code: 'INVALID_GENERATE_OPTION' });
  await t.throwsAsync(generateSeeds(scratch(t), { rows: 1, seed: Number.NaN }), { code: 'INVALID_GENERATE_OPTION', message: /SEED must be a whole number/ });
  t.not(defaultSeed('tenant_a'), defaultSeed('tenant_b'));
  t.deepEqual(readdirSync(a).sort(), ['customers.csv', 'orders.csv', 'products.csv', 'regions.csv'], 'no partial files left');
});

test("the values fit the sample's tests: ids in range, two lines per order, amount = price × quantity, known categories", async (t) => {
  const dir = scratch(t);
  await generateSeeds(dir, { rows: 500, seed: 1 });
  const products = new Map(rowsOf(read(dir, 'products')).map((p) => [p[0], p]));
  const customers = rowsOf(read(dir, 'customers'));
  const orders = rowsOf(read(dir, 'orders'));
  t.true([...products.values()].every((p) => ['Electronics', 'Sports', 'Books', 'Home & Kitchen'].includes(p[2])));
  t.is(new Set(customers.map((c) => c[2])).size, customers.length, 'unique emails');
  for (const [i, [line, order, customer, product, day, quantity, amount]] of orders.entries()) {
    t.is(Number(line), i + 1);
    t.is(Number(order), 1001 + Math.floor(i / 2));
    t.true(Number(customer) >= 1 && Number(customer) <= customers.length);
    t.regex(day, /^2024-\d{2}-\d{2}$/);
    const cents = Math.round(Number(products.get(product)![3]) * 100) * Number(quantity);
    t.is(Math.round(Number(amount) * 100), cents);
  }
});

test('generated tenants: made, kept, removed down to the count; a tenant of yours with the same name is never touched', (t) => {
  const root = scratch(t);
  t.deepEqual(generateTenants(root, 3), { created: ['scale_001', 'scale_002', 'scale_003'], removed: [], kept: [] });
  const config = JSON.parse(readFileSync(join(root, 'tenants/scale_002/tenant.json'), 'utf8'));
  t.like(config, { name: 'scale_002', database: 'scale_002_db', dataLake: { bucket: 'scale-002-data-lake' } });
  t.deepEqual(generateTenants(root, 1), { created: [], removed: ['scale_002', 'scale_003'], kept: ['scale_001'] });

  mkdirSync(join(root, 'tenants/scale_002'));
  writeFileSync(join(root, 'tenants/scale_002/tenant.json'), '{"name": "scale_002"}');
  const err = t.throws(() => generateTenants(root, 3), { instanceOf: TaskError });
  t.is(err?.code, 'GENERATED_TENANT_TAKEN');
  t.regex(err?.message ?? '', /tenants\/scale_002\/ exists and was not generated/);
  t.is(readFileSync(join(root, 'tenants/scale_002/tenant.json'), 'utf8'), '{"name": "scale_002"}');
  t.deepEqual(generateTenants(root, 0), { created: [], removed: ['scale_001'], kept: [] });
  t.true(existsSync(join(root, 'tenants/scale_002/tenant.json')), 'yours stays');
  t.throws(() => generateTenants(root, 1000), { code: 'INVALID_GENERATE_OPTION' });
});
