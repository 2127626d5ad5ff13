/**
 * @mt/lake — the data lake of each tenant as external tables (the dbt_external_tables replacement):
 *   loadExternalTables(root, tenant)          sql/sources/*.yml, checked (every problem at once), rendered for the tenant
 *   lakeDir(root, env)                        the local lake: DATA_LAKE_DIR or <root>/data-lake, laid out as S3
 *   writeLakeFromSeeds(root, tenant, tables, dir)   `make data-lake`: the tenant's seeds as partitioned files
 *   discoverLocal(dir, table, root)           partitions found by listing the table's folder (the Glue Crawler's job)
 *   discoverS3(tables, region)                the same by listing the tables' locations in S3 (ListObjectsV2)
 *   refreshExternalTables(admin, discovered, …)   file_fdw foreign tables + a view per table, kept in step with the files
 *   renderDialect(dialect, discovered, ctx)   Athena, Glue, Redshift Spectrum and Aurora DDL for the cloud
 */
import { resolve } from 'node:path';

export type { ExternalTable, SourceFreshness, DiscoveredTable, DiscoveredPartition, LakeColumn, LakePartitionKey, LakeType } from './types.ts';
export { loadExternalTables, SOURCES_DIR, freshnessKeys, freshnessOf } from './sources.ts';
export { discoverLocal, localLocation, locationsJson } from './discover.ts';
export { discoverS3 } from './s3.ts';
export { writeLakeFromSeeds, describeWritten, seedsChanged, type WrittenTable } from './write-lake.ts';
export { refreshExternalTables, externalTableDdl, type RefreshResult } from './postgres.ts';
export { DIALECTS, assertDialect, renderDialect, type Dialect, type DialectFile } from './dialects/index.ts';

/** The local lake folder: DATA_LAKE_DIR (relative to the workspace) or data-lake/. */
export const lakeDir = (root: string, env: NodeJS.ProcessEnv) => resolve(root, env.DATA_LAKE_DIR || 'data-lake');
