/**
 * Partitions found by listing a table's location — the Glue Crawler's job — in the local lake here, in
 * S3 by s3.ts. The folder levels follow the partition keys (`order_date=2024-01-10/` or `2024-01-10/`);
 * every value must fit its key's type. Files starting with `.` or `_` (`_SUCCESS`, editors' temp files)
 * are not data.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TaskError } from '@mt/cli';
import { fitsType } from './lake-types.ts';
import type { DiscoveredPartition, DiscoveredTable, ExternalTable, LakePartitionKey } from './types.ts';

/** Where a table's files are in the local lake: `<lake>/<bucket>/<prefix>`. */
export const localLocation = (lakeDir: string, table: ExternalTable) => join(lakeDir, table.bucket, table.prefix);

const isData = (name: string) => !name.startsWith('.') && !name.startsWith('_');

export function discoverLocal(lakeDir: string, table: ExternalTable, shownRoot: string): DiscoveredTable {
  const dir = localLocation(lakeDir, table);
  const shown = (path: string) => relative(shownRoot, path) || '.';
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new TaskError('LAKE_MISSING', `${shown(dir)} does not exist: no files for source('${table.source}', '${table.name}') (${table.location}).`, {
      hint: 'Write the local lake from the seeds with `make data-lake`, or put the files there as they are in S3.',
    });
  }
  const found = partitionsOf(table, listFolder(dir, table.partitions.length), (folder) => shown(join(dir, folder)));
  return withContent(found, (file) => {
    const { size, mtimeMs } = statSync(join(dir, file));
    return `${size} ${mtimeMs}`;
  });
}

/** The table with its `content` stamp: every data file with what `stamp` says of it. */
export function withContent(d: DiscoveredTable, stamp: (file: string) => string): DiscoveredTable {
  const files = d.table.partitions.length ? d.partitions.flatMap((p) => p.files) : d.files;
  return {
    ...d,
    content: createHash('sha256')
      .update(files.map((f) => `${f} ${stamp(f)}\n`).join(''))
      .digest('hex'),
  };
}

/**
 * What a listing of the folder shows, relative to it: the folders of the partition levels (ending with
 * `/`, so an empty one is still checked) and the files of the last level. Nothing deeper is read.
 */
function listFolder(dir: string, levels: number): string[] {
  const paths: string[] = [];
  const walk = (path: string, rel: string, level: number) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (!isData(entry.name)) continue;
      if (level === levels) {
        if (entry.isFile()) paths.push(`${rel}${entry.name}`);
      } else if (entry.isDirectory()) {
        paths.push(`${rel}${entry.name}/`);
        walk(join(path, entry.name), `${rel}${entry.name}/`, level + 1);
      }
    }
  };
  walk(dir, '', 0);
  return paths;
}

/**
 * A table's partitions from a listing of its location — the local folder or the S3 keys, relative to
 * the location; a path ending with `/` is a folder. One folder level per partition key, every folder's
 * value checked against its key's type (`where` names a folder in the error); data files are those at the
 * last level, named without a leading `.` or `_`. Sorted the same way whatever listed them.
 */
export function partitionsOf(table: ExternalTable, paths: string[], where: (folder: string) => string): DiscoveredTable {
  const depth = table.partitions.length;
  const valuesByFolder = new Map<string, Record<string, string>>([['', {}]]);
  const valuesOf = (folders: string[]): Record<string, string> => {
    const path = folders.join('/');
    let values = valuesByFolder.get(path);
    if (!values) {
      const key = table.partitions[folders.length - 1];
      values = { ...valuesOf(folders.slice(0, -1)), [key.name]: partitionValue(table, key, folders.at(-1)!, () => where(path)) };
      valuesByFolder.set(path, values);
    }
    return values;
  };
  const partitions = new Map<string, DiscoveredPartition>();
  const files: string[] = [];
  const listed = paths.map((p) => p.split('/')).sort(bySegments);
  for (const segments of listed) {
    const name = segments.at(-1)!;
    const folders = segments.slice(0, -1);
    if (folders.length > depth || !folders.every((f) => f !== '' && isData(f))) continue;
    const values = valuesOf(folders);
    if (name === '' || !isData(name) || folders.length < depth) continue;
    if (depth === 0) {
      files.push(name);
      continue;
    }
    const path = `${folders.join('/')}/`;
    const partition = partitions.get(path) ?? { values, path, files: [] };
    partitions.set(path, partition);
    partition.files.push(segments.join('/'));
  }
  return { table, partitions: [...partitions.values()], files };
}

/** Folder by folder, so `a/` comes before `a-b/` as in a folder listing (a plain string sort puts `-` first). */
function bySegments(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

function partitionValue(table: ExternalTable, key: LakePartitionKey, folder: string, where: () => string): string {
  const value = key.path === 'key_value' ? keyValue(folder, key.name) : folder;
  if (value === undefined) {
    throw new TaskError('LAKE_PARTITION_VALUE', `${where()}: a folder of partition key ${key.name} must be named ${key.name}=<value>.`, {
      hint: `Rename or remove it; the partitions of ${table.source}.${table.name} are ${table.partitions.map((p) => p.name).join('/')}.`,
    });
  }
  if (!fitsType(value, key.type)) {
    throw new TaskError(
      'LAKE_PARTITION_VALUE',
      `${where()}: "${value}" is not a ${key.typeText} (partition key ${key.name} of ${table.source}.${table.name}).`,
      {
        hint: `Rename the folder, or change the type of ${key.name} in ${table.file}.`,
      },
    );
  }
  return value;
}

function keyValue(folder: string, key: string): string | undefined {
  const eq = folder.indexOf('=');
  if (eq < 0 || folder.slice(0, eq) !== key) return undefined;
  // Hive escapes special characters in values as %XX.
  try {
    return decodeURIComponent(folder.slice(eq + 1));
  } catch {
    return undefined;
  }
}

/**
 * dist/external/<tenant>/locations.json: every table with its S3 location, its partitions and files, and
 * the local folder they were listed in (none when S3 itself was listed).
 */
export function locationsJson(discovered: DiscoveredTable[], local?: { lakeDir: string; shownRoot: string }): string {
  const tables = discovered.map(({ table, partitions, files }) => ({
    source: table.source,
    table: table.name,
    location: table.location,
    ...(local ? { local: relative(local.shownRoot, localLocation(local.lakeDir, table)) } : {}),
    ...(table.partitions.length
      ? { partitions: partitions.map((p) => ({ values: p.values, location: `${table.location}${p.path}`, files: p.files.map((f) => f.slice(p.path.length)) })) }
      : { files }),
  }));
  return `${JSON.stringify({ tables }, null, 2)}\n`;
}
