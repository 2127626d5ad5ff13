/**
 * Glue: the inputs of `aws glue create-database`, `create-table` and `batch-create-partition`
 * (`--cli-input-json file://…`). JSON does the quoting; the types are Hive's, as in Athena.
 */
import type { DiscoveredTable, ExternalTable } from '../types.ts';
import { hiveType } from './athena.ts';
import { batches, catalogDatabase, partitionValues, type DialectContext, type DialectFile } from './common.ts';

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export function renderGlue(tables: DiscoveredTable[], ctx: DialectContext): DialectFile[] {
  // Databases first (a table needs its database), each once, in the order the tables name them.
  const databases = [...new Set(tables.map(({ table }) => catalogDatabase(table, ctx)))];
  const files = databases.map((name) => ({ file: `${name}.database.json`, content: json({ DatabaseInput: { Name: name } }) }));
  for (const { table, partitions } of tables) {
    const DatabaseName = catalogDatabase(table, ctx);
    const base = `${table.schema}.${table.name}`;
    files.push({ file: `${base}.table.json`, content: json({ DatabaseName, TableInput: tableInput(table) }) });
    batches(partitions).forEach((batch, i) => {
      const PartitionInputList = batch.map((p) => ({ Values: partitionValues(table, p), StorageDescriptor: storage(table, table.location + p.path) }));
      files.push({
        file: `${base}.partitions.${String(i + 1).padStart(3, '0')}.json`,
        content: json({ DatabaseName, TableName: table.name, PartitionInputList }),
      });
    });
  }
  return files;
}

function tableInput(table: ExternalTable) {
  const csv = table.format === 'csv';
  return {
    Name: table.name,
    ...(table.description === undefined ? {} : { Description: table.description }),
    TableType: 'EXTERNAL_TABLE',
    Parameters: { classification: csv ? 'csv' : 'json', ...(csv && table.csv.header ? { 'skip.header.line.count': '1' } : {}) },
    PartitionKeys: table.partitions.map((p) => ({ Name: p.name, Type: hiveType(p.type) })),
    StorageDescriptor: storage(table, table.location),
  };
}

function storage(table: ExternalTable, Location: string) {
  const { delimiter, nullString } = table.csv;
  return {
    Columns: table.columns.map((c) => ({ Name: c.name, Type: hiveType(c.type), ...(c.description === undefined ? {} : { Comment: c.description }) })),
    Location,
    InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    SerdeInfo:
      table.format === 'csv'
        ? {
            SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
            Parameters: { 'field.delim': delimiter, 'serialization.format': delimiter, 'serialization.null.format': nullString },
          }
        : { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
  };
}
