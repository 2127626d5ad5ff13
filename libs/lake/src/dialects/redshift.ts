/**
 * Redshift Spectrum: an external schema on the tenant's catalog database, then the table, dropped and
 * created again (Spectrum has no CREATE OR REPLACE; a changed shape must not be kept by IF NOT EXISTS),
 * then its partitions. None of these statements may run inside a transaction block.
 *
 * Redshift string literals read backslash escapes (like QUOTE_LITERAL, both `'` and `\` are doubled);
 * identifiers are double-quoted with doubled double quotes.
 */
import type { DiscoveredTable, ExternalTable, LakeType } from '../types.ts';
import { addPartitions, catalogDatabase, header, type DialectContext, type DialectFile } from './common.ts';

export function redshiftType(type: LakeType): string {
  switch (type.kind) {
    case 'integer':
      return 'int';
    case 'numeric':
      return `decimal(${type.precision},${type.scale})`;
    case 'double':
      return 'double precision';
    case 'text':
      return 'varchar(65535)'; // Spectrum has no text: the longest varchar
    case 'varchar':
      return `varchar(${type.length})`;
    default:
      return type.kind;
  }
}

const literal = (value: string): string => `'${value.replace(/['\\]/g, (c) => c + c)}'`;
const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export function renderRedshift(tables: DiscoveredTable[], ctx: DialectContext): DialectFile[] {
  return tables.map((discovered) => {
    const { table } = discovered;
    const db = catalogDatabase(table, ctx);
    const name = `${ident(db)}.${ident(table.name)}`;
    const statements = [
      // REGION: the catalog database lives in the lake's region, whatever the cluster's.
      `CREATE EXTERNAL SCHEMA IF NOT EXISTS ${ident(db)}\nFROM DATA CATALOG DATABASE ${literal(db)} REGION ${literal(ctx.region)}\nIAM_ROLE default\nCREATE EXTERNAL DATABASE IF NOT EXISTS;`,
      `DROP TABLE IF EXISTS ${name};`,
      createTable(table, name),
      ...addPartitions(discovered, name, { name: ident, string: literal }),
    ];
    return { file: `${table.schema}.${table.name}.sql`, content: `${header('redshift', table, ctx)}\n${statements.join('\n\n')}\n` };
  });
}

function createTable(table: ExternalTable, name: string): string {
  const columns = table.columns.map((c) => `  ${ident(c.name)} ${redshiftType(c.type)}`);
  const csv = table.format === 'csv';
  const properties: Array<[string, string]> = [];
  if (csv && table.csv.header) properties.push(['skip.header.line.count', '1']);
  if (csv) properties.push(['serialization.null.format', table.csv.nullString]);
  return [
    `CREATE EXTERNAL TABLE ${name} (\n${columns.join(',\n')}\n)`,
    ...(table.partitions.length ? [`PARTITIONED BY (${table.partitions.map((p) => `${ident(p.name)} ${redshiftType(p.type)}`).join(', ')})`] : []),
    csv ? `ROW FORMAT DELIMITED FIELDS TERMINATED BY ${literal(table.csv.delimiter)}` : `ROW FORMAT SERDE ${literal('org.openx.data.jsonserde.JsonSerDe')}`,
    'STORED AS TEXTFILE',
    `LOCATION ${literal(table.location)}${properties.length ? '' : ';'}`,
    ...(properties.length ? [`TABLE PROPERTIES (${properties.map(([k, v]) => `${literal(k)}=${literal(v)}`).join(', ')});`] : []),
  ].join('\n');
}
