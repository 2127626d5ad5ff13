/**
 * What a node's template sees: ref, source, var, config, this, tenant, dbt's context (target,
 * run_started_at, invocation_id, log, return, exceptions, adapter) and the project's macros bound to
 * the node; and the two ways in: render a node's template, or call a macro for it (a generic test).
 */
import nunjucks from 'nunjucks';
import { log, TaskError } from '@mt/cli';
import type { Tenant } from '@mt/tenant-config';
import { lineInMacro, type MacroLibrary } from './macros.ts';
import { callLine, compiledTemplate, quoteIdent, renderTemplate, templateError, type NunjucksError } from './render.ts';
import type { NodeConfig } from './types.ts';
import { pythonJinja, toJson } from './python-jinja.ts';

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
  const where = (call: string) => {
    const macro = calls.length ? ctx.macros?.macros.get(calls.at(-1)!) : undefined;
    if (!macro) return `${ctx.file}${lineOf(template, call) ? `:${lineOf(template, call)}` : ''}`;
    const from = lineOf(template, `${calls[0]}(`);
    return `${macro.file}:${lineInMacro(macro, call)} (macro ${calls.at(-1)}, called from ${ctx.file}${from ? `:${from}` : ''})`;
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
    adapter: { quote: (name: unknown) => quoteIdent(String(name)) },
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
      return body({ ...globals, ...bound, dbt_utils: dbtUtils(bound, guard) });
    });
  } catch (e) {
    throw raised ?? e;
  }
}

/** dbt_utils macros that need the database while a template renders (a relation's columns, a query): not built in yet. */
const DBT_UTILS_LATER = [
  'star',
  'union_relations',
  'get_column_values',
  'get_relations_by_pattern',
  'get_filtered_columns_in_relation',
  'get_query_results_as_dict',
];

/** `dbt_utils.<name>`: the built-in macros named dbt_utils__<name>, and a clear error for the others. */
function dbtUtils(bound: Record<string, unknown>, guard: <A extends unknown[], R>(fn: (...a: A) => R) => (...a: A) => R): Record<string, unknown> {
  const builtIn = Object.keys(bound).filter((k) => k.startsWith('dbt_utils__'));
  const namespace: Record<string, unknown> = Object.fromEntries(builtIn.map((k) => [k.slice('dbt_utils__'.length), bound[k]]));
  for (const name of DBT_UTILS_LATER) {
    namespace[name] = guard(() => {
      throw new TaskError(
        'TEMPLATE_ERROR',
        `dbt_utils.${name} is not built in: it reads the database while the template renders, which this engine does not do yet.`,
        {
          hint: `Built in: ${builtIn.map((k) => `dbt_utils.${k.slice('dbt_utils__'.length)}`).join(', ')}, and the tests accepted_range, expression_is_true, not_null_proportion, recency, unique_combination_of_columns. Write the columns out instead.`,
        },
      );
    });
  }
  return namespace;
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
