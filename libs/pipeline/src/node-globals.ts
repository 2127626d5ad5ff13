/**
 * What a node's template sees: ref, source, var, config, this, tenant, dbt's context (target,
 * run_started_at, invocation_id, log, return, exceptions, adapter) with what reads the database while
 * it renders (execute, adapter.get_columns_in_relation, load_relation, run_query: lookups.ts) and the
 * project's macros bound to the node; and the two ways in: render a node's template, or call a macro
 * for it (a generic test).
 */
import nunjucks from 'nunjucks';
import { log, TaskError } from '@mt/cli';
import type { Tenant } from '@mt/tenant-config';
import { lineInMacro, type MacroLibrary } from './macros.ts';
import { callLine, compiledTemplate, quoteIdent, relationName, renderTemplate, templateError, type NunjucksError } from './render.ts';
import type { NodeConfig } from './types.ts';
import { pythonJinja, toJson } from './python-jinja.ts';
import { Column, NotARelation, parseRelation, QueryTable, Relation, type Answer, type LookupRequest } from './lookups.ts';

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
  /** The schema models build into (target.schema). */
  schema: string;
  invocation: Invocation;
  macros?: MacroLibrary;
  /** dbt's execute: true when lookups are answered from the database; false renders as dbt parses (lookups give nothing). */
  execute?: boolean;
  /** A relation's columns or a query's rows (lookups.ts); undefined while pending, the template then gets a placeholder. */
  lookup?(request: LookupRequest): Answer | undefined;
}

/** nunjucks passes keyword arguments as a trailing object marked `__keywords`. */
function splitKeywords(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args.at(-1) as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && last.__keywords) {
    const { __keywords, ...keywords } = last;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}

/** What the whole run shares: dbt's invocation_id and run_started_at. */
export interface Invocation {
  id: string;
  startedAt: Date;
}

/** nunjucks runs a template's top level and hands back its macros (how `{% import %}` works); not in its types. */
type ExportingTemplate = nunjucks.Template & {
  getExported(ctx: object, cb: (err: unknown, exported: Record<string, unknown>) => void): void;
};

/** A macro's `{{ return(x) }}`: unwinds to the macro's call, which gives x instead of its text. */
class MacroReturn extends Error {
  constructor(readonly value: unknown) {
    super('return() is only for macros: a model, test or snapshot returns its SQL text.');
    this.name = 'MacroReturn';
  }
}

const two = (n: number, width = 2) => String(n).padStart(width, '0');

const STRFTIME: Record<string, (d: Date) => string> = {
  Y: (d) => String(d.getUTCFullYear()),
  m: (d) => two(d.getUTCMonth() + 1),
  d: (d) => two(d.getUTCDate()),
  H: (d) => two(d.getUTCHours()),
  M: (d) => two(d.getUTCMinutes()),
  S: (d) => two(d.getUTCSeconds()),
  f: (d) => two(d.getUTCMilliseconds() * 1000, 6),
  z: () => '+0000',
  Z: () => 'UTC',
  '%': () => '%',
};

/** run_started_at and modules.datetime's values: print as ISO 8601 (UTC), with Python's isoformat() and strftime(). */
class PythonDatetime {
  constructor(private readonly date: Date) {}
  isoformat() {
    return this.date.toISOString().replace('Z', '+00:00');
  }
  strftime(format: string) {
    return String(format).replace(/%(.)/g, (_, code: string) => {
      if (!STRFTIME[code]) throw new Error(`strftime: %${code} is not supported (use %Y %m %d %H %M %S %f %z %Z %%)`);
      return STRFTIME[code](this.date);
    });
  }
  timestamp() {
    return this.date.getTime() / 1000;
  }
  toString() {
    return this.date.toISOString();
  }
}

export const pythonDatetime = (date: Date) => new PythonDatetime(date);

/** A columns answer: the columns, null (no such relation), undefined (not answered yet). */
const columnInfo = (answer: Answer | undefined) => (answer?.kind === 'columns' ? answer.columns : undefined);

/** Runs a template with the node's globals and the project's macros bound to them; errors name the file, line and column. */
function withNodeGlobals<T>(ctx: RenderContext, template: string, body: (globals: Record<string, unknown>) => T, macros: 'named' | 'all' = 'named'): T {
  // nunjucks wraps whatever a global throws into its own error: keep ours to rethrow it intact.
  let raised: TaskError | undefined;
  const guard =
    <A extends unknown[], R>(fn: (...a: A) => R) =>
    (...a: A): R => {
      try {
        return fn(...a);
      } catch (e) {
        if (e instanceof TaskError) raised = e;
        throw e;
      }
    };
  const missing = (what: string, fn: string, name: string, hint: string) => {
    // The failing call is one without a default: `var('x')`, not `var('x', 0)` elsewhere in the file.
    const line = callLine(template, fn, name, { bare: true });
    return new TaskError('TEMPLATE_ERROR', `${ctx.file}${line ? `:${line}` : ''}: ${what} "${name}" is not defined.`, { hint });
  };
  /** Macros running now, innermost last: an error raised inside one names the macro's file. */
  const calls: string[] = [];
  const builtIn = (name: string) => !!ctx.macros?.macros.get(name)?.file.startsWith('(built-in');
  /** `dbt_utils__star` as written in a template: `dbt_utils.star`. */
  const written = (name: string) => name.replace(/^dbt_utils__/, 'dbt_utils.');
  const where = (call: string) => {
    // A built-in macro (dbt_utils') is named where it was called: in the innermost project macro, or the template.
    let inner = calls.length - 1;
    while (inner >= 0 && builtIn(calls[inner])) inner--;
    const via = inner + 1 < calls.length ? written(calls[inner + 1]) : undefined;
    const text = via ? `${via}(` : call;
    const suffix = via ? ` (${via})` : '';
    const macro = inner >= 0 ? ctx.macros?.macros.get(calls[inner]) : undefined;
    if (!macro) return `${ctx.file}${lineOf(template, text) ? `:${lineOf(template, text)}` : ''}${suffix}`;
    const from = lineOf(template, `${written(calls[0])}(`);
    return `${macro.file}:${lineInMacro(macro, text)} (macro ${calls[inner]}, called from ${ctx.file}${from ? `:${from}` : ''})${suffix}`;
  };
  /** The relation a lookup reads, or an error at the call. */
  const relationOf = (value: unknown, call: string) => {
    try {
      return parseRelation(value, ctx.schema);
    } catch (e) {
      if (!(e instanceof NotARelation)) throw e;
      throw new TaskError('TEMPLATE_ERROR', `${where(call)}: ${e.message}`, { hint: e.hint });
    }
  };
  /** A relation's columns: null when it is not there, undefined while rendering as dbt parses or waiting for the answer. */
  const columnsOf = (value: unknown, call: string): ReturnType<typeof columnInfo> => {
    if (!ctx.execute || !ctx.lookup) return undefined;
    const { schema, name } = relationOf(value, call);
    return columnInfo(ctx.lookup({ kind: 'columns', schema, name }));
  };
  const relationObject = (value: unknown, call: string) => {
    if (value instanceof Relation) return value;
    const { schema, name } = relationOf(value, call);
    return new Relation(t.database, schema, name);
  };
  const t = ctx.tenant;
  const globals: Record<string, unknown> = {
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
      throw missing(
        'var',
        'var',
        name,
        'Define it under "vars" in sql/dbt_project.yml or in the tenant.json "vars", pass it with --vars \'{"name": value}\', or give a default: var(\'name\', default).',
      );
    }),
    env_var: guard((...args: unknown[]) => {
      const { positional } = splitKeywords(args);
      const name = String(positional[0]);
      const value = ctx.env[name];
      if (value !== undefined) return value;
      if (positional.length > 1) return positional[1];
      throw missing('environment variable', 'env_var', name, `Set ${name} in the environment or .env, or pass a default: env_var('${name}', 'default').`);
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
    // Each tenant is a target of the profile, as the original's TENANT_NAME chose one.
    target: { name: t.name, schema: ctx.schema, database: t.database, type: 'postgres' },
    run_started_at: pythonDatetime(ctx.invocation.startedAt),
    invocation_id: ctx.invocation.id,
    log: (...args: unknown[]) => {
      const { positional, keywords } = splitKeywords(args);
      // dbt writes the others to its debug log only.
      if (keywords.info ?? positional[1]) log(`${ctx.file}: ${String(positional[0])}`);
      return '';
    },
    return: (value: unknown) => {
      throw new MacroReturn(value);
    },
    exceptions: {
      raise_compiler_error: guard((message: unknown) => {
        throw new TaskError('TEMPLATE_ERROR', `${where('raise_compiler_error')}: Compilation error: ${String(message)}`, {
          hint: 'A macro or template raised this on purpose (exceptions.raise_compiler_error): read its message, and fix the value it checks.',
        });
      }),
    },
    // Lookups (lookups.ts): answered from the database when `execute`; while rendering as dbt parses, nothing.
    adapter: {
      quote: (name: unknown) => quoteIdent(String(name)),
      get_columns_in_relation: guard((relation: unknown) => (columnsOf(relation, 'get_columns_in_relation(') ?? []).map((c) => new Column(c))),
      get_relation: guard((...args: unknown[]) => {
        const { positional, keywords } = splitKeywords(args);
        const [database, schema, identifier] = [keywords.database ?? positional[0], keywords.schema ?? positional[1], keywords.identifier ?? positional[2]];
        const relation = new Relation(database == null ? t.database : String(database), String(schema), String(identifier));
        // Until the answer comes, as if it were there: what the template does next is asked in the same round.
        return ctx.execute && columnsOf(relation, 'get_relation(') !== null ? relation : null;
      }),
    },
    execute: !!ctx.execute,
    run_query: guard((sql: unknown) => {
      if (!ctx.execute || !ctx.lookup) return null;
      const answer = ctx.lookup({ kind: 'query', sql: String(sql) });
      if (!answer) return new QueryTable({ columns: [], rows: [] });
      if (answer.kind === 'failed') {
        throw new TaskError('LOOKUP_FAILED', `${where('run_query(')}: its query failed: ${answer.message}.`, {
          hint: `It ran read-only on ${t.database} while the template rendered: ${String(sql).trim().replace(/\s+/g, ' ').slice(0, 300)}`,
        });
      }
      return answer.kind === 'query' ? new QueryTable(answer) : null;
    }),
    load_relation: guard((relation: unknown) =>
      ctx.execute && columnsOf(relation, 'load_relation(') !== null ? relationObject(relation, 'load_relation(') : null,
    ),
    api: {
      Relation: {
        create: (...args: unknown[]) => {
          const { positional, keywords } = splitKeywords(args);
          const [database, schema, identifier] = [keywords.database ?? positional[0], keywords.schema ?? positional[1], keywords.identifier ?? positional[2]];
          return new Relation(database == null ? t.database : String(database), schema == null ? ctx.schema : String(schema), String(identifier));
        },
      },
    },
    // For the built-in dbt_utils macros: the relation, or an error naming the call when it is not there.
    __required_relation: guard((relation: unknown) => {
      if (columnsOf(relation, '__required_relation(') !== null) return relation;
      const { schema, name } = relationOf(relation, '__required_relation(');
      throw new TaskError('MISSING_RELATION', `${where('__required_relation(')}: it reads ${relationName(schema, name)}, which is not in ${t.database}.`, {
        hint: `ref() the model that builds it, so that it is built first, or build it (make tenant-run TENANT=${t.name}); a source must be loaded by what loads it.`,
      });
    }),
    tojson: (value: unknown) => toJson(value),
    fromjson: (text: unknown, fallback: unknown = null) => {
      try {
        return JSON.parse(String(text));
      } catch {
        return fallback;
      }
    },
    // dbt's modules.datetime, as far as SQL templates use it: now, utcnow, today.
    modules: {
      datetime: {
        datetime: { now: () => pythonDatetime(new Date()), utcnow: () => pythonDatetime(new Date()) },
        date: { today: () => pythonDatetime(new Date()) },
      },
    },
  };
  try {
    // Macros run outside nunjucks' render when a generic test calls one: Python's semantics around all of it.
    return pythonJinja(() => {
      if (!ctx.macros || (macros === 'named' && !ctx.macros.usedBy(template))) return body(globals);
      const bound = bindMacros(ctx.macros, globals, calls);
      return body({ ...globals, ...bound, dbt_utils: dbtUtils(bound) });
    });
  } catch (e) {
    throw raised ?? e;
  }
}

/** `dbt_utils.<name>`: the built-in macros named dbt_utils__<name>. */
function dbtUtils(bound: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(bound).flatMap((k) => (k.startsWith('dbt_utils__') ? [[k.slice('dbt_utils__'.length), bound[k]]] : [])));
}

/** Line of the first occurrence of a text in a template (undefined when not written there). */
function lineOf(template: string, text: string): number | undefined {
  const at = template.indexOf(text);
  return at < 0 ? undefined : template.slice(0, at).split('\n').length;
}

/**
 * The project's macros, bound to one node's globals: the library runs once in a context made from
 * them (it only defines macros), then each macro is wrapped so that `return(x)` gives x and an error
 * knows which macro raised it. The wrapping happens inside the library's own context (by a last call
 * the library makes), so macros calling macros go through it too.
 */
function bindMacros(lib: MacroLibrary, globals: Record<string, unknown>, calls: string[]): Record<string, unknown> {
  const template = compiledTemplate(`${lib.text}\n{{ __bind_macros() }}`, '(macros)');
  function wrapAll(this: { ctx: Record<string, unknown> }) {
    for (const name of lib.macros.keys()) {
      const macro = this.ctx[name] as (...args: unknown[]) => unknown;
      this.ctx[name] = function (this: unknown, ...args: unknown[]) {
        calls.push(name);
        try {
          return macro.apply(this, args);
        } catch (e) {
          if (e instanceof MacroReturn) return e.value;
          throw e;
        } finally {
          calls.pop();
        }
      };
    }
    return '';
  }
  let failure: unknown;
  let exported: Record<string, unknown> = {};
  (template as ExportingTemplate).getExported({ ...globals, __bind_macros: wrapAll }, (err: unknown, result: Record<string, unknown>) => {
    failure = err;
    exported = result;
  });
  if (failure) throw failure;
  // Private macros (_name) are not exported, but a template of the project may still call them.
  return exported;
}

/** Renders one node's Jinja for one tenant; errors name the file, line and column. */
export function render(template: string, ctx: RenderContext): string {
  return withNodeGlobals(ctx, template, (globals) => renderTemplate(template, ctx.file, globals));
}

/**
 * Calls a macro of the library with a node's globals (a generic test: `test_<name>(model, column_name,
 * …keywords)`), as its text or what it returned.
 */
export function callMacro(ctx: RenderContext, macro: string, positional: unknown[], keywords: Record<string, unknown>): string {
  const call = (globals: Record<string, unknown>) => {
    try {
      return String((globals[macro] as (...a: unknown[]) => unknown)(...positional, { ...keywords, __keywords: true }));
    } catch (e) {
      if (e instanceof TaskError) throw e;
      throw templateError(ctx.file, '', e as NunjucksError, 'render', globals);
    }
  };
  return withNodeGlobals(ctx, '', call, 'all');
}
