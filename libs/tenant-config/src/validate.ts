import * as v from 'valibot';
import { shown } from './schemas.ts';
import { closestNames } from './suggest.ts';

const KINDS: Record<string, string> = { Object: 'an object', Array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false' };

/** Our wording where a schema gives none: what was expected, and what was found (or that a key is missing). */
const wording = (issue: v.BaseIssue<unknown>) =>
  issue.input === undefined && issue.expected?.startsWith('"')
    ? 'is missing'
    : `must be ${KINDS[issue.expected ?? ''] ?? issue.expected}, found ${shown(issue.input)}`;

/** `value[key]` of parsed JSON not validated yet: undefined unless `value` is an object (or a list). */
export const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

/**
 * Every problem of a configuration file, one line each, named by its path (`"aurora.schema" must …,
 * found …`); an unknown key lists the known ones and suggests the closest.
 */
export function schemaProblems(schema: v.GenericSchema, raw: unknown): string[] {
  const result = v.safeParse(schema, raw, { message: wording });
  if (result.success) return [];
  return result.issues.map((issue) => {
    const path = (issue.path ?? []).map((item) => String(item.key));
    if (issue.type === 'strict_object' && issue.expected === 'never') {
      const key = path.pop()!;
      const known = keysAt(schema, path);
      const close = closestNames(key, known);
      return `unknown key "${[...path, key].join('.')}"${close.length ? ` (did you mean "${close[0]}"?)` : ''} (known: ${known.join(', ')})`;
    }
    return path.length ? `"${path.join('.')}" ${issue.message}` : `the file ${issue.message.replace(/^must be/, 'must hold')}`;
  });
}

type Node = v.GenericSchema & { wrapped?: Node; entries?: Record<string, Node>; value?: Node; item?: Node; pipe?: Node[] };

/** The keys an object of the schema may have at `path` ($schema, the editor's hint, left out). */
function keysAt(schema: v.GenericSchema, path: string[]): string[] {
  let at: Node | undefined = schema as Node;
  const unwrap = (n: Node | undefined): Node | undefined => (n?.wrapped ? unwrap(n.wrapped) : n?.pipe ? unwrap(n.pipe[0] === n ? undefined : n.pipe[0]) : n);
  for (const key of path) {
    at = unwrap(at);
    at = at?.entries ? at.entries[key] : (at?.item ?? at?.value); // an object's key, a list's item, a record's value
  }
  at = unwrap(at);
  return Object.keys(at?.entries ?? {}).filter((k) => k !== '$schema');
}
