/**
 * `--s3`: the partitions of the real lake, found by listing each table's location in its bucket
 * (ListObjectsV2, page after page) — what the Glue Crawler reads — instead of the local folder. The
 * listing goes through the same partitionsOf as the local one, so both give the same tables for the same
 * files. AWS_ENDPOINT_URL(_S3) points it at LocalStack, MinIO or the emulator.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { accessError, clientConfig } from '@mt/aws';
import { TaskError } from '@mt/cli';
import { partitionsOf, withContent } from './discover.ts';
import type { DiscoveredTable, ExternalTable } from './types.ts';

export async function discoverS3(tables: ExternalTable[], region: string): Promise<DiscoveredTable[]> {
  // Loaded here, not with the module: every run imports this lib, few list S3 (the client is ~1.5 MB of code).
  const { S3Client } = await import('@aws-sdk/client-s3');
  // A bucket in another region answers with a redirect; the client follows it.
  const s3 = new S3Client({ ...clientConfig(region, 'S3'), followRegionRedirects: true });
  try {
    return await Promise.all(
      tables.map(async (table) => {
        const objects = await listObjects(s3, table, region);
        const found = partitionsOf(table, [...objects.keys()], (folder) => `${table.location}${folder}`);
        return withContent(found, (file) => objects.get(file)!);
      }),
    );
  } finally {
    s3.destroy();
  }
}

/** Every key under the table's prefix, relative to it, with its size and ETag. */
async function listObjects(s3: S3Client, table: ExternalTable, region: string): Promise<Map<string, string>> {
  const { paginateListObjectsV2 } = await import('@aws-sdk/client-s3');
  const objects = new Map<string, string>();
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: table.bucket, Prefix: table.prefix })) {
      for (const { Key, Size, ETag } of page.Contents ?? []) if (Key) objects.set(Key.slice(table.prefix.length), `${Size} ${ETag}`);
    }
  } catch (err) {
    throw listError(err, table, region);
  }
  if (!objects.size) {
    throw new TaskError('LAKE_MISSING', `${table.location} holds no objects: no files for source('${table.source}', '${table.name}') in S3.`, {
      hint: `Check the location in ${table.file} and that the data is there (\`aws s3 ls ${table.location}\`).`,
    });
  }
  return objects;
}

function listError(err: unknown, table: ExternalTable, region: string): TaskError {
  const call = `S3 ListObjectsV2 of ${table.location}`;
  const denied = accessError(err, call, region, [`s3:ListBucket on arn:aws:s3:::${table.bucket}`]);
  if (denied) return denied;
  const { name = 'Error', message } = err as { name?: string; message?: string };
  if (name === 'NoSuchBucket') {
    return new TaskError(
      'LAKE_MISSING',
      `The bucket ${table.bucket} does not exist (NoSuchBucket): no files for source('${table.source}', '${table.name}') (${table.location}).`,
      {
        hint: `Check the location in ${table.file} (the tenant's dataLake.bucket), and AWS_ENDPOINT_URL if you point at a local S3.`,
        cause: err,
      },
    );
  }
  return new TaskError('AWS_ERROR', `${call} failed: ${name}: ${message}`, { cause: err });
}
