/**
 * The external tables as the cloud engines read them: one module per dialect, each a pure function of
 * the discovered tables (no clock, no randomness, no locale), so the files under
 * dist/external/<tenant>/<dialect>/ change only when the sources or the lake do.
 *
 * athena, glue and redshift all describe the same Glue Data Catalog table (`<tenant>_<schema>.<name>`):
 * they are three ways to create it, not three copies. aurora imports the files into PostgreSQL instead.
 */
import { TaskError } from '@mt/cli';
import type { DiscoveredTable, ExternalTable } from '../types.ts';
import { renderAthena } from './athena.ts';
import { renderAurora } from './aurora.ts';
import { renderGlue } from './glue.ts';
import { renderRedshift } from './redshift.ts';
import { DIALECTS, catalogDatabase, type Dialect, type DialectContext, type DialectFile } from './common.ts';

export { DIALECTS, type Dialect, type DialectContext, type DialectFile };

export function assertDialect(name: string): Dialect {
  if ((DIALECTS as readonly string[]).includes(name)) return name as Dialect;
  throw new TaskError('UNKNOWN_DIALECT', `Unknown dialect "${name}": known dialects are ${DIALECTS.join(', ')}.`, {
    hint: `Pass one of them, e.g. --dialect=${DIALECTS[0]}.`,
  });
}

/** Every file of one dialect for the discovered tables, in a stable order; content byte-identical for the same input. */
export function renderDialect(dialect: Dialect, tables: DiscoveredTable[], ctx: DialectContext): DialectFile[] {
  assertDistinct(tables, ctx);
  switch (dialect) {
    case 'athena':
      return renderAthena(tables, ctx);
    case 'glue':
      return renderGlue(tables, ctx);
    case 'redshift':
      return renderRedshift(tables, ctx);
    case 'aurora':
      return renderAurora(tables, ctx);
  }
}

/** Two sources may share a schema: two tables with one name there would be one catalog table (and one file). */
function assertDistinct(tables: DiscoveredTable[], ctx: DialectContext): void {
  const seen = new Map<string, ExternalTable>();
  for (const { table } of tables) {
    const key = `${catalogDatabase(table, ctx)}.${table.name}`;
    const other = seen.get(key);
    if (other) {
      throw new TaskError(
        'INVALID_SOURCES',
        `source('${other.source}', '${other.name}') in ${other.file} and source('${table.source}', '${table.name}') in ${table.file} are both the external table ${key}.`,
        { hint: 'Rename one of the tables, or give its source another schema.' },
      );
    }
    seen.set(key, table);
  }
}
