import { TaskError } from '@mt/cli';
import { quoteIdent, quoteLiteral } from './render.ts';
import type { GenericTest, PipelineNode, Severity } from './types.ts';

const TEST_TYPES = new Set(['not_null', 'unique', 'accepted_values', 'relationships']);

/**
 * `columns: [{ name, tests: [...] }]` under each model (dbt's `data_tests:` spelling too) becomes one
 * test node per entry. Entries are a bare name (`unique`) or `{ accepted_values: { values, severity } }`
 * (dbt ≥ 1.10 `arguments:` / `config:` nesting is accepted as well).
 */
export function genericTestsFromYaml(doc: any, file: string): PipelineNode[] {
  const nodes: PipelineNode[] = [];
  for (const model of doc.models ?? []) {
    for (const column of model.columns ?? []) {
      for (const entry of [...(column.tests ?? []), ...(column.data_tests ?? [])]) {
        const [type, rawArgs] = typeof entry === 'string' ? [entry, {}] : Object.entries(entry ?? {})[0] ?? ['', {}];
        if (!TEST_TYPES.has(type)) {
          throw new TaskError('UNKNOWN_TEST', `${file}: test "${type}" on ${model.name}.${column.name} is not one of ${[...TEST_TYPES].join(', ')}.`, {
            hint: 'Write custom checks as singular tests: a query in sql/tests/<name>.sql that returns the failing rows.',
          });
        }
        const args = { ...(rawArgs as any), ...((rawArgs as any)?.arguments ?? {}) };
        const severity: Severity = (args.config?.severity ?? args.severity ?? 'error').toLowerCase();
        const generic: GenericTest = { type: type as GenericTest['type'], model: model.name, column: column.name };
        if (type === 'accepted_values') {
          if (!Array.isArray(args.values)) throw new TaskError('INVALID_TEST', `${file}: accepted_values on ${model.name}.${column.name} needs a "values" list.`);
          generic.values = args.values;
          generic.quote = args.quote ?? true;
        }
        if (type === 'relationships') {
          const to = /ref\(\s*['"]([^'"]+)['"]\s*\)/.exec(String(args.to ?? ''))?.[1];
          if (!to || !args.field) throw new TaskError('INVALID_TEST', `${file}: relationships on ${model.name}.${column.name} needs "to: ref('model')" and "field".`);
          Object.assign(generic, { to, field: args.field });
        }
        // dbt-style names; a second test of the same kind on the same column gets a suffix
        const base = `${type}_${model.name}_${column.name}`;
        let name = base;
        for (let i = 2; nodes.some((n) => n.name === name); i++) name = `${base}_${i}`;
        nodes.push({ id: `test.${name}`, kind: 'test', name, file, generic, config: { severity }, dependsOn: [], checksum: '' });
      }
    }
  }
  return nodes;
}

/** The query of a generic test: it returns the failing rows (none = pass), as in dbt. */
export function genericTestSql(g: GenericTest, relation: (name: string) => string): string {
  const col = quoteIdent(g.column);
  const rel = relation(g.model);
  switch (g.type) {
    case 'not_null':
      return `select * from ${rel} where ${col} is null`;
    case 'unique':
      return `select ${col} as unique_field, count(*) as n_records from ${rel} where ${col} is not null group by ${col} having count(*) > 1`;
    case 'accepted_values': {
      const list = g.values!.map((v) => (g.quote ? quoteLiteral(String(v)) : String(Number(v)))).join(', ');
      return `select ${col} as value_field, count(*) as n_records from ${rel} group by ${col} having ${col} not in (${list})`;
    }
    case 'relationships': {
      const field = quoteIdent(g.field!);
      return `select child.${col} as from_field from ${rel} as child left join ${relation(g.to!)} as parent on child.${col} = parent.${field} where child.${col} is not null and parent.${field} is null`;
    }
  }
}
