import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskError } from '@mt/cli';
import { renderTemplate } from '@mt/pipeline';
import type { Tenant } from '@mt/tenant-config';

export const AURORA_SQL_DIR = 'sql/aurora';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface PhaseFile {
  /** Path relative to the workspace root, e.g. sql/aurora/schema/create-tenant-schemas.sql */
  file: string;
  /** The SQL after rendering with the tenant registry. */
  sql: string;
  /** Whether Jinja changed the text (then errors cite the rendered copy). */
  templated: boolean;
  /** sha256 of the file as written: a change here is a change of intent. */
  checksum: string;
  /** sha256 of the rendered SQL: changes with the tenant registry too. */
  renderedChecksum: string;
}

/** The phase a file belongs to, from its path (sql/aurora/<phase>/…), as the original script did. */
export function phaseOfPath(path: string): string | undefined {
  return /(?:^|\/)sql\/aurora\/([a-z][a-z0-9_]*)\/[^/]+\.sql$/.exec(path.replace(/\\/g, '/'))?.[1];
}

/**
 * The files of one phase, rendered for every tenant (`tenants`: name, aurora_schema, database; and
 * `schemas`: the aurora schemas; `target_database`), in file-name order.
 */
export function renderPhase(root: string, phase: string, tenants: Tenant[], targetDatabase = 'multitenant_analytics'): PhaseFile[] {
  const dir = join(root, AURORA_SQL_DIR, phase);
  if (!existsSync(dir))
    throw new TaskError('NO_PHASE_SQL', `There is no ${AURORA_SQL_DIR}/${phase}/ folder for phase "${phase}".`, {
      hint: `Add the phase's SQL files to ${AURORA_SQL_DIR}/${phase}/.`,
    });
  const registry = tenants.map((t) => ({ name: t.name, aurora_schema: t.aurora.schema, database: t.database }));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => {
      const file = `${AURORA_SQL_DIR}/${phase}/${name}`;
      const template = readFileSync(join(root, file), 'utf8');
      const sql = renderTemplate(template, file, { tenants: registry, schemas: registry.map((t) => t.aurora_schema), target_database: targetDatabase });
      return { file, sql, templated: /\{[{%]/.test(template), checksum: sha256(template), renderedChecksum: sha256(sql) };
    });
}

/** The zero-ETL data filter for phase 3: every tenant's users table (at most 99 patterns). */
export function zeroEtlFilter(tenants: Tenant[], database = 'multitenant_analytics'): string {
  if (tenants.length > 99) throw new TaskError('FILTER_TOO_LONG', `A zero-ETL data filter takes at most 99 patterns; there are ${tenants.length} tenants.`);
  return tenants.map((t) => `include: ${database}.${t.aurora.schema}.users`).join(', ');
}
