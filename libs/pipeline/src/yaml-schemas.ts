/**
 * The shape of the YAML beside the models (dbt's schema files), checked before
 * anything is read from them: every problem with its path, unknown keys refused with the closest known
 * one (a misspelt `colums:` would otherwise drop its tests without a word). Test entries themselves
 * are checked by yaml-tests.ts.
 */
import * as v from 'valibot';
import { TaskError } from '@mt/cli';
import { schemaProblems } from '@mt/tenant-config';
import { freshnessKeys } from '@mt/lake';

// Not v.record, which would take a list for an object.
const object = v.custom<Record<string, unknown>>(
  (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
  (issue) => `must be an object, found ${JSON.stringify(issue.input)}`,
);

// What dbt allows that we read or harmlessly ignore (documentation, meta, tags).
const documented = {
  description: v.optional(v.string()),
  meta: v.optional(object),
  docs: v.optional(object),
  tags: v.optional(v.union([v.string(), v.array(v.string())])),
};
const tests = v.optional(v.array(v.union([v.string(), object])));
const column = v.strictObject({ name: v.string(), ...documented, data_type: v.optional(v.string()), quote: v.optional(v.boolean()), tests, data_tests: tests });

const described = v.optional(
  v.array(v.strictObject({ name: v.string(), ...documented, config: v.optional(object), columns: v.optional(v.array(column)), tests, data_tests: tests })),
);
// dbt properties that only document (exposures, macros' arguments, analyses, groups): accepted, not read.
const documentation = v.optional(v.array(object));

export const modelYamlSchema = v.strictObject({
  version: v.optional(v.number()),
  models: described,
  seeds: described,
  snapshots: described,
  analyses: documentation,
  macros: documentation,
  exposures: documentation,
  groups: documentation,
  sources: v.optional(
    v.array(
      v.strictObject({
        name: v.string(),
        ...documented,
        schema: v.optional(v.string()),
        ...freshnessKeys,
        tables: v.optional(
          v.array(
            v.strictObject({
              name: v.string(),
              ...documented,
              ...freshnessKeys,
              identifier: v.optional(v.string()),
              columns: v.optional(v.array(column)),
              tests,
              data_tests: tests,
            }),
          ),
        ),
      }),
    ),
  ),
});

export type ModelYaml = v.InferOutput<typeof modelYamlSchema>;

/** The document as its schema types it, or one error listing every problem of the file. */
export function checkYaml<S extends v.GenericSchema>(schema: S, doc: unknown, file: string, code: 'INVALID_PROJECT' | 'INVALID_MODEL_YAML'): v.InferOutput<S> {
  const problems = schemaProblems(schema, doc);
  if (!problems.length) return doc as v.InferOutput<S>;
  const [first] = problems;
  throw new TaskError(code, problems.length === 1 ? `${file}: ${first}.` : `${file} has ${problems.length} problems:\n  - ${problems.join('\n  - ')}`, {
    hint:
      code === 'INVALID_PROJECT'
        ? 'Compare with the sql/dbt_project.yml in git.'
        : 'dbt properties keys: models, seeds and snapshots (name, description, config, columns: name, description, tests), sources (name, schema, tables); analyses, macros, exposures and groups document only.',
  });
}
