import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TaskError, isValidIdentifier } from '@mt/cli';
import type pg from 'pg';
import { runScript, splitStatements } from '@mt/sql';
import type { Tenant } from '@mt/tenant-config';
import { loadProject } from './project.ts';
import { Lookups } from './lookups.ts';
import { readerConnection, renderLive, resolveLookups } from './lookup-rounds.ts';
import type { AnalysisResult, AnalysisSection } from './analysis-output.ts';
import { withTransaction, type DatabaseAccess } from '@mt/postgres';
import type { PipelineNode } from './types.ts';

export const ANALYSES_DIR = 'sql/analyses';

/**
 * Every `sql/analyses/<name>.sql` whose name is an identifier, sorted: each becomes target
 * `analysis-<name>` on every tenant. tools/nx-plugin (plain JS, which cannot import this) lists them
 * the same way in analysisNames; its test asserts that both agree.
 */
export function listAnalyses(root: string): string[] {
  const dir = join(root, ANALYSES_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => basename(f, '.sql'))
    .filter(isValidIdentifier)
    .sort();
}

/**
 * Where the analysis target writes a tenant's results (<name>.json, .md, .csv; writeAnalysisFiles),
 * relative to the workspace root; the report reads them there. The plugin's analysis targets declare
 * the same folder as their outputs (tools/nx-plugin, tested to agree).
 */
export const analysisOutputDir = (tenant: string): string => `dist/analysis/${tenant}`;

export function assertAnalysis(root: string, name: string): void {
  const known = listAnalyses(root);
  if (!known.includes(name)) {
    throw new TaskError(
      'UNKNOWN_ANALYSIS',
      `Unknown analysis "${name}": there is no ${ANALYSES_DIR}/${name}.sql. Available: ${known.join(', ') || '(none)'}.`,
      {
        hint: `Pick one of them (make analysis-${known[0] ?? '<name>'}), or add ${ANALYSES_DIR}/${name}.sql.`,
      },
    );
  }
}

const slugify = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'section';

const QUERY = /^(select|with|values|table)\b/i;
const LEADING_COMMENTS = /^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/;

/**
 * Every section is a query. The read-only transaction alone is not enough: a `commit` section would
 * end it and let the next section write. Checked before connecting, so nothing runs.
 */
function assertQueriesOnly(text: string, file: string): void {
  for (const statement of splitStatements(text, { file })) {
    const body = statement.sql.replace(LEADING_COMMENTS, '');
    if (!body || QUERY.test(body)) continue;
    const start = body.split(/\s+/).slice(0, 3).join(' ');
    throw new TaskError(
      'ANALYSIS_NOT_A_QUERY',
      `${file}:${statement.line}: "${start} …" is not a query: each section of an analysis is one SELECT (or WITH, VALUES, TABLE), nothing that changes data or ends the read-only transaction.`,
      {
        hint: 'Remove that statement; nothing of the analysis was run.',
      },
    );
  }
}

/**
 * Runs one analysis for one tenant: the file is rendered like a model (ref, var, tenant, …) and run like
 * a psql script; each statement — titled by a `-- section: <title>` comment before it — becomes a
 * result section. Runs as the tenant's reader role (SELECT only) in a read-only transaction: an analysis
 * can never change the data.
 */
export async function runAnalysis(options: {
  root: string;
  tenant: Tenant;
  db: DatabaseAccess;
  name: string;
  env?: NodeJS.ProcessEnv;
  vars?: Record<string, unknown>;
}): Promise<AnalysisResult> {
  const { root, tenant, db, name } = options;
  assertAnalysis(root, name);
  const reader = readerConnection(db, tenant);
  try {
    return await analyse(options, reader.open);
  } finally {
    await reader.close();
  }
}

async function analyse(
  options: { root: string; tenant: Tenant; name: string; env?: NodeJS.ProcessEnv; vars?: Record<string, unknown> },
  open: () => Promise<pg.Client>,
): Promise<AnalysisResult> {
  const { root, tenant, name } = options;
  // Lookups (dbt_utils.star, run_query) are asked as the reader role, on the connection the analysis then runs on.
  const project = loadProject(root, tenant, options.env, { vars: options.vars, lookups: new Lookups('inspect') });
  await resolveLookups(project, open);
  const file = `${ANALYSES_DIR}/${name}.sql`;
  const node: PipelineNode = {
    id: `analysis.${name}`,
    kind: 'analysis',
    name,
    file,
    template: readFileSync(join(root, file), 'utf8'),
    config: {},
    dependsOn: [],
    checksum: '',
  };
  const text = (await renderLive(project, node, open)).sql;
  assertQueriesOnly(text, file);

  const sections: AnalysisSection[] = [];
  const client = await open();
  await withTransaction(
    client,
    () =>
      runScript(client, text, {
        file,
        onResult: ({ result, before }) => {
          const title = [...before.matchAll(/--\s*section:\s*(.+)/g)].at(-1)?.[1].trim() ?? (sections.length ? `${name} ${sections.length + 1}` : name);
          // The third "x" is x-3, not x-2-2: numbered from the title's own slug.
          const base = slugify(title);
          let slug = base;
          for (let i = 2; sections.some((s) => s.slug === slug); i++) slug = `${base}-${i}`;
          sections.push({ title, slug, fields: result.fields, rows: result.rows });
        },
      }),
    { readOnly: true },
  );
  return { analysis: name, tenant: tenant.name, database: tenant.database, sections };
}
