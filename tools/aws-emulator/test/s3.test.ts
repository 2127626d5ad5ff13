/** S3 ListObjectsV2 through the real SDK client: a folder's subfolders are buckets, its files objects. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ListObjectsV2Command, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import test, { type ExecutionContext } from 'ava';
import type { EmulatorOptions } from '../src/index.ts';
import { harness, REGION, rejection } from './helpers.ts';

/** A bucket folder with these files (key → content), an emulator serving it and a path-style S3 client. */
async function bucket(t: ExecutionContext, objects: Record<string, string>, options: Omit<EmulatorOptions, 'bastionDir' | 's3Dir'> = {}) {
  const s3Dir = mkdtempSync(join(tmpdir(), 'mt-s3-'));
  t.teardown(() => rmSync(s3Dir, { recursive: true, force: true }));
  for (const [key, content] of Object.entries(objects)) {
    mkdirSync(dirname(join(s3Dir, 'lake', key)), { recursive: true });
    writeFileSync(join(s3Dir, 'lake', key), content);
  }
  const { emu } = await harness(t, { ...options, s3Dir });
  const s3 = new S3Client({ endpoint: emu.url, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  t.teardown(() => s3.destroy());
  return { emu, s3 };
}

const keysOf = (page: { Contents?: Array<{ Key?: string }> }) => (page.Contents ?? []).map((o) => o.Key);

test('ListObjectsV2 lists the keys under a prefix in UTF-8 byte order, with sizes', async (t) => {
  const { s3, emu } = await bucket(t, {
    'data/orders/order_date=2024-01-02/part-00000.csv': 'a,b\n',
    'data/orders/order_date=2024-01-01/part-00000.csv': 'a\n',
    'data/orders/order_date=2024-01-01/ä.csv': 'x',
    'data/orders/order_date=2024-01-01/z.csv': 'x',
    'data/customers/part-00000.csv': 'c\n',
  });
  const page = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'data/orders/' }));
  t.deepEqual(keysOf(page), [
    'data/orders/order_date=2024-01-01/part-00000.csv',
    'data/orders/order_date=2024-01-01/z.csv',
    // 'ä' is 0xC3 0xA4 in UTF-8: after every ASCII key
    'data/orders/order_date=2024-01-01/ä.csv',
    'data/orders/order_date=2024-01-02/part-00000.csv',
  ]);
  t.is(page.KeyCount, 4);
  t.is(page.IsTruncated, false);
  t.is(page.Contents?.[3]?.Size, 4);
  t.true(page.Contents?.[0]?.LastModified instanceof Date);
  t.regex(page.Contents?.[0]?.ETag ?? '', /^"[0-9a-f]{32}"$/);
  const [request] = emu.requests;
  t.like(request, { service: 's3', action: 'ListObjectsV2' });
  t.regex(request.url, /^\/lake\/?\?.*list-type=2/);
});

test('a listing pages with continuation tokens when the server caps the page; the paginator gets every key once', async (t) => {
  const objects = Object.fromEntries(Array.from({ length: 23 }, (_, i) => [`p/k=${String(i).padStart(2, '0')}/part.csv`, `${i}\n`]));
  const { s3, emu } = await bucket(t, objects, { s3MaxKeys: 5 });
  const first = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'p/' }));
  t.is(first.KeyCount, 5);
  t.is(first.IsTruncated, true);
  t.truthy(first.NextContinuationToken);
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: 'lake', Prefix: 'p/' })) keys.push(...(keysOf(page) as string[]));
  t.deepEqual(keys, Object.keys(objects).sort());
  t.is(emu.requests.length, 1 + 5);
  t.true(emu.requests.slice(2).every((r) => r.url.includes('continuation-token=')));
  // a smaller MaxKeys than the cap is honoured; StartAfter skips
  const small = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', MaxKeys: 2, StartAfter: 'p/k=20/part.csv' }));
  t.deepEqual(keysOf(small), ['p/k=21/part.csv', 'p/k=22/part.csv']);
  t.is(small.IsTruncated, false);
});

test('an unknown bucket is NoSuchBucket (404); a bad continuation token is InvalidArgument; denied access is AccessDenied (403)', async (t) => {
  const { s3 } = await bucket(t, { 'a.csv': '1' });
  const missing = await rejection(t, s3.send(new ListObjectsV2Command({ Bucket: 'other' })));
  t.is(missing.name, 'NoSuchBucket');
  t.is(missing.$metadata?.httpStatusCode, 404);
  const token = await rejection(t, s3.send(new ListObjectsV2Command({ Bucket: 'lake', ContinuationToken: 'bm9wZQ==' })));
  t.is(token.name, 'InvalidArgument');
  const { s3: denied } = await bucket(t, { 'a.csv': '1' }, { denyAccess: true });
  const refused = await rejection(t, denied.send(new ListObjectsV2Command({ Bucket: 'lake' })));
  t.is(refused.name, 'AccessDenied');
  t.is(refused.$metadata?.httpStatusCode, 403);
});

test('what the emulator does not implement is EmulatorUnsupported, never a silent partial answer', async (t) => {
  const { s3 } = await bucket(t, { 'a/b.csv': '1' });
  const delimited = await rejection(t, s3.send(new ListObjectsV2Command({ Bucket: 'lake', Delimiter: '/' })));
  t.is(delimited.name, 'EmulatorUnsupported');
});
