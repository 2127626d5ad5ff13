/**
 * Aurora PostgreSQL: the csv files copied into a real table with aws_s3.table_import_from_s3 (it reads
 * csv/text only, so a jsonl table gets a note instead). The import fills only the file's columns: each
 * partition's values come from column defaults set for the duration of that partition's files.
 *
 * Literals are quoted like PostgreSQL's quote_literal (E'' with doubled backslashes when there is a
 * backslash, so they read the same whatever standard_conforming_strings says).
 */
import { IDENTIFIER_PATTERN } from '@mt/cli';
import { postgresType } from '../lake-types.ts';
import type { DiscoveredTable, ExternalTable } from '../types.ts';
import { header, partitionValues, type DialectContext, type DialectFile } from './common.ts';

const literal = (value: string): string => (value.includes('\\') ? `E'${value.replace(/['\\]/g, (c) => c + c)}'` : `'${value.replaceAll("'", "''")}'`);
const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The import takes the table and column names as text it splices in unquoted: only plain identifiers may go there. */
function plain(name: string): string {
  if (!IDENTIFIER_PATTERN.test(name)) throw new Error(`"${name}" is not a plain identifier: aws_s3.table_import_from_s3 cannot name it`);
  return name;
}

export function renderAurora(tables: DiscoveredTable[], ctx: DialectContext): DialectFile[] {
  return tables.map((discovered) => {
    const { table } = discovered;
    const file = `${table.schema}.${table.name}.sql`;
    if (table.format !== 'csv') {
      const note = `-- Aurora's aws_s3.table_import_from_s3 reads csv/text only: ${table.schema}.${table.name} (jsonl) is not imported; query it with Athena or Redshift Spectrum.`;
      return { file, content: `${header('aurora', table, ctx)}\n${note}\n` };
    }
    const note = '-- Every run imports the files again: the import appends rows (truncate the table first to reload it).';
    const statements = [...createTable(table), ...imports(discovered, ctx)];
    return { file, content: `${header('aurora', table, ctx)}\n${note}\n${statements.join('\n\n')}\n` };
  });
}

function createTable(table: ExternalTable): string[] {
  const name = `${ident(table.schema)}.${ident(table.name)}`;
  const columns = [...table.columns, ...table.partitions].map((c) => `  ${ident(c.name)} ${postgresType(c.type)}`);
  const comments = [
    ...(table.description === undefined ? [] : [`COMMENT ON TABLE ${name} IS ${literal(table.description)};`]),
    ...table.columns.filter((c) => c.description !== undefined).map((c) => `COMMENT ON COLUMN ${name}.${ident(c.name)} IS ${literal(c.description!)};`),
  ];
  return [
    'CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE;',
    `CREATE SCHEMA IF NOT EXISTS ${ident(table.schema)};`,
    `CREATE TABLE IF NOT EXISTS ${name} (\n${columns.join(',\n')}\n);`,
    ...(comments.length ? [comments.join('\n')] : []),
  ];
}

/** One transaction: a failed file leaves no half-imported table and no default behind. */
function imports({ table, partitions, files }: DiscoveredTable, ctx: DialectContext): string[] {
  const name = `${ident(table.schema)}.${ident(table.name)}`;
  const { header: hasHeader, delimiter, nullString } = table.csv;
  const options = literal(`(format csv, header ${hasHeader}, delimiter ${literal(delimiter)}, null ${literal(nullString)})`);
  const target = `${literal(`${plain(table.schema)}.${plain(table.name)}`)}, ${literal(table.columns.map((c) => plain(c.name)).join(','))}`;
  const importFile = (path: string) =>
    `SELECT aws_s3.table_import_from_s3(${target}, ${options}, aws_commons.create_s3_uri(${literal(table.bucket)}, ${literal(table.prefix + path)}, ${literal(ctx.region)}));`;

  const blocks: string[] = [];
  if (table.partitions.length) {
    for (const partition of partitions.filter((p) => p.files.length)) {
      const values = partitionValues(table, partition);
      const defaults = table.partitions.map(
        (key, i) => `ALTER TABLE ${name} ALTER COLUMN ${ident(key.name)} SET DEFAULT ${literal(values[i])}::${postgresType(key.type)};`,
      );
      blocks.push([...defaults, ...partition.files.map(importFile)].join('\n'));
    }
    if (blocks.length) blocks.push(table.partitions.map((key) => `ALTER TABLE ${name} ALTER COLUMN ${ident(key.name)} DROP DEFAULT;`).join('\n'));
  } else if (files.length) {
    blocks.push(files.map(importFile).join('\n'));
  }
  return blocks.length ? ['BEGIN;', ...blocks, 'COMMIT;'] : [];
}
