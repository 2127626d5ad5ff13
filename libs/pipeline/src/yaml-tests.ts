import { TaskError } from '@mt/cli';
import { quoteIdent, quoteLiteral } from './render.ts';
import type { GenericTest, PipelineNode, Severity } from './types.ts';
import type { ModelYaml } from './yaml-schemas.ts';

const TEST_TYPES = new Set(['not_null', 'unique', 'accepted_values', 'relationships']);

/** `warn` or `error` in any case, as dbt accepts them; undefined for anything else (a number, `fatal`). */
export function parseSeverity(value: unknown): Severity | undefined {
  const severity = typeof value === 'string' ? value.toLowerCase() : undefined;
  return severity === 'warn' || severity === 'error' ? severity : undefined;
}

/**
 * A value of accepted_values with quote: false as SQL: booleans and numbers as written, a string only
 * when it is one bare token (a number, or a word like true or current_date). Anything else could end
 * the list and add SQL of its own: undefined.
 */
export function bareSqlValue(value: unknown): string | undefined {
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'string' && /^(-?(\d+\.?\d*|\.\d+)|[A-Za-z_][A-Za-z0-9_]*)$/.test(value)) return value;
  return undefined;
}

/** The arguments of a test entry, as written (the YAML schema leaves them to the checks below). */
interface TestArgs {
  values?: unknown;
  quote?: boolean;
  to?: unknown;
  field?: unknown;
  severity?: unknown;
  config?: { severity?: unknown } | null;
  arguments?: TestArgs | null;
}

/**
 * `columns: [{ name, tests: [...] }]` under each model (dbt's `data_tests:` spelling too) becomes one
 * test node per entry. Entries are a bare name (`unique`) or `{ accepted_values: { values, severity } }`
 * (dbt ≥ 1.10 `arguments:` / `config:` nesting is accepted as well).
 */
export function genericTestsFromYaml(
  doc: ModelYaml,
  file: string,
  taken: (name: string) => boolean = () => false,
  customTests: ReadonlySet<string> = new Set(),
): PipelineNode[] {
  const nodes: PipelineNode[] = [];
  // What the tests are on: models, seeds, snapshots, and the tables of sources (as `<source>.<table>`,
  // dbt's source tests: on a table itself or on its columns).
  const tested = [
    ...[...(doc.models ?? []), ...(doc.seeds ?? []), ...(doc.snapshots ?? [])].map((m) => ({ ...m, source: false })),
    ...(doc.sources ?? []).flatMap((s) => (s.tables ?? []).map((t) => ({ ...t, name: `${s.name}.${t.name}`, source: true }))),
  ];
  for (const model of tested) {
    // Tests of the model itself (expression_is_true, unique_combination_of_columns), then of each column.
    const targets: Array<{ column?: string; tests: unknown[] }> = [
      { tests: [...(model.tests ?? []), ...(model.data_tests ?? [])] },
      ...(model.columns ?? []).map((c) => ({ column: c.name, tests: [...(c.tests ?? []), ...(c.data_tests ?? [])] })),
    ];
    for (const { column, tests } of targets) {
      const on = column ? `${model.name}.${column}` : model.name;
      for (const entry of tests) {
        const [written, rawArgs] = typeof entry === 'string' ? [entry, {}] : (Object.entries(entry ?? {})[0] ?? ['', {}]);
        // `dbt_utils.accepted_range` is the built-in accepted_range (packages are built in, not installed).
        const type = written.startsWith('dbt_utils.') && customTests.has(written.slice('dbt_utils.'.length)) ? written.slice('dbt_utils.'.length) : written;
        const custom = customTests.has(type);
        if (!custom && !TEST_TYPES.has(type)) {
          throw new TaskError('UNKNOWN_TEST', `${file}: test "${type}" on ${on} is not a generic test of this project.`, {
            hint: `Generic tests here: ${[...TEST_TYPES, ...[...customTests].sort()].join(', ')}. Write your own as {% test ${type}(model, column_name) %}…{% endtest %} in sql/tests/generic/${type}.sql, or a singular test in sql/tests/<name>.sql.`,
          });
        }
        if (!custom && !column) {
          throw new TaskError('INVALID_TEST', `${file}: ${type} is written under model ${model.name} itself, but it tests a column.`, {
            hint: `Move it under the column it checks: columns: [{ name: …, tests: [${type}] }].`,
          });
        }
        const args: TestArgs = { ...(rawArgs as TestArgs | null), ...((rawArgs as TestArgs | null)?.arguments ?? {}) };
        const rawSeverity = args.config?.severity ?? args.severity ?? 'error';
        const severity = parseSeverity(rawSeverity);
        if (!severity) {
          throw new TaskError('INVALID_TEST', `${file}: ${type} on ${on} has severity ${JSON.stringify(rawSeverity)}; it must be warn or error.`, {
            hint: 'severity: warn reports failing rows without failing the run; error (the default) fails it.',
          });
        }
        const generic: GenericTest = { type, model: model.name, ...(model.source ? { source: true } : {}), ...(column ? { column } : {}) };
        if (custom) {
          const { severity: _severity, config: _config, arguments: _arguments, ...rest } = args as Record<string, unknown>;
          generic.args = rest;
        }
        if (type === 'accepted_values') {
          if (!Array.isArray(args.values)) throw new TaskError('INVALID_TEST', `${file}: accepted_values on ${on} needs a "values" list.`);
          if (!args.values.length) {
            // `not in ()` is an SQL syntax error, found only when the test runs.
            throw new TaskError('INVALID_TEST', `${file}: accepted_values on ${on} has an empty "values" list, so no value would be accepted.`, {
              hint: 'List the accepted values, or remove the test.',
            });
          }
          generic.values = args.values;
          generic.quote = args.quote ?? true;
          const unsafe = generic.quote ? [] : args.values.filter((v: unknown) => bareSqlValue(v) === undefined);
          if (unsafe.length) {
            throw new TaskError(
              'INVALID_TEST',
              `${file}: accepted_values on ${on} has quote: false, but ${unsafe.map((v: unknown) => JSON.stringify(v)).join(', ')} ${unsafe.length === 1 ? 'is' : 'are'} not a number, true/false or a single bare word, so ${unsafe.length === 1 ? 'it' : 'they'} cannot be written into the SQL unquoted.`,
              {
                hint: 'Remove quote: false to compare as text (the default), or write the value as a number or boolean.',
              },
            );
          }
        }
        if (type === 'relationships') {
          const to = /ref\(\s*['"]([^'"]+)['"]\s*\)/.exec(String(args.to ?? ''))?.[1];
          if (!to || !args.field) throw new TaskError('INVALID_TEST', `${file}: relationships on ${on} needs "to: ref('model')" and "field".`);
          Object.assign(generic, { to, field: args.field });
        }
        // dbt's names (`source_` first for a source's: source_unique_shop_orders_id); a second test of the
        // same kind on the same column (here or in a name `taken` elsewhere in the project) gets a suffix
        const base = [model.source && 'source', type, model.name.replace('.', '_'), column].filter(Boolean).join('_');
        let name = base;
        for (let i = 2; nodes.some((n) => n.name === name) || taken(name); i++) name = `${base}_${i}`;
        nodes.push({ id: `test.${name}`, kind: 'test', name, file, generic, config: { severity }, dependsOn: [], checksum: '' });
      }
    }
  }
  return nodes;
}

/** Checked when the YAML is read already; checked again here, where it matters, for any other caller. */
function bareValue(g: GenericTest, value: unknown): string {
  const sql = bareSqlValue(value);
  if (sql === undefined) {
    throw new TaskError(
      'INVALID_TEST',
      `accepted_values on ${g.model}.${g.column}: ${JSON.stringify(value)} cannot be written into the SQL unquoted (quote: false).`,
      {
        hint: 'Remove quote: false to compare as text, or write the value as a number or boolean.',
      },
    );
  }
  return sql;
}

/** The query of a generic test: it returns the failing rows (none = pass), as in dbt. */
export function genericTestSql(g: GenericTest, relation: (name: string) => string): string {
  const col = quoteIdent(g.column!);
  const rel = relation(g.model);
  switch (g.type) {
    case 'not_null':
      return `select * from ${rel} where ${col} is null`;
    case 'unique':
      return `select ${col} as unique_field, count(*) as n_records from ${rel} where ${col} is not null group by ${col} having count(*) > 1`;
    case 'accepted_values': {
      const list = g.values!.map((v) => (g.quote ? quoteLiteral(String(v)) : bareValue(g, v))).join(', ');
      return `select ${col} as value_field, count(*) as n_records from ${rel} group by ${col} having ${col} not in (${list})`;
    }
    case 'relationships': {
      const field = quoteIdent(g.field!);
      return `select child.${col} as from_field from ${rel} as child left join ${relation(g.to!)} as parent on child.${col} = parent.${field} where child.${col} is not null and parent.${field} is null`;
    }
  }
  throw new Error(`${g.type} is not a built-in test: its SQL comes from its macro`);
}
