import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import test from 'ava';
import type { TaskError } from '@mt/cli';
import { loadTenant } from '@mt/tenant-config';
import { discoverLocal, loadExternalTables, writeLakeFromSeeds } from '../src/index.ts';
import { fakeTenant } from '../../pipeline/test/unit/support/fixtures.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');

/** A folder with these files (paths relative to it); removed after the test. */
function folder(t: { teardown: (fn: () => void) => void }, files: Record<string, string>): string {
  const root = mkdtempSync(join(os.tmpdir(), 'mt-lake-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const ORDERS_YML = `sources:
  - name: lake
    tables:
      - name: orders
        external:
          location: "s3://{{ tenant.dataLake.bucket }}/{{ tenant.dataLake.prefix }}/orders/"
          partitions: [{ name: order_date, data_type: date }]
        columns: [{ name: id, data_type: integer }, { name: amount, data_type: "numeric(10,2)" }]
`;

test('the shipped sql/sources: four tables of tenant_a in its own bucket, orders partitioned by order_date', (t) => {
  const tables = loadExternalTables(REPO, loadTenant(REPO, 'tenant_a'));
  t.deepEqual(
    tables.map((x) => `${x.schema}.${x.name} ${x.location}`),
    [
      'lake.orders s3://tenant-a-data-lake/ecommerce-data/orders/',
      'lake.customers s3://tenant-a-data-lake/ecommerce-data/customers/',
      'lake.products s3://tenant-a-data-lake/ecommerce-data/products/',
      'lake.regions s3://tenant-a-data-lake/ecommerce-data/regions/',
    ],
  );
  t.like(tables[0].partitions[0], { name: 'order_date', type: { kind: 'date' }, path: 'key_value' });
  t.like(tables[0].columns.at(-1), { name: 'total_amount', type: { kind: 'numeric', precision: 12, scale: 2 } });
  t.deepEqual(tables[0].csv, { header: true, delimiter: ',', nullString: '' });
  // The same definition for another tenant: another bucket, the same shape.
  const b = loadExternalTables(REPO, loadTenant(REPO, 'tenant_b'));
  t.is(b[0].location, 's3://tenant-b-data-lake/ecommerce-data/orders/');
  t.is(b[0].checksum === tables[0].checksum, false, 'the location is part of the definition');
});

test('every problem of every file at once, each with its file and path', (t) => {
  const root = folder(t, {
    'sql/sources/a.yml': `sources:
  - name: lake
    tables:
      - name: orders
        external:
          location: "s3://{{ tenant.dataLake.bucket }}/x/orders/"
          partitions: [{ name: order_date, data_type: datetime64 }]
        columns: [{ name: id, data_type: integr }]
      - name: empty
        external: { location: "s3://{{ tenant.dataLake.bucket }}/x/empty/" }
        columns: []
      - name: elsewhere
        external: { location: "s3://someone-elses-bucket/x/" }
        columns: [{ name: id, data_type: int }]
      - name: typo
        external: { location: "s3://{{ tenant.nme }}/x/" }
        columns: [{ name: id, data_type: int }]
`,
    'sql/sources/b.yml': `sources:
  - name: raw
    tables:
      - name: events
        external: { file_format: parquet, partitions: [] }
        colums: []
`,
  });
  const err = t.throws<TaskError>(() => loadExternalTables(root, fakeTenant(root)));
  t.is(err?.code, 'INVALID_SOURCES');
  const message = err?.message ?? '';
  t.regex(message, /^The external table definitions have \d+ problems:/);
  t.regex(message, /sql\/sources\/a\.yml: "sources\.0\.tables\.0\.columns\.0\.data_type" id: unknown type "integr"/);
  t.regex(message, /sql\/sources\/a\.yml: "sources\.0\.tables\.0\.external\.partitions\.0\.data_type" order_date: unknown type "datetime64"/);
  t.regex(message, /"sources\.0\.tables\.1\.columns" is empty: an external table needs its columns/);
  t.regex(message, /"sources\.0\.tables\.2\.external\.location" "s3:\/\/someone-elses-bucket\/x\/" is outside tenant_a's bucket acme-lake/);
  t.regex(message, /"sources\.0\.tables\.3\.external\.location" cannot be rendered: tenant\.nme is not defined \(tenant has name, database, dataLake\)/);
  t.regex(message, /sql\/sources\/b\.yml: "sources\.0\.tables\.0\.external\.location" is missing/);
  t.regex(message, /sql\/sources\/b\.yml: "sources\.0\.tables\.0\.external\.file_format" must be csv or jsonl, found "parquet"/);
  t.regex(message, /sql\/sources\/b\.yml: unknown key "sources\.0\.tables\.0\.colums" \(did you mean "columns"\?\)/);
  t.regex(err?.hint ?? '', /numeric\(p,s\)/);
});

test('discovery lists the partitions in order, skips hidden files, and checks each value against its type', (t) => {
  const root = folder(t, {
    'sql/sources/lake.yml': ORDERS_YML,
    'lake/acme-lake/tenants/tenant_a/orders/order_date=2024-01-11/part-00000.csv': 'id,amount\n2,2.00\n',
    'lake/acme-lake/tenants/tenant_a/orders/order_date=2024-01-10/part-00000.csv': 'id,amount\n1,1.00\n',
    'lake/acme-lake/tenants/tenant_a/orders/order_date=2024-01-10/part-00001.csv': 'id,amount\n3,3.00\n',
    'lake/acme-lake/tenants/tenant_a/orders/order_date=2024-01-10/_SUCCESS': '',
    'lake/acme-lake/tenants/tenant_a/orders/.DS_Store': '',
  });
  const [table] = loadExternalTables(root, fakeTenant(root));
  const found = discoverLocal(join(root, 'lake'), table, root);
  t.deepEqual(found.partitions, [
    {
      values: { order_date: '2024-01-10' },
      path: 'order_date=2024-01-10/',
      files: ['order_date=2024-01-10/part-00000.csv', 'order_date=2024-01-10/part-00001.csv'],
    },
    { values: { order_date: '2024-01-11' }, path: 'order_date=2024-01-11/', files: ['order_date=2024-01-11/part-00000.csv'] },
  ]);

  mkdirSync(join(root, 'lake/acme-lake/tenants/tenant_a/orders/order_date=2024-02-30'));
  const bad = t.throws<TaskError>(() => discoverLocal(join(root, 'lake'), table, root));
  t.is(bad?.code, 'LAKE_PARTITION_VALUE');
  t.is(bad?.message, 'lake/acme-lake/tenants/tenant_a/orders/order_date=2024-02-30: "2024-02-30" is not a date (partition key order_date of lake.orders).');
  rmSync(join(root, 'lake/acme-lake/tenants/tenant_a/orders/order_date=2024-02-30'), { recursive: true });
  mkdirSync(join(root, 'lake/acme-lake/tenants/tenant_a/orders/day=2024-01-12'));
  t.regex(
    t.throws<TaskError>(() => discoverLocal(join(root, 'lake'), table, root))?.message ?? '',
    /a folder of partition key order_date must be named order_date=<value>/,
  );

  const missing = t.throws<TaskError>(() => discoverLocal(join(root, 'nowhere'), table, root));
  t.is(missing?.code, 'LAKE_MISSING');
  t.regex(missing?.hint ?? '', /make data-lake/);
});

test('the lake is written from the seeds, one folder per partition value, and a failed rewrite keeps the previous files', async (t) => {
  const root = folder(t, {
    'sql/sources/lake.yml': ORDERS_YML,
    'seeds/orders.csv': 'id,order_date,amount\n1,2024-01-10,1.00\n2,2024-01-11,2.00\n3,2024-01-10,3.00\n',
  });
  const tenant = fakeTenant(root);
  const tables = loadExternalTables(root, tenant);
  const lake = join(root, 'lake');
  const [written] = await writeLakeFromSeeds(root, tenant, tables, lake);
  t.like(written, { seed: 'seeds/orders.csv', rows: 3, partitions: 2 });
  const dir = join(lake, 'acme-lake/tenants/tenant_a/orders');
  t.deepEqual(readdirSync(dir), ['_from_seed.json', 'order_date=2024-01-10', 'order_date=2024-01-11']);
  t.is(readFileSync(join(dir, 'order_date=2024-01-10/part-00000.csv'), 'utf8'), 'id,amount\n1,1.00\n3,3.00\n');

  writeFileSync(join(root, 'seeds/orders.csv'), 'id,order_date,amount\n4,2024-01-12,4.00\n5,someday,5.00\n');
  const err = await t.throwsAsync<TaskError>(writeLakeFromSeeds(root, tenant, tables, lake));
  t.is(err?.message, 'seeds/orders.csv:3: order_date "someday" is not a date, so it cannot name a partition.');
  t.deepEqual(readdirSync(dir), ['_from_seed.json', 'order_date=2024-01-10', 'order_date=2024-01-11'], 'the previous files are kept');
  t.deepEqual(readdirSync(dirname(dir)), ['orders'], 'no half-written folder is left beside it');
});
