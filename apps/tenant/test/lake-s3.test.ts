/**
 * `external-tables --s3`: the partitions found by listing the real buckets with the AWS SDK — here the
 * emulator's S3, whose buckets are the subfolders of a folder written as `make data-lake` writes the lake.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test from 'ava';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../../tools/aws-emulator/src/index.ts';
import { makeWorkspace, type TestWorkspace } from './support/workspace.ts';

const ORDERS = 'tenant-a-data-lake/ecommerce-data/orders';
let ws: TestWorkspace;
/** The emulator's S3: `<s3Dir>/<bucket>/<key>`. */
let s3Dir: string;
let scratch: string;

test.before(async () => {
  ws = await makeWorkspace({ tenants: ['tenant_a', 'tenant_b'] });
  scratch = mkdtempSync(join(tmpdir(), 'mt-lake-s3-'));
  s3Dir = join(scratch, 's3');
  // tenant_a's bucket holds what `make data-lake` writes; tenant_b has no bucket at all.
  const written = await ws.task('platform/src/data-lake.ts', ['--tenant', 'tenant_a'], { DATA_LAKE_DIR: s3Dir });
  if (written.code !== 0) throw new Error(written.stderr);
});
test.after.always(async () => {
  await ws?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

async function withS3<T>(fn: (emu: Emulator) => Promise<T>, options: Partial<EmulatorOptions> = {}): Promise<T> {
  const emu = await startEmulator({ bastionDir: join(scratch, 'bastion'), s3Dir, ...options });
  try {
    return await fn(emu);
  } finally {
    await emu.stop();
  }
}
const external = (emu: Emulator, tenant: string, ...args: string[]) => ws.task('tenant/src/external-tables.ts', ['--tenant', tenant, ...args], emu.env());
const putS3 = (key: string, text: string) => (mkdirSync(dirname(join(s3Dir, key)), { recursive: true }), writeFileSync(join(s3Dir, key), text));
const athena = () => readFileSync(join(ws.root, 'dist/external/tenant_a/athena/lake.orders.sql'), 'utf8');

test.serial('the same lake listed in S3 gives byte-identical DDL; the listing pages, and nothing local is written', async (t) => {
  const listed = await withS3((emu) => external(emu, 'tenant_a', '--s3', '--dialect=athena'), { s3MaxKeys: 2 });
  t.is(listed.code, 0, listed.stderr);
  t.regex(listed.stderr, /lake\.orders: s3:\/\/tenant-a-data-lake\/ecommerce-data\/orders\/ — 5 partitions/);
  t.false(existsSync(join(ws.root, 'data-lake')), 'the local lake is neither read nor written');
  const fromS3 = athena();
  const locations = JSON.parse(ws.read('dist/external/tenant_a/locations.s3.json'));
  t.deepEqual(locations.tables[0].partitions[0], {
    values: { order_date: '2024-01-10' },
    location: 's3://tenant-a-data-lake/ecommerce-data/orders/order_date=2024-01-10/',
    files: ['part-00000.csv'],
  });
  t.false('local' in locations.tables[0]);

  // The local lake written from the same seeds: the same files, so the same statements.
  const local = await ws.task('tenant/src/external-tables.ts', ['--tenant', 'tenant_a', '--dialect=athena']);
  t.is(local.code, 0, local.stderr);
  t.is(athena(), fromS3);
  t.false(existsSync(join(ws.root, 'dist/external/tenant_a/locations.s3.json')) && !existsSync(join(ws.root, 'dist/external/tenant_a/locations.json')));
});

test.serial('a partition only in S3 is in the DDL, one removed from S3 is not; pages of 2 keys are followed to the end', async (t) => {
  putS3(`${ORDERS}/order_date=2024-02-01/part-00000.csv`, 'order_line_id,order_id,customer_id,product_id,quantity,total_amount\n99,1099,1,1,1,1.00\n');
  putS3(`${ORDERS}/order_date=2024-02-01/_SUCCESS`, '');
  const removed = join(s3Dir, ORDERS, 'order_date=2024-01-16');
  const saved = join(scratch, 'saved-partition');
  cpSync(removed, saved, { recursive: true });
  rmSync(removed, { recursive: true });
  try {
    const { r, requests } = await withS3(
      async (emu) => ({ r: await external(emu, 'tenant_a', '--s3', '--dialect=athena'), requests: emu.requests.filter((q) => q.action === 'ListObjectsV2') }),
      { s3MaxKeys: 2 },
    );
    t.is(r.code, 0, r.stderr);
    t.regex(athena(), /PARTITION \(`order_date` = '2024-02-01'\) LOCATION 's3:\/\/tenant-a-data-lake\/ecommerce-data\/orders\/order_date=2024-02-01\/'/);
    t.notRegex(athena(), /2024-01-16/);
    // orders: _from_seed.json, 5 partitions' files and a _SUCCESS = 7 keys → 4 pages; the other tables 2 keys each → 1 page.
    t.is(requests.filter((q) => q.url.includes('prefix=ecommerce-data%2Forders%2F')).length, 4);
    t.is(requests.length, 4 + 3);
    t.true(requests.some((q) => q.url.includes('continuation-token=')));
  } finally {
    rmSync(join(s3Dir, ORDERS, 'order_date=2024-02-01'), { recursive: true });
    cpSync(saved, removed, { recursive: true });
  }
});

test.serial('--s3 --dry-run prints the locations and writes nothing; --s3 alone explains what it is for', async (t) => {
  rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
  const dry = await withS3((emu) => external(emu, 'tenant_a', '--s3', '--dry-run'));
  t.is(dry.code, 0, dry.stderr);
  const printed = JSON.parse(dry.stdout);
  t.deepEqual(
    printed.tables.map((x: { table: string }) => x.table),
    ['orders', 'customers', 'products', 'regions'],
  );
  t.is(printed.tables[0].partitions.length, 5);
  t.false(existsSync(join(ws.root, 'dist')));

  const alone = await withS3((emu) => external(emu, 'tenant_a', '--s3'));
  t.is(alone.code, 1);
  t.regex(alone.stderr, /--s3 lists the buckets for the cloud's DDL: add --dialect=<dialect> or --dry-run/);
  t.false(existsSync(join(ws.root, 'dist')));
});

test.serial('bad input in S3: a missing bucket, an empty prefix and a partition value that is not a date are named with their s3:// location', async (t) => {
  const noBucket = await withS3((emu) => external(emu, 'tenant_b', '--s3', '--dialect=athena'));
  t.is(noBucket.code, 1);
  t.regex(noBucket.stderr, /\[LAKE_MISSING\] The bucket tenant-b-data-lake does not exist \(NoSuchBucket\): no files for source\('lake', '\w+'\)/);
  t.false(existsSync(join(ws.root, 'dist/external/tenant_b/athena')));

  const products = join(s3Dir, 'tenant-a-data-lake/ecommerce-data/products');
  cpSync(products, join(scratch, 'products'), { recursive: true });
  rmSync(products, { recursive: true });
  try {
    const empty = await withS3((emu) => external(emu, 'tenant_a', '--s3', '--dialect=glue'));
    t.is(empty.code, 1);
    t.regex(empty.stderr, /\[LAKE_MISSING\] s3:\/\/tenant-a-data-lake\/ecommerce-data\/products\/ holds no objects/);
  } finally {
    cpSync(join(scratch, 'products'), products, { recursive: true });
  }

  putS3(`${ORDERS}/order_date=2024-02-30/part-00000.csv`, 'x\n');
  try {
    const bad = await withS3((emu) => external(emu, 'tenant_a', '--s3', '--dialect=athena'));
    t.is(bad.code, 1);
    t.regex(
      bad.stderr,
      /\[LAKE_PARTITION_VALUE\] s3:\/\/tenant-a-data-lake\/ecommerce-data\/orders\/order_date=2024-02-30: "2024-02-30" is not a date \(partition key order_date of lake\.orders\)/,
    );
  } finally {
    rmSync(join(s3Dir, ORDERS, 'order_date=2024-02-30'), { recursive: true });
  }
  t.deepEqual(readdirSync(join(s3Dir, ORDERS)).length, 6, 'the bucket is as it was');
});

test.serial('access refused and no credentials at all: the same clear errors as the bastion path', async (t) => {
  const denied = await withS3((emu) => external(emu, 'tenant_a', '--s3', '--dialect=athena'), { denyAccess: true });
  t.is(denied.code, 1);
  t.regex(denied.stderr, /\[AWS_ACCESS\] S3 ListObjectsV2 of s3:\/\/tenant-a-data-lake\/ecommerce-data\/\w+\/ in us-east-1 was refused: AccessDenied/);
  t.regex(denied.stderr, /s3:ListBucket on arn:aws:s3:::tenant-a-data-lake/);

  const none = await withS3((emu) =>
    ws.taskProcess('tenant/src/external-tables.ts', ['--tenant', 'tenant_a', '--s3', '--dialect=athena'], emu.envWithoutCredentials()),
  );
  t.is(none.code, 1);
  t.regex(none.stderr, /\[AWS_CREDENTIALS\] S3 ListObjectsV2 of s3:\/\/tenant-a-data-lake\/.*: no AWS credentials were found/);
  t.regex(none.stderr, /AWS_PROFILE or AWS_ACCESS_KEY_ID/);
  t.notRegex(none.stderr, /NodeVersionSupportWarning/);
});
