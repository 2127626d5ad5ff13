/**
 * `make data-lake`: a tenant's local lake written from its seeds, laid out as in S3 —
 * `<lake>/<bucket>/<prefix>/<table>/<key>=<value>/part-00000.csv`. Rows stream from the seed to one
 * file per partition, so memory does not grow with the seed. Each table is written beside its folder
 * and swapped in at the end: a failure leaves the previous files as they were.
 *
 * A table written from a seed says so in `_from_seed.json` (a `_` file is not data): such a table
 * follows its seed — `seedsChanged` finds the ones whose seed changed since — while a table whose
 * files were put there by hand (no marker) is never rewritten.
 */
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import Papa from 'papaparse';
import { csvChunks } from './csv-chunks.ts';
import { TaskError } from '@mt/cli';
import { tenantSeedFiles, type Tenant } from '@mt/tenant-config';
import { localLocation } from './discover.ts';
import { fitsType } from './lake-types.ts';
import type { ExternalTable } from './types.ts';

export interface WrittenTable {
  table: ExternalTable;
  /** The seed it came from, or undefined when the tenant has none of that name (nothing written). */
  seed?: string;
  rows: number;
  partitions: number;
}

/** The seed a tenant loads for `name` (its own, generated or shared). */
const seedFile = (root: string, tenant: Tenant, name: string): string | undefined => tenantSeedFiles(root, tenant).get(name);

const MARKER = '_from_seed.json';

interface SeedMark {
  seed: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

function markOf(root: string, seed: string, known?: SeedMark): SeedMark {
  const { size, mtimeMs } = statSync(join(root, seed));
  // Size and time unchanged: the content is taken as unchanged (no hashing of a big seed on every run).
  if (known && known.seed === seed && known.size === size && known.mtimeMs === mtimeMs) return known;
  return {
    seed,
    size,
    mtimeMs,
    sha256: createHash('sha256')
      .update(readFileSync(join(root, seed)))
      .digest('hex'),
  };
}

/** The tables written from a seed whose seed changed since (or that a tenant's own seed now overrides). */
export function seedsChanged(root: string, tenant: Tenant, tables: ExternalTable[], lakeDir: string): ExternalTable[] {
  return tables.filter((table) => {
    let mark: SeedMark;
    try {
      mark = JSON.parse(readFileSync(join(localLocation(lakeDir, table), MARKER), 'utf8')) as SeedMark;
    } catch {
      return false;
    }
    const seed = seedFile(root, tenant, table.name);
    if (!seed) return false;
    const now = markOf(root, seed, mark);
    return now.seed !== mark.seed || now.sha256 !== mark.sha256;
  });
}

export async function writeLakeFromSeeds(root: string, tenant: Tenant, tables: ExternalTable[], lakeDir: string): Promise<WrittenTable[]> {
  const written: WrittenTable[] = [];
  for (const table of tables) {
    const seed = seedFile(root, tenant, table.name);
    if (!seed) {
      written.push({ table, rows: 0, partitions: 0 });
      continue;
    }
    const target = localLocation(lakeDir, table);
    const staging = `${target.replace(/\/$/, '')}.writing-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    try {
      const counts = await writeTable(root, seed, table, staging);
      writeFileSync(join(staging, MARKER), `${JSON.stringify(markOf(root, seed))}\n`);
      const old = `${target.replace(/\/$/, '')}.old-${process.pid}`;
      mkdirSync(dirname(staging), { recursive: true });
      if (existsSync(target)) renameSync(target, old);
      renameSync(staging, target);
      rmSync(old, { recursive: true, force: true });
      written.push({ table, seed, ...counts });
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return written;
}

async function writeTable(root: string, seed: string, table: ExternalTable, dir: string): Promise<{ rows: number; partitions: number }> {
  const writers = new Map<string, PartitionFile>();
  const columns = table.columns.map((c) => c.name);
  let rows = 0;
  let index: Record<string, number> | undefined;
  // A year of days is 366 values for a million rows: each is checked once.
  const valid = table.partitions.map(() => new Set<string>());
  /** One seed row into its partition's file; true when that file asks to wait. */
  const add = (record: string[]): boolean => {
    if (!index) {
      index = Object.fromEntries(record.map((name, i) => [i === 0 ? name.replace(/^\uFEFF/, '') : name, i]));
      const missing = [...columns, ...table.partitions.map((p) => p.name)].filter((c) => !(c in index!));
      if (missing.length)
        throw new TaskError('LAKE_MISSING', `${seed} has no column ${missing.join(', ')}, which ${table.file} defines for ${table.source}.${table.name}.`, {
          hint: `Add the column to the seed, or remove it from ${table.file}.`,
        });
      return false;
    }
    rows++;
    let folder = '';
    for (const [k, key] of table.partitions.entries()) {
      const value = record[index[key.name]];
      if (!valid[k].has(value)) {
        if (!fitsType(value, key.type)) {
          throw new TaskError('LAKE_PARTITION_VALUE', `${seed}:${rows + 1}: ${key.name} "${value}" is not a ${key.typeText}, so it cannot name a partition.`, {
            hint: `Fix the seed, or the type of ${key.name} in ${table.file}.`,
          });
        }
        valid[k].add(value);
      }
      folder += `${key.path === 'key_value' ? `${key.name}=` : ''}${encodeURIComponent(value)}/`;
    }
    let writer = writers.get(folder);
    if (!writer) writers.set(folder, (writer = new PartitionFile(join(dir, folder), table.csv.header ? columns : undefined, table.csv.delimiter)));
    return writer.add(columns.map((c) => record[index![c]] ?? '').map((v) => (v === '' ? table.csv.nullString : v)));
  };
  try {
    // A chunk's rows at a time, then wait for any partition file that is behind: memory stays flat.
    for await (const records of csvChunks(join(root, seed))) {
      let behind = false;
      for (const record of records) behind = add(record) || behind;
      if (behind) await Promise.all([...writers.values()].map((w) => w.drained()));
    }
  } catch (err) {
    if (err instanceof TaskError) throw err;
    throw new TaskError('LAKE_MISSING', `${seed}: cannot be read as CSV: ${(err as Error).message}`, { hint: 'Fix the seed file.', cause: err });
  } finally {
    await Promise.all([...writers.values()].map((w) => w.close()));
  }
  if (!table.partitions.length && rows === 0) mkdirSync(dir, { recursive: true });
  return { rows, partitions: table.partitions.length ? writers.size : 0 };
}

/** One partition's part-00000.csv, written 200 rows at a time (hundreds are open at once for a year of days). */
class PartitionFile {
  private readonly file: WriteStream;
  private rows: string[][] = [];

  constructor(
    folder: string,
    header: string[] | undefined,
    private readonly delimiter: string,
  ) {
    mkdirSync(folder, { recursive: true });
    this.file = createWriteStream(join(folder, 'part-00000.csv'));
    if (header) this.rows.push(header);
  }

  /** True when the file's buffer is full: wait for drained() before adding more. */
  add(values: string[]): boolean {
    return this.rows.push(values) >= 200 && !this.file.write(this.take());
  }

  drained(): Promise<unknown> {
    return this.file.writableNeedDrain ? once(this.file, 'drain') : Promise.resolve();
  }

  async close(): Promise<void> {
    this.file.end(this.take());
    if (!this.file.writableFinished) await once(this.file, 'finish');
  }

  private take(): string {
    const text = this.rows.length ? `${Papa.unparse(this.rows, { delimiter: this.delimiter, newline: '\n' })}\n` : '';
    this.rows = [];
    return text;
  }
}

/** A written table, as one line for the log. */
export const describeWritten = (w: WrittenTable, lakeDir: string, shownRoot: string) =>
  w.seed
    ? `${w.table.source}.${w.table.name}: ${w.rows} rows from ${w.seed}${w.table.partitions.length ? ` in ${w.partitions} partitions` : ''} → ${relative(shownRoot, localLocation(lakeDir, w.table))}`
    : `${w.table.source}.${w.table.name}: no seed named ${w.table.name}; nothing written`;
