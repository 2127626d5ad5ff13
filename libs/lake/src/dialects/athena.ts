/**
 * Athena (Hive DDL): CREATE DATABASE, CREATE EXTERNAL TABLE and ALTER TABLE ADD PARTITION, one file
 * per table. Hive string literals take backslash escapes (two adjacent literals concatenate, so `''`
 * would silently drop the quote); identifiers are backquoted with doubled backquotes.
 */
import type { DiscoveredTable, ExternalTable, LakeType } from '../types.ts';
import { addPartitions, catalogDatabase, header, type DialectContext, type DialectFile } from './common.ts';

/** The Hive spelling, shared with the Glue catalog (the same metastore types). */
export function hiveType(type: LakeType): string {
  switch (type.kind) {
    case 'integer':
      return 'int';
    case 'numeric':
      return `decimal(${type.precision},${type.scale})`;
    case 'real':
      return 'float';
    case 'text':
      return 'string';
    case 'varchar':
      return `varchar(${type.length})`;
    default:
      return type.kind;
  }
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };
export const hiveString = (value: string): string => `'${value.replace(/[\\'\n\r\t]/g, (c) => ESCAPES[c])}'`;
export const hiveName = (name: string): string => `\`${name.replaceAll('`', '``')}\``;

export function renderAthena(tables: DiscoveredTable[], ctx: DialectContext): DialectFile[] {
  return tables.map((discovered) => {
    const { table } = discovered;
    const db = hiveName(catalogDatabase(table, ctx));
    const name = `${db}.${hiveName(table.name)}`;
    const statements = [
      `CREATE DATABASE IF NOT EXISTS ${db};`,
      createTable(table, name),
      ...addPartitions(discovered, name, { name: hiveName, string: hiveString }),
    ];
    return { file: `${table.schema}.${table.name}.sql`, content: `${header('athena', table, ctx)}\n${statements.join('\n\n')}\n` };
  });
}

function createTable(table: ExternalTable, name: string): string {
  const comment = (text?: string) => (text === undefined ? '' : ` COMMENT ${hiveString(text)}`);
  const columns = table.columns.map((c) => `  ${hiveName(c.name)} ${hiveType(c.type)}${comment(c.description)}`);
  const properties: Array<[string, string]> = [['classification', table.format === 'csv' ? 'csv' : 'json']];
  if (table.format === 'csv') {
    if (table.csv.header) properties.push(['skip.header.line.count', '1']);
    properties.push(['serialization.null.format', table.csv.nullString]);
  }
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${name} (\n${columns.join(',\n')}\n)`,
    ...(table.description === undefined ? [] : [comment(table.description).trim()]),
    ...(table.partitions.length ? [`PARTITIONED BY (${table.partitions.map((p) => `${hiveName(p.name)} ${hiveType(p.type)}`).join(', ')})`] : []),
    table.format === 'csv'
      ? `ROW FORMAT DELIMITED FIELDS TERMINATED BY ${hiveString(table.csv.delimiter)}`
      : `ROW FORMAT SERDE ${hiveString('org.openx.data.jsonserde.JsonSerDe')}`,
    'STORED AS TEXTFILE',
    `LOCATION ${hiveString(table.location)}`,
    `TBLPROPERTIES (${properties.map(([k, v]) => `${hiveString(k)}=${hiveString(v)}`).join(', ')});`,
  ].join('\n');
}
