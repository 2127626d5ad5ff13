/**
 * What a node's template sees: ref, source, var, config, this, tenant, dbt's context (target, model,
 * project_name, flags, run_started_at, invocation_id, log, return, exceptions, adapter and its
 * dispatch, modules; the plain values are dbt-context.ts's) with what reads the database while
 * it renders (execute, adapter.get_columns_in_relation, load_relation, run_query, statement and
 * load_result: lookups.ts) and the project's macros bound to the node; and the two ways in: render a
 * node's template, or call a macro for it (a generic test).
 */
import nunjucks from 'nunjucks';
import { log, TaskError } from '@mt/cli';
import type { Tenant } from '@mt/tenant-config';
import { errorInMacro, isBuiltIn, lineInMacro, type MacroLibrary } from './macros.ts';
import { callLine, compiledTemplate, quoteIdent, relationName, renderTemplate, templateError, type NunjucksError } from './render.ts';
import type { NodeConfig } from './types.ts';
import { pythonJinja, toJson } from './python-jinja.ts';
import { isKeywords } from './python-filters.ts';
import {
  Column,
  isQuery,
  leadingKeyword,
  NotARelation,
  parseRelation,
  QueryTable,
  Relation,
  statementResult,
  type Answer,
  type LookupRequest,
} from './lookups.ts';
import { DBT_VERSION, dispatchOrder, fromYaml, localMd5, modelNode, pySet, pythonDatetime, relationValue, toYaml, zip } from './dbt-context.ts';
import { pythonRe } from './python-re.ts';

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
  /** dbt's project_name (sql/dbt_project.yml's name). */
  projectName?: string;
}

/** A call's positional and keyword arguments (nunjucks passes keywords as a trailing object marked `__keywords`). */
function splitKeywords(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args.at(-1);
  if (isKeywords(last)) {
    const { __keywords, ...keywords } = last;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}

/** `(database, schema, identifier)` as get_relation and api.Relation.create take them, by position or keyword. */
function relationArgs(args: unknown[]): [unknown, unknown, unknown] {
  const { positional, keywords } = splitKeywords(args);
  return [keywords.database ?? positional[0], keywords.schema ?? positional[1], keywords.identifier ?? positional[2]];
}

/** What the whole run shares: dbt's invocation_id and run_started_at. */
export interface Invocation {
  id: string;
  startedAt: Date;
  /** dbt's flags.FULL_REFRESH and flags.WHICH: --full-refresh, and the command (build for a whole tenant-run). */
  fullRefresh?: boolean;
  which?: string;
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
  /** The innermost macro a Jinja error left, what left it, and the outermost call (the node's). */
  const failure: Failure = {};
  const builtIn = (name: string) => isBuiltIn(ctx.macros?.macros.get(name));
  /** `dbt_utils__star` as written in a template: `dbt_utils.star`. */
  const written = (name: string) => name.replace(/^(dbt_utils|dbt)__/, '$1.');
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
  /**
   * A query a template runs (run_query, statement): its rows; while waiting for the answer, none (the
   * caller gives an empty table); null as dbt parses; a failed one is an error at the call.
   */
  const query = (sql: string, call: string): Extract<Answer, { kind: 'query' }> | undefined | null => {
    if (!ctx.execute || !ctx.lookup) return null;
    const answer = ctx.lookup({ kind: 'query', sql });
    if (!answer) return undefined;
    if (answer.kind === 'failed') {
      throw new TaskError('LOOKUP_FAILED', `${where(call)}: its query failed: ${answer.message}.`, {
        hint: `It ran read-only on ${t.database} while the template rendered: ${sql.trim().replace(/\s+/g, ' ').slice(0, 300)}`,
      });
    }
    return answer.kind === 'query' ? answer : null;
  };
  /** What `{% call statement(name, …) %}` stored for load_result; undefined once loaded. */
  const results = new Map<string, ReturnType<typeof statementResult> | undefined>();
  const t = ctx.tenant;
  const project = ctx.projectName ?? 'project';
  const self = relationValue(ctx.thisRelation, t.database);
  /** The project's macros bound to this node (with the built-ins), once bound: what adapter.dispatch picks from. */
  let bound: Record<string, unknown> = {};
  const globals: Record<string, unknown> = {
    // dbt's Relation: prints as before ("schema"."name"), and has .schema, .name, .identifier, .database.
    ref: guard((...args: unknown[]) => relationValue(ctx.ref(String(splitKeywords(args).positional.at(-1))), t.database)),
    source: guard((...args: unknown[]) => {
      const [s, table] = splitKeywords(args).positional.map(String);
      return relationValue(ctx.source(s, table), t.database);
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
    this: self,
    model: modelNode(ctx.file, project, self, ctx.config),
    project_name: project,
    dbt_version: DBT_VERSION,
    flags: { FULL_REFRESH: !!ctx.invocation.fullRefresh, WHICH: ctx.invocation.which ?? 'run', STORE_FAILURES: false, WARN_ERROR: false },
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
    // user is the role the run connects as (the tenant's owner); there is no password to read.
    target: { name: t.name, schema: ctx.schema, database: t.database, dbname: t.database, type: 'postgres', user: t.roles.owner, threads: 1 },
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
      // dbt logs a warning and goes on.
      warn: (message: unknown) => {
        log(`${where('warn(')}: Warning: ${String(message)}`);
        return '';
      },
    },
    // Lookups (lookups.ts): answered from the database when `execute`; while rendering as dbt parses, nothing.
    adapter: {
      quote: (name: unknown) => quoteIdent(String(name)),
      // dbt's order on PostgreSQL (dbt-context.ts): postgres__<name>, default__<name>, the project's before the built-ins.
      dispatch: guard((...args: unknown[]) => {
        const { positional, keywords } = splitKeywords(args);
        const [name, namespace] = [String(positional[0]), keywords.macro_namespace ?? positional[1]];
        const { candidates, searched } = dispatchOrder(ctx.macros, name, namespace);
        const found = candidates.map((c) => bound[c]).find((m) => typeof m === 'function');
        if (found) return found;
        throw new TaskError(
          'TEMPLATE_ERROR',
          `${where('dispatch(')}: In dispatch: No macro named '${name}' found within namespace: '${namespace ?? 'None'}'. Searched for: ${searched.map((x) => `'${x}'`).join(', ')}.`,
          { hint: `Define one of them in sql/macros (a macro named ${searched[0]} is picked first).` },
        );
      }),
      get_columns_in_relation: guard((relation: unknown) => (columnsOf(relation, 'get_columns_in_relation(') ?? []).map((c) => new Column(c))),
      get_relation: guard((...args: unknown[]) => {
        const [database, schema, identifier] = relationArgs(args);
        const relation = new Relation(database == null ? t.database : String(database), String(schema), String(identifier));
        // Until the answer comes, as if it were there: what the template does next is asked in the same round.
        return ctx.execute && columnsOf(relation, 'get_relation(') !== null ? relation : null;
      }),
    },
    execute: !!ctx.execute,
    run_query: guard((sql: unknown) => {
      const answer = query(String(sql), 'run_query(');
      return answer === null ? null : new QueryTable(answer ?? { columns: [], rows: [] });
    }),
    // dbt's older way: the block's SQL runs as run_query's (read-only); with a name, load_result(name) gives it.
    statement: guard((...args: unknown[]) => {
      const { positional, keywords } = splitKeywords(args);
      const name = keywords.name ?? positional[0] ?? null;
      const fetch = !!(keywords.fetch_result ?? positional[1] ?? false);
      const caller = keywords.caller;
      if (typeof caller !== 'function') {
        throw new TaskError('TEMPLATE_ERROR', `${where('statement(')}: statement() is a block: its SQL is what the block contains.`, {
          hint: "Write {% call statement('name', fetch_result=True) %} select … {% endcall %}, then load_result('name'), or use run_query(sql).",
        });
      }
      let sql: string;
      try {
        sql = String(caller()).trim();
      } catch (e) {
        // As dbt parses (execute false) the block is not rendered: here it is, for its refs, as far as it renders.
        if (ctx.execute || e instanceof TaskError) throw e;
        return '';
      }
      const keyword = leadingKeyword(sql);
      if (!fetch && keyword && !isQuery(sql)) {
        throw new TaskError(
          'TEMPLATE_ERROR',
          `${where('statement(')}: statement() would run ${keyword.toUpperCase()} for what it changes; a template only reads the database (read-only, as the tenant's role).`,
          {
            hint: 'Change the database in a model, or in its pre_hook / post_hook or on-run-start / on-run-end; a statement block may run a query (select …), with fetch_result=True to read its rows.',
          },
        );
      }
      if (!ctx.execute) return '';
      // Only comments: nothing to run. Without fetch_result dbt keeps the response, not the rows.
      const answer = keyword ? (query(sql, 'statement(') ?? undefined) : undefined;
      const kept = answer && !fetch ? { columns: [], rows: [], status: answer.status ?? `SELECT ${answer.rows.length}` } : answer;
      if (name != null) results.set(String(name), statementResult(kept));
      return '';
    }),
    // dbt's: none for a name never stored (nothing is, as dbt parses); loaded once, as dbt's (but 'main').
    load_result: guard((name: unknown) => {
      const key = String(name);
      if (!results.has(key)) return null;
      const found = results.get(key);
      if (found === undefined) {
        throw new TaskError('TEMPLATE_ERROR', `${where('load_result(')}: The 'statement' result named '${key}' has already been loaded into a variable.`, {
          hint: `dbt gives a statement's result once: keep it, {% set result = load_result('${key}') %}, and use result after that.`,
        });
      }
      if (key !== 'main') results.set(key, undefined);
      return found;
    }),
    load_relation: guard((relation: unknown) =>
      ctx.execute && columnsOf(relation, 'load_relation(') !== null ? relationObject(relation, 'load_relation(') : null,
    ),
    api: {
      Relation: {
        create: (...args: unknown[]) => {
          const [database, schema, identifier] = relationArgs(args);
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
    // dbt's modules.datetime, as far as SQL templates use it: now, utcnow, today; modules.re (python-re.ts).
    modules: {
      datetime: {
        datetime: { now: () => pythonDatetime(new Date()), utcnow: () => pythonDatetime(new Date()) },
        date: { today: () => pythonDatetime(new Date()) },
      },
      re: pythonRe,
    },
    zip,
    set: pySet,
    local_md5: localMd5,
    fromyaml: fromYaml,
    toyaml: toYaml,
  };
  try {
    // Macros run outside nunjucks' render when a generic test calls one: Python's semantics around all of it.
    return pythonJinja(() => {
      if (!ctx.macros || (macros === 'named' && !ctx.macros.usedBy(template))) return body(globals);
      bound = bindMacros(ctx.macros, globals, calls, failure);
      // Object.assign: spreading objects of a hundred-odd names was most of a render's time.
      return body(Object.assign({}, globals, bound));
    });
  } catch (e) {
    if (raised) throw raised;
    // A Jinja error inside a project macro: at the macro's file and line (a built-in's is named where it was called).
    if (failure.macro && ctx.macros && !builtIn(failure.macro)) {
      const from = lineOf(template, `${written(failure.outermost!)}(`);
      throw errorInMacro(ctx.macros, failure.macro, failure.error as NunjucksError, `${ctx.file}${from ? `:${from}` : ''}`, globals);
    }
    throw e;
  }
}

/** The macros of a package prefix (`dbt__dateadd` → `dateadd`). */
function unprefixed(macros: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const k in macros) if (k.startsWith(prefix)) found[k.slice(prefix.length)] = macros[k];
  return found;
}

/**
 * What templates and macros reach the built-ins by: `dbt.<name>` (dbt's cross-database macros, named
 * dbt__<name>), `dbt_utils.<name>` (dbt_utils__<name>, and dbt's under it, as dbt_utils before 1.0 had
 * them), and dbt's names unqualified, as dbt's global macros are — unless the project has one of the name.
 */
function namespaces(macros: Record<string, unknown>, taken: (name: string) => boolean): Record<string, unknown> {
  const dbt = unprefixed(macros, 'dbt__');
  const spaces: Record<string, unknown> = {};
  for (const k in dbt) if (!taken(k)) spaces[k] = dbt[k];
  return Object.assign(spaces, { dbt, dbt_utils: Object.assign({}, dbt, unprefixed(macros, 'dbt_utils__')) });
}

/** Line of the first occurrence of a text in a template (undefined when not written there). */
function lineOf(template: string, text: string): number | undefined {
  const at = template.indexOf(text);
  return at < 0 ? undefined : template.slice(0, at).split('\n').length;
}

/** What bindMacros notes when an error (not return(), not the engine's own) leaves a macro. */
interface Failure {
  macro?: string;
  error?: unknown;
  outermost?: string;
}

/**
 * The project's macros, bound to one node's globals: the library runs once in a context made from
 * them (it only defines macros), then each macro is wrapped so that `return(x)` gives x and an error
 * knows which macro raised it. The wrapping happens inside the library's own context (by a last call
 * the library makes), so macros calling macros go through it too.
 */
function bindMacros(lib: MacroLibrary, globals: Record<string, unknown>, calls: string[], failure: Failure): Record<string, unknown> {
  const template = compiledTemplate(`${lib.text}\n{{ __bind_macros() }}`, '(macros)');
  let all: Record<string, unknown> = {};
  function wrapAll(this: { ctx: Record<string, unknown> }) {
    for (const name of lib.macros.keys()) {
      const macro = this.ctx[name] as (...args: unknown[]) => unknown;
      this.ctx[name] = function (this: unknown, ...args: unknown[]) {
        calls.push(name);
        try {
          return macro.apply(this, args);
        } catch (e) {
          if (e instanceof MacroReturn) return e.value;
          if (!failure.macro && !(e instanceof TaskError)) Object.assign(failure, { macro: name, error: e, outermost: calls[0] });
          throw e;
        } finally {
          calls.pop();
        }
      };
    }
    // Private macros (_name) too: a template may call them, and dispatch may pick them.
    all = {};
    for (const name of lib.macros.keys()) all[name] = this.ctx[name];
    // Macros reach the namespaces (dbt_utils.star inside a project macro) through the library's own context.
    const spaces = namespaces(all, (name) => name in this.ctx);
    Object.assign(this.ctx, spaces);
    all = Object.assign(spaces, all);
    return '';
  }
  let failed: unknown;
  (template as ExportingTemplate).getExported(Object.assign({}, globals, { __bind_macros: wrapAll }), (err: unknown) => {
    failed = err;
  });
  if (failed) throw failed;
  return all;
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
