/**
 * Lookups: what a template asks the database while it renders — a relation's columns
 * (`adapter.get_columns_in_relation`, `load_relation`, and dbt_utils' star, union_relations,
 * get_column_values built on them) or the rows of a query (`run_query`, `{% call statement(…) %}` and
 * `load_result`). Rendering stays synchronous:
 * a lookup is answered from a cache kept per project (or per execution render), keyed by what it asks;
 * a miss is recorded as pending and answered by a placeholder, and the render that made it is thrown
 * away and done again once a round of pending lookups has run (`lookup-rounds.ts`). The objects a
 * template gets back (Relation, Column, the query's table) are dbt's, as far as macros use them.
 */
import type pg from 'pg';
import { quoteIdent, relationName } from './render.ts';

/**
 * When a cache answers: `load` (the runner, before anything is built: a missing relation or a failed
 * query makes the node render again when it runs), `inspect` (compile, show, docs: nothing will be
 * built, so only a missing relation is put off), `execute` (right before a node runs: every answer is final).
 */
type LookupPhase = 'load' | 'inspect' | 'execute';

export type LookupRequest = { kind: 'columns'; schema: string; name: string } | { kind: 'query'; sql: string };

export interface ColumnInfo {
  name: string;
  /** As SQL spells it, with its modifiers: `character varying(20)`, `numeric(10,2)`. */
  dataType: string;
  /** Without them: `character varying`, `numeric`. */
  dtype: string;
}

export type Answer =
  /** null: no such relation. */
  | { kind: 'columns'; columns: ColumnInfo[] | null }
  /** status: the server's command tag (`SELECT 3`, `SHOW`); without it, `SELECT <rows>`. */
  | { kind: 'query'; columns: string[]; rows: unknown[][]; status?: string }
  | { kind: 'failed'; message: string; code?: string };

/** What a node's render looked up, for deciding whether it must be rendered again before it runs. */
export interface NodeLookups {
  /** Relations whose columns it read, as `"schema"."name"`. */
  relations: string[];
  /** Whether it ran queries (run_query): they may read any of its ancestors. */
  queries: boolean;
  /** Rendered as dbt parses (execute false) at load time, because something it reads was not there yet: rendered for real when it runs. */
  deferred: boolean;
}

/** SQLSTATEs of a query that failed because a relation (or its schema) is not there yet. */
export const MISSING_RELATION_CODES = new Set(['42P01', '3F000']);

const keyOf = (r: LookupRequest) => (r.kind === 'columns' ? `columns\0${r.schema}\0${r.name}` : `query\0${r.sql}`);

/**
 * Every relation's columns of a round in one query: relations that are not there have no row,
 * relations without columns one row with a null name.
 */
const COLUMNS_SQL = `select r.ord::int as ord, a.attname as name, format_type(a.atttypid, a.atttypmod) as data_type, format_type(a.atttypid, null) as dtype
from unnest($1::text[], $2::text[]) with ordinality as r(nspname, relname, ord)
join pg_namespace n on n.nspname = r.nspname
join pg_class c on c.relnamespace = n.oid and c.relname = r.relname and c.relkind in ('r', 'p', 'v', 'm', 'f')
left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
order by r.ord, a.attnum`;

/** Query values as a template prints them, the same on every run: numbers, booleans, and the server's text for the rest (dates, numerics, json). */
const NUMBERS = new Set([21, 23, 26, 700, 701]);
const asText = (v: string) => v;
const VALUE_TYPES = {
  getTypeParser: (oid: number) =>
    oid === 16 ? (v: string) => v === 't' : NUMBERS.has(oid) ? Number : oid === 20 ? (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v) : asText,
};

/** Connection failures end the run; anything else a query raises is its answer. */
const connectionError = (e: { code?: string }) => !e.code || e.code.startsWith('08') || e.code.startsWith('57P');

export class Lookups {
  private readonly answers = new Map<string, Answer>();
  /** Asked and not answered yet: the next round runs them. */
  readonly pending = new Map<string, LookupRequest>();
  /** Nodes whose last render waited for a pending lookup (load time). */
  readonly waiting = new Set<string>();
  /** Rounds run, lookups answered and time spent in the database. */
  readonly stats = { rounds: 0, lookups: 0, ms: 0 };

  constructor(readonly phase: LookupPhase) {}

  /** An answer known without asking (tests; a round's own results go through run()). */
  remember(request: LookupRequest, answer: Answer): void {
    this.answers.set(keyOf(request), answer);
    this.pending.delete(keyOf(request));
  }

  /** The answer, or undefined after recording the request as pending. */
  answer(request: LookupRequest): Answer | undefined {
    const key = keyOf(request);
    const found = this.answers.get(key);
    if (!found) this.pending.set(key, request);
    return found;
  }

  /**
   * Runs what is pending on `client` (not inside a transaction): the relations' columns in one
   * catalog query, then each query in a read-only transaction (a failed one rolls it back, and the
   * next starts another), with the extended protocol (one statement each).
   */
  async run(client: pg.Client): Promise<void> {
    const requests = [...this.pending.entries()];
    this.pending.clear();
    if (!requests.length) return;
    const t0 = performance.now();
    this.stats.rounds++;
    this.stats.lookups += requests.length;
    const relations = requests.filter((e): e is [string, Extract<LookupRequest, { kind: 'columns' }>] => e[1].kind === 'columns');
    if (relations.length) {
      const { rows } = await client.query<{ ord: number; name: string | null; data_type: string; dtype: string }>(COLUMNS_SQL, [
        relations.map(([, r]) => r.schema),
        relations.map(([, r]) => r.name),
      ]);
      const found = new Map<number, ColumnInfo[]>();
      for (const row of rows) {
        const columns = found.get(row.ord) ?? [];
        found.set(row.ord, columns);
        if (row.name !== null) columns.push({ name: row.name, dataType: row.data_type, dtype: row.dtype });
      }
      relations.forEach(([key], i) => this.answers.set(key, { kind: 'columns', columns: found.get(i + 1) ?? null }));
    }
    let open = false;
    try {
      for (const [key, request] of requests) {
        if (request.kind !== 'query') continue;
        if (!open) await client.query('begin transaction read only');
        open = true;
        try {
          const result = await client.query({ text: request.sql, queryMode: 'extended', rowMode: 'array', types: VALUE_TYPES } as pg.QueryConfig);
          const status = result.rowCount == null ? result.command : `${result.command} ${result.rowCount}`;
          this.answers.set(key, { kind: 'query', columns: result.fields.map((f) => f.name), rows: result.rows as unknown[][], status });
        } catch (err) {
          const e = err as { code?: string; message?: string };
          if (connectionError(e)) throw err;
          await client.query('rollback');
          open = false;
          this.answers.set(key, { kind: 'failed', message: e.message ?? String(err), code: e.code });
        }
      }
      if (open) await client.query('commit');
    } catch (err) {
      if (open) await client.query('rollback').catch(() => {});
      throw err;
    }
    this.stats.ms += performance.now() - t0;
  }
}

/** dbt's Relation, as far as macros use one: prints as the quoted relation; database, schema, identifier (= name). */
export class Relation {
  constructor(
    readonly database: string | null,
    readonly schema: string,
    readonly identifier: string,
    readonly type: string | null = null,
  ) {}
  get name() {
    return this.identifier;
  }
  get table() {
    return this.identifier;
  }
  render() {
    return relationName(this.schema, this.identifier);
  }
  toString() {
    return this.render();
  }
}

/** dbt's Column (dbt-postgres): name/column, quoted, data_type (with size), dtype, and its is_*() tests. */
export class Column {
  constructor(private readonly info: ColumnInfo) {}
  get name() {
    return this.info.name;
  }
  get column() {
    return this.info.name;
  }
  get quoted() {
    return quoteIdent(this.info.name);
  }
  get data_type() {
    return this.info.dataType;
  }
  get dtype() {
    return this.info.dtype;
  }
  get char_size(): number | null {
    const m = this.is_string() ? /\((\d+)\)/.exec(this.info.dataType) : null;
    return m ? Number(m[1]) : null;
  }
  get numeric_precision(): number | null {
    const m = this.is_numeric() ? /\((\d+)/.exec(this.info.dataType) : null;
    return m ? Number(m[1]) : null;
  }
  get numeric_scale(): number | null {
    const m = this.is_numeric() ? /,\s*(\d+)\)/.exec(this.info.dataType) : null;
    return m ? Number(m[1]) : null;
  }
  is_string() {
    return ['text', 'character varying', 'character', 'citext', 'name'].includes(this.info.dtype);
  }
  is_integer() {
    return ['smallint', 'integer', 'bigint'].includes(this.info.dtype);
  }
  is_float() {
    return ['real', 'double precision'].includes(this.info.dtype);
  }
  is_numeric() {
    return this.info.dtype === 'numeric';
  }
  is_number() {
    return this.is_integer() || this.is_float() || this.is_numeric();
  }
  /** Its length limit; text has none (dbt says 256 for a string without a size, which would make union_relations cut text to varchar(256)). */
  string_size(): number {
    if (!this.is_string()) throw new Error(`string_size() of column ${this.info.name}, which is ${this.info.dataType}, not a string`);
    return this.char_size ?? 10485760;
  }
  toString() {
    return `<Column ${this.info.name} (${this.info.dataType})>`;
  }
}

/** One column of a query's result: `.name`, `.values()` (dbt's agate column). */
class QueryColumn {
  constructor(
    readonly name: string,
    private readonly data: unknown[],
  ) {}
  values() {
    return [...this.data];
  }
}

type Named<T> = T[] & Record<string, unknown>;

/** Names a list may also be indexed by, without hiding what a list already has (length, append). */
function withNames<T>(items: T[], names: string[], value: (i: number) => unknown): Named<T> {
  const list = items as Named<T>;
  names.forEach((name, i) => {
    if (!(name in list) && !/^\d+$/.test(name)) list[name] = value(i);
  });
  return list;
}

/** What run_query gives a template, as dbt's agate table is used: `.columns[0].values()`, `.columns['x']`, `.rows` (row[0], row['x']), `.column_names`. */
export class QueryTable {
  readonly column_names: string[];
  readonly columns: Named<QueryColumn>;
  readonly rows: Array<Named<unknown>>;
  constructor(answer: { columns: string[]; rows: unknown[][] }) {
    this.column_names = [...answer.columns];
    const columns = answer.columns.map(
      (name, i) =>
        new QueryColumn(
          name,
          answer.rows.map((r) => r[i]),
        ),
    );
    this.columns = withNames(columns, answer.columns, (i) => columns[i]);
    this.rows = answer.rows.map((r) => withNames([...r], answer.columns, (i) => r[i]));
  }
  toString() {
    return `<Table ${this.column_names.join(', ')}: ${this.rows.length} rows>`;
  }
}

/** dbt's AdapterResponse: prints as the server's command tag (`SELECT 3`); `code`, `rows_affected`. */
class AdapterResponse {
  readonly _message: string;
  readonly code: string;
  readonly rows_affected: number;
  constructor(answer: { rows: unknown[][]; status?: string } | undefined) {
    this._message = answer ? (answer.status ?? `SELECT ${answer.rows.length}`) : '';
    this.code = this._message.split(' ')[0];
    const count = /\s(\d+)$/.exec(this._message);
    this.rows_affected = count ? Number(count[1]) : (answer?.rows.length ?? 0);
  }
  toString() {
    return this._message;
  }
}

/** What `load_result(name)` gives after `{% call statement(name, fetch_result=True) %}`: dbt's `response`, `data` (the rows), `table`. */
export function statementResult(answer: { columns: string[]; rows: unknown[][]; status?: string } | undefined) {
  const table = new QueryTable(answer ?? { columns: [], rows: [] });
  return { response: new AdapterResponse(answer), data: (answer?.rows ?? []).map((r) => [...r]), table };
}

/** Keywords a query (what runs read-only and only reads) starts with. */
const QUERY_KEYWORDS = new Set(['select', 'with', 'values', 'table', 'show', 'explain']);

/** The first keyword of a SQL text, after comments, blanks and opening parentheses, lower case ('' when there is none). */
export function leadingKeyword(sql: string): string {
  const m = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*([A-Za-z_]+)/.exec(sql);
  return m ? m[1].toLowerCase() : '';
}

/** Whether a SQL text is a query (a statement that only reads): what `statement()` may run without fetch_result. */
export const isQuery = (sql: string) => QUERY_KEYWORDS.has(leadingKeyword(sql));

/** A relation a lookup names that cannot be one: said at the call by the caller (node-globals.ts). */
export class NotARelation extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/**
 * `"schema"."name"` (what ref(), source() and this print), `schema.name`, `name` (the target schema),
 * `"database"."schema"."name"`, or a Relation: the schema and name a lookup reads. An ephemeral
 * model's CTE has no relation (dbt_utils refuses it too).
 */
export function parseRelation(value: unknown, targetSchema: string): { schema: string; name: string } {
  if (value instanceof Relation) return { schema: value.schema, name: value.identifier };
  const text = typeof value === 'string' ? value.trim() : '';
  const parts: string[] = [];
  const part = /"((?:[^"]|"")+)"|([A-Za-z_][\w$]*)/y;
  let at = 0;
  for (;;) {
    part.lastIndex = at;
    const m = part.exec(text);
    // Nothing where a name must be (the start, or after a dot): not a relation.
    if (!m) {
      parts.length = 0;
      break;
    }
    parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2].toLowerCase());
    at = part.lastIndex;
    if (text[at] !== '.') break;
    at++;
  }
  if (!parts.length || parts.length > 3 || at !== text.length) {
    throw new NotARelation(
      `${JSON.stringify(typeof value === 'string' ? value : (value ?? null))} is not a relation.`,
      "Pass ref('model'), source('source', 'table'), this, or a relation written \"schema\".\"name\".",
    );
  }
  const name = parts.at(-1)!;
  if (name.startsWith('__dbt__cte__')) {
    throw new NotARelation(
      `${name.slice('__dbt__cte__'.length)} is an ephemeral model: it is inlined as a CTE and has no relation whose columns could be read.`,
      `Read the model it selects from, or make it a view: config(materialized='view').`,
    );
  }
  return { schema: parts.length > 1 ? parts.at(-2)! : targetSchema, name };
}
