/**
 * S3 (REST-XML, path-style `GET /<bucket>?list-type=2`): ListObjectsV2 over a folder whose subfolders
 * are buckets and whose files are objects — the layout of the local data lake, so a test lists the very
 * lake it wrote. Keys come back in UTF-8 byte order, at most `maxKeys` per page (S3's cap is 1000; a test
 * lowers it to page through a small bucket), continued with an opaque token.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ServiceError, unsupported, xmlText } from './protocol.ts';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
export const S3_MAX_KEYS = 1000;

interface S3Object {
  key: string;
  size: number;
  mtime: Date;
}

/** A REST-XML error as S3 sends it; the SDK reads `Code`. */
export class S3Error extends ServiceError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly extra: Record<string, string> = {},
  ) {
    super(code, message, status);
  }
}

export function s3ErrorXml(error: ServiceError, requestId: string): string {
  const extra = error instanceof S3Error ? Object.entries(error.extra).map(([k, v]) => xmlText(k, v)) : [];
  return `<Error>${xmlText('Code', error.code)}${xmlText('Message', error.message)}${extra.join('')}${xmlText('RequestId', requestId)}</Error>`;
}

/** The operation a request asks for (the REST API names it by method, path and query). */
export function s3Action(method: string, url: URL): string {
  const bucketOnly = /^\/[^/]+\/?$/.test(url.pathname);
  if (method === 'GET' && bucketOnly && url.searchParams.get('list-type') === '2') return 'ListObjectsV2';
  return `${method} ${url.pathname}${url.search}`;
}

export class S3 {
  constructor(
    private readonly root: string | undefined,
    private readonly maxKeys: number,
  ) {}

  handle(action: string, url: URL): string {
    if (action !== 'ListObjectsV2') throw unsupported(`S3 ${action}`);
    return this.listObjectsV2(decodeURIComponent(url.pathname.split('/')[1]), url.searchParams);
  }

  private listObjectsV2(bucket: string, query: URLSearchParams): string {
    for (const name of ['delimiter', 'encoding-type', 'fetch-owner']) if (query.has(name)) throw unsupported(`the ${name} parameter of S3 ListObjectsV2`);
    const prefix = query.get('prefix') ?? '';
    const startAfter = query.get('start-after') ?? '';
    const token = query.get('continuation-token');
    const asked = query.has('max-keys') ? Number(query.get('max-keys')) : S3_MAX_KEYS;
    if (!Number.isInteger(asked) || asked < 0) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400);
    const after = token === null ? startAfter : decodeToken(token);
    const keys = this.objects(bucket).filter((o) => o.key.startsWith(prefix) && byteOrder(o.key, after) > 0);
    const page = keys.slice(0, Math.min(asked, this.maxKeys));
    const truncated = keys.length > page.length;
    const contents = page.map(
      (o) =>
        `<Contents>${xmlText('Key', o.key)}${xmlText('LastModified', o.mtime.toISOString())}${xmlText('ETag', `"${etag(o)}"`)}` +
        `${xmlText('Size', String(o.size))}${xmlText('StorageClass', 'STANDARD')}</Contents>`,
    );
    return (
      `<ListBucketResult xmlns="${S3_XMLNS}">${xmlText('Name', bucket)}${xmlText('Prefix', prefix)}` +
      `${xmlText('KeyCount', String(page.length))}${xmlText('MaxKeys', String(asked))}${xmlText('IsTruncated', String(truncated))}` +
      contents.join('') +
      (token === null ? '' : xmlText('ContinuationToken', token)) +
      (truncated ? xmlText('NextContinuationToken', encodeToken(page.at(-1)!.key)) : '') +
      (startAfter ? xmlText('StartAfter', startAfter) : '') +
      `</ListBucketResult>`
    );
  }

  /** Every file under the bucket's folder as an object, in S3's key order. */
  private objects(bucket: string): S3Object[] {
    const dir = this.root && bucket && !bucket.includes('..') ? join(this.root, bucket) : undefined;
    if (!dir || !statSync(dir, { throwIfNoEntry: false })?.isDirectory())
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
    const found: S3Object[] = [];
    const walk = (path: string, key: string) => {
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        const full = join(path, entry.name);
        if (entry.isDirectory()) walk(full, `${key}${entry.name}/`);
        else if (entry.isFile()) {
          const { size, mtime } = statSync(full);
          found.push({ key: `${key}${entry.name}`, size, mtime });
        }
      }
    };
    walk(dir, '');
    return found.sort((a, b) => byteOrder(a.key, b.key));
  }
}

/** S3 orders keys by their UTF-8 bytes, not by UTF-16 code units as `<` does. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const encodeToken = (key: string) => Buffer.from(`v1:${key}`).toString('base64');

function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64').toString();
  if (!text.startsWith('v1:')) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400);
  return text.slice(3);
}

/** Not the content's MD5 (that would read every file): stable while the file is unchanged, which is what callers compare. */
const etag = (o: S3Object) => createHash('md5').update(`${o.key}:${o.size}:${o.mtime.getTime()}`).digest('hex');
