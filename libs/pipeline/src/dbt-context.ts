/**
 * The parts of dbt's Jinja context that are plain values or Python builtins: `this` and `model` for
 * the node rendering, `project_name`, `flags`, `zip`, `set`, `local_md5`, `fromyaml`/`toyaml`,
 * run_started_at and modules.datetime's values (Python's datetime),
 * `modules.re` (python-re.ts), and `adapter.dispatch`'s search order. node-globals.ts puts them
 * together with what needs the node's callbacks.
 */
import { createHash } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { Relation } from './lookups.ts';
import { isBuiltIn, type MacroLibrary } from './macros.ts';
import { PySet } from './python-jinja.ts';

export const DBT_VERSION = '1.8.0';

/** `"schema"."name"` as dbt's Relation (it prints the same); anything else (an ephemeral's CTE name) stays text. */
export function relationValue(text: string, database: string): Relation | string {
  const m = /^"((?:[^"]|"")+)"\."((?:[^"]|"")+)"$/.exec(text);
  return m ? new Relation(database, m[1].replace(/""/g, '"'), m[2].replace(/""/g, '"')) : text;
}

/** dbt's resource type of a node, from the folder its file is in. */
function resourceType(file: string): string {
  if (/(^|\/)snapshots\//.test(file)) return 'snapshot';
  if (/(^|\/)tests\//.test(file)) return 'test';
  if (/(^|\/)analys[ie]s\//.test(file)) return 'analysis';
  return 'model';
}

/** dbt's `model`: the node rendering, as far as templates read it. */
export function modelNode(file: string, project: string, relation: Relation | string, config: Record<string, unknown>) {
  const name = file.replace(/^.*\//, '').replace(/\.sql$/, '');
  const type = resourceType(file);
  const [schema, alias] = relation instanceof Relation ? [relation.schema, relation.identifier] : [null, name];
  return {
    name,
    alias,
    identifier: alias,
    schema,
    database: relation instanceof Relation ? relation.database : null,
    config,
    resource_type: type,
    package_name: project,
    unique_id: `${type}.${project}.${name}`,
    fqn: [
      project,
      ...file
        .replace(/^sql\//, '')
        .split('/')
        .slice(1, -1),
      name,
    ],
    // dbt's paths are relative to the project's folder (sql/).
    original_file_path: file.replace(/^sql\//, ''),
    path: file.replace(/^sql\/[^/]+\//, ''),
    tags: config.tags ?? [],
  };
}

/** Python's zip(): tuples up to the shortest. */
export function zip(...lists: unknown[]): unknown[][] {
  const arrays = lists.map((l) => Array.from(l as Iterable<unknown>));
  const n = arrays.length ? Math.min(...arrays.map((a) => a.length)) : 0;
  return Array.from({ length: n }, (_, i) => arrays.map((a) => a[i]));
}

/** Python's set(): unique values, in the order first seen. */
export function pySet(values: unknown = []): PySet {
  const list =
    values === null || typeof values !== 'object'
      ? typeof values === 'string'
        ? Array.from(values)
        : []
      : Symbol.iterator in values
        ? Array.from(values as Iterable<unknown>)
        : Object.keys(values);
  return PySet.from(new Set(list)) as PySet;
}

export const localMd5 = (text: unknown) => createHash('md5').update(String(text)).digest('hex');

/** dbt's fromyaml (None, or the default, on invalid YAML) and toyaml (PyYAML's block style: lists not indented). */
export function fromYaml(text: unknown, fallback: unknown = null): unknown {
  try {
    return parse(String(text)) ?? null;
  } catch {
    return fallback;
  }
}
export function toYaml(value: unknown, sortKeys: unknown = false): string {
  const keys = typeof sortKeys === 'object' && sortKeys ? (sortKeys as { sort_keys?: unknown }).sort_keys : sortKeys;
  return stringify(value, { indentSeq: false, sortMapEntries: !!keys });
}

/**
 * `adapter.dispatch(name, namespace)`, in dbt's order for PostgreSQL: `postgres__<name>`, then
 * `default__<name>`. For dbt's own namespace (or none) each prefix looks in the project first, then in
 * the built-ins; for a package (dbt_utils) the project's two come first. The built-ins are named
 * `<package>__<prefix>__<name>`; dbt_utils' own flat ones (`dbt_utils__<name>`) and dbt's come last, as
 * dbt_utils before 1.0 dispatched dbt's cross-database macros itself. undefined when none is found,
 * with what was searched.
 */
export function dispatchOrder(lib: MacroLibrary | undefined, name: string, namespace: unknown): { candidates: string[]; searched: string[] } {
  const own = (key: string) => lib?.macros.has(key) && !isBuiltIn(lib.macros.get(key));
  const ns = typeof namespace === 'string' ? namespace : undefined;
  const prefixes = ['postgres', 'default'];
  const candidates: string[] = [];
  const searched: string[] = [];
  const add = (key: string, shown: string) => {
    searched.push(shown);
    if (key && (own(key) || (key.includes('__') && lib?.macros.has(key)))) candidates.push(key);
  };
  if (ns === undefined || ns === 'dbt') {
    for (const p of prefixes) {
      add(own(`${p}__${name}`) ? `${p}__${name}` : `dbt__${p}__${name}`, `${p}__${name}`);
    }
  } else {
    for (const p of prefixes) add(own(`${p}__${name}`) ? `${p}__${name}` : '', `${p}__${name}`);
    for (const p of prefixes) add(`${ns}__${p}__${name}`, `${ns}.${p}__${name}`);
    if (ns === 'dbt_utils') {
      add(`dbt_utils__${name}`, `dbt_utils.${name}`);
      for (const p of prefixes) add(`dbt__${p}__${name}`, `dbt.${p}__${name}`);
    }
  }
  return { candidates, searched };
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
  constructor(private readonly value: Date) {}
  isoformat() {
    return this.value.toISOString().replace('Z', '+00:00');
  }
  strftime(format: string) {
    return String(format).replace(/%(.)/g, (_, code: string) => {
      if (!STRFTIME[code]) throw new Error(`strftime: %${code} is not supported (use %Y %m %d %H %M %S %f %z %Z %%)`);
      return STRFTIME[code](this.value);
    });
  }
  timestamp() {
    return this.value.getTime() / 1000;
  }
  // Python's datetime attributes (UTC, as run_started_at is).
  get year() {
    return this.value.getUTCFullYear();
  }
  get month() {
    return this.value.getUTCMonth() + 1;
  }
  get day() {
    return this.value.getUTCDate();
  }
  get hour() {
    return this.value.getUTCHours();
  }
  get minute() {
    return this.value.getUTCMinutes();
  }
  get second() {
    return this.value.getUTCSeconds();
  }
  get microsecond() {
    return this.value.getUTCMilliseconds() * 1000;
  }
  /** Monday is 0, as Python has it. */
  weekday() {
    return (this.value.getUTCDay() + 6) % 7;
  }
  date() {
    return new PythonDatetime(new Date(Date.UTC(this.year, this.month - 1, this.day)));
  }
  toString() {
    return this.value.toISOString();
  }
}

export const pythonDatetime = (date: Date) => new PythonDatetime(date);
