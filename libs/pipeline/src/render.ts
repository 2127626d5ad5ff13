import nunjucks from 'nunjucks';
import pg from 'pg';
import { TaskError } from '@mt/cli';
import type { Tenant } from '@mt/tenant-config';
import type { NodeConfig } from './types.ts';

/** What a template may call; the engine fills it per node and per tenant. */
export interface RenderContext {
  file: string;
  tenant: Tenant;
  vars: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Resolves ref('x') to a quoted relation; records the dependency. */
  ref(name: string): string;
  source(sourceName: string, table: string): string;
  thisRelation: string;
  incremental: boolean;
  /** Collects config(...) calls. */
  config: NodeConfig;
}

export const quoteIdent = (name: string) => pg.escapeIdentifier(name);
export const quoteLiteral = (value: string) => pg.escapeLiteral(value);
export const relationName = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;

let sharedEnv: nunjucks.Environment | undefined;
function environment(): nunjucks.Environment {
  if (!sharedEnv) {
    sharedEnv = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
    // `{{ value | literal }}`: a safely quoted SQL string literal (tenant names, S3 paths, vars).
    sharedEnv.addFilter('literal', (v: unknown) => (v === null || v === undefined ? 'null' : quoteLiteral(String(v))));
    sharedEnv.addFilter('ident', (v: unknown) => quoteIdent(String(v)));
  }
  return sharedEnv;
}

/** nunjucks passes keyword arguments as a trailing object marked `__keywords`. */
function splitKeywords(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args.at(-1) as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && (last as any).__keywords) {
    const { __keywords, ...keywords } = last;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}

/** Renders one node's Jinja for one tenant; errors name the file, line and column. */
export function render(template: string, ctx: RenderContext): string {
  // nunjucks wraps whatever a global throws into its own error: keep ours to rethrow it intact.
  let raised: TaskError | undefined;
  const guard = <A extends unknown[], R>(fn: (...a: A) => R) => (...a: A): R => {
    try {
      return fn(...a);
    } catch (e) {
      if (e instanceof TaskError) raised = e;
      throw e;
    }
  };
  const missing = (what: string, name: string, hint: string) =>
    new TaskError('TEMPLATE_ERROR', `${ctx.file}: ${what} "${name}" is not defined.`, { hint });
  const t = ctx.tenant;
  const globals = {
    ref: guard((...args: unknown[]) => ctx.ref(String(splitKeywords(args).positional.at(-1)))),
    source: guard((...args: unknown[]) => {
      const [s, table] = splitKeywords(args).positional.map(String);
      return ctx.source(s, table);
    }),
    var: guard((...args: unknown[]) => {
      const { positional } = splitKeywords(args);
      const name = String(positional[0]);
      if (name in ctx.vars) return ctx.vars[name];
      if (positional.length > 1) return positional[1];
      throw missing('var', name, 'Define it under "vars" in sql/project.yml or in the tenant.json "vars", or pass a default: var(\'name\', default).');
    }),
    env_var: guard((...args: unknown[]) => {
      const { positional } = splitKeywords(args);
      const name = String(positional[0]);
      const value = ctx.env[name];
      if (value !== undefined) return value;
      if (positional.length > 1) return positional[1];
      throw missing('environment variable', name, `Set ${name} in the environment or .env, or pass a default: env_var('${name}', 'default').`);
    }),
    config: (...args: unknown[]) => {
      Object.assign(ctx.config, splitKeywords(args).keywords);
      return '';
    },
    is_incremental: () => ctx.incremental,
    this: ctx.thisRelation,
    tenant: {
      name: t.name,
      display_name: t.displayName,
      database: t.database,
      aurora_schema: t.aurora.schema,
      s3_bucket: t.dataLake.bucket,
      s3_prefix: t.dataLake.prefix,
      s3_location: (table?: string) => t.s3Location(table),
    },
  };
  try {
    return renderTemplate(template, ctx.file, globals);
  } catch (e) {
    throw raised ?? e;
  }
}

/**
 * Renders any SQL template with our Jinja environment (`| literal`, `| ident` filters); syntax
 * errors name the file, line and column.
 */
export function renderTemplate(template: string, file: string, globals: object): string {
  try {
    return new nunjucks.Template(template, environment(), file, true).render(globals);
  } catch (e) {
    throw templateError(file, e as Error);
  }
}

function templateError(file: string, e: Error): TaskError {
  // nunjucks messages look like "(file) [Line 3, Column 12]\n  unexpected token: }"
  const m = /\[Line (\d+), Column (\d+)\]\s*([\s\S]*)$/.exec(e.message);
  const where = m ? `${file}:${m[1]}:${m[2]}` : file;
  const detail = (m ? m[3] : e.message).replace(/^\s*Error:\s*/, '').trim();
  return new TaskError('TEMPLATE_ERROR', `${where}: Jinja error: ${detail}`, {
    hint: 'Check the {{ }} / {% %} syntax near that position.',
  });
}
