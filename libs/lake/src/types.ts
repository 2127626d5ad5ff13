/** The external tables of sql/sources/*.yml, as every dialect reads them. */

/** A column type every target can express (PostgreSQL, Athena/Glue, Redshift Spectrum). */
export type LakeType =
  | { kind: 'smallint' | 'integer' | 'bigint' | 'real' | 'double' | 'boolean' | 'text' | 'date' | 'timestamp' }
  | { kind: 'numeric'; precision: number; scale: number }
  | { kind: 'varchar'; length: number };

export interface LakeColumn {
  name: string;
  type: LakeType;
  /** As written in the YAML (`numeric(10,2)`), for messages and docs. */
  typeText: string;
  description?: string;
}

/** `key_value`: `order_date=2024-01-10/` (Hive); `value_only`: `2024-01-10/`. */
export type PartitionPath = 'key_value' | 'value_only';

export interface LakePartitionKey {
  name: string;
  type: LakeType;
  typeText: string;
  path: PartitionPath;
}

export interface CsvOptions {
  /** The first line of every file names the columns (skipped). */
  header: boolean;
  /** One character. */
  delimiter: string;
  /** The text that reads as NULL (dbt_external_tables' `null`; default the empty string). */
  nullString: string;
}

/** How old a source's newest row may be (dbt's freshness): warn and error after an age. */
export interface SourceFreshness {
  /** An SQL expression over the table's columns. */
  loadedAtField: string;
  warnAfter?: { count: number; period: 'minute' | 'hour' | 'day' };
  errorAfter?: { count: number; period: 'minute' | 'hour' | 'day' };
  filter?: string;
}

export interface ExternalTable {
  /** The source it belongs to (`source('<source>', '<name>')`) and the schema it lives in. */
  source: string;
  schema: string;
  name: string;
  description?: string;
  /** The YAML file that defines it, relative to the workspace. */
  file: string;
  /** The rendered location: `s3://<bucket>/<prefix>/` with a trailing slash. */
  location: string;
  bucket: string;
  /** The key prefix inside the bucket, ending with `/` (or '' for the bucket's root). */
  prefix: string;
  format: 'csv' | 'jsonl';
  csv: CsvOptions;
  columns: LakeColumn[];
  /** Outermost folder level first. */
  partitions: LakePartitionKey[];
  freshness?: SourceFreshness;
  /** sha256 of everything above that decides the table's shape (not its partitions, nor its freshness). */
  checksum: string;
}

/** One partition found under a table's location (the Glue Crawler's job). */
export interface DiscoveredPartition {
  /** Partition key → the value as written in the path. */
  values: Record<string, string>;
  /** Relative to the table's location, ending with `/` (e.g. `order_date=2024-01-10/`). */
  path: string;
  /** The data files in it, relative to the table's location, sorted. */
  files: string[];
}

export interface DiscoveredTable {
  table: ExternalTable;
  partitions: DiscoveredPartition[];
  /** Data files directly under the location (an unpartitioned table). */
  files: string[];
  /**
   * Changes when any data file does, even rewritten in place under the same name: a hash of each file's
   * path with its size and time (local) or ETag (S3). What reads the table is rebuilt or tested again.
   */
  content?: string;
}
