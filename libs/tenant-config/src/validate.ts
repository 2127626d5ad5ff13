import * as z from 'zod';
import { closestNames } from './suggest.ts';

const shown = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));
const KINDS: Record<string, string> = { object: 'an object', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', record: 'an object' };

/** Our wording where a schema gives none: what was expected, and what was found. */
const wording: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' ? `must be ${KINDS[issue.expected] ?? issue.expected}, found ${shown(issue.input)}` : undefined;

/**
 * Every problem of a configuration file, one line each, named by its path (`"aurora.schema" must …,
 * found …`); an unknown key lists the known ones and suggests the closest.
 */
export function schemaProblems(schema: z.ZodType, raw: unknown): string[] {
  const result = schema.safeParse(raw, { reportInput: true, error: wording });
  if (result.success) return [];
  return result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, issue.path);
      return issue.keys.map((key) => {
        const close = closestNames(key, known);
        return `unknown key "${[...issue.path, key].join('.')}"${close.length ? ` (did you mean "${close[0]}"?)` : ''} (known: ${known.join(', ')})`;
      });
    }
    return [issue.path.length ? `"${issue.path.join('.')}" ${issue.message}` : `the file ${issue.message.replace(/^must be/, 'must hold')}`];
  });
}

/** The keys an object of the schema may have at `path` ($schema, the editor's hint, left out). */
function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let at: z.ZodType | undefined = schema;
  for (const key of [...path, undefined]) {
    while (at instanceof z.ZodOptional || at instanceof z.ZodDefault) at = at.unwrap() as z.ZodType;
    if (key === undefined) break;
    if (at instanceof z.ZodObject) at = at.shape[key as string];
    else if (at instanceof z.ZodRecord) at = at.valueType as z.ZodType;
    else return [];
  }
  return at instanceof z.ZodObject ? Object.keys(at.shape).filter((k) => k !== '$schema') : [];
}
