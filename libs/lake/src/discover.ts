/**
 * Partitions found by listing a table's location in the local lake — the Glue Crawler's job. The
 * folder levels follow the partition keys (`order_date=2024-01-10/` or `2024-01-10/`); every value must
 * fit its key's type. Files starting with `.` or `_` (`_SUCCESS`, editors' temp files) are not data.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TaskError } from '@mt/cli';
import { fitsType } from './lake-types.ts';
import type { DiscoveredPartition, DiscoveredTable, ExternalTable } from './types.ts';

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
  const partitions: DiscoveredPartition[] = [];
  const walk = (path: string, level: number, values: Record<string, string>) => {
    const entries = readdirSync(path, { withFileTypes: true })
      .filter((e) => isData(e.name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (level === table.partitions.length) {
      const files = entries.filter((e) => e.isFile()).map((e) => relative(dir, join(path, e.name)));
      if (level > 0 && files.length) partitions.push({ values, path: `${relative(dir, path)}/`, files });
      return files;
    }
    const key = table.partitions[level];
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const where = join(path, entry.name);
      const value = key.path === 'key_value' ? keyValue(entry.name, key.name) : entry.name;
      if (value === undefined) {
        throw new TaskError('LAKE_PARTITION_VALUE', `${shown(where)}: a folder of partition key ${key.name} must be named ${key.name}=<value>.`, {
          hint: `Rename or remove it; the partitions of ${table.source}.${table.name} are ${table.partitions.map((p) => p.name).join('/')}.`,
        });
      }
      if (!fitsType(value, key.type)) {
        throw new TaskError(
          'LAKE_PARTITION_VALUE',
          `${shown(where)}: "${value}" is not a ${key.typeText} (partition key ${key.name} of ${table.source}.${table.name}).`,
          {
            hint: `Rename the folder, or change the type of ${key.name} in ${table.file}.`,
          },
        );
      }
      walk(where, level + 1, { ...values, [key.name]: value });
    }
    return [];
  };
  const files = walk(dir, 0, {});
  return { table, partitions, files: table.partitions.length ? [] : files };
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

/** dist/external/<tenant>/locations.json: every table with its S3 location, local folder and partitions. */
export function locationsJson(discovered: DiscoveredTable[], lakeDir: string, shownRoot: string): string {
  const tables = discovered.map(({ table, partitions, files }) => ({
    source: table.source,
    table: table.name,
    location: table.location,
    local: relative(shownRoot, localLocation(lakeDir, table)),
    ...(table.partitions.length
      ? { partitions: partitions.map((p) => ({ values: p.values, location: `${table.location}${p.path}`, files: p.files.map((f) => f.slice(p.path.length)) })) }
      : { files }),
  }));
  return `${JSON.stringify({ tables }, null, 2)}\n`;
}
