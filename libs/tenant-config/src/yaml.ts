import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, YAMLError } from 'yaml';
import { TaskError } from '@mt/cli';

/**
 * Parsed files by path, with the text they came from: a batch of tenant tasks in one process reads the
 * same project files for every tenant, and parsing them was a tenth of a warm run's time.
 */
const parsed = new Map<string, { text: string; doc: unknown }>();

/** A YAML file of the workspace (sql/dbt_project.yml, schema files, sql/sources), or INVALID_YAML at its line:column. */
export function readYamlFile(root: string, file: string): unknown {
  try {
    const text = readFileSync(join(root, file), 'utf8');
    const seen = parsed.get(join(root, file));
    if (seen?.text === text) return structuredClone(seen.doc);
    const doc = parse(text) ?? {};
    parsed.set(join(root, file), { text, doc: structuredClone(doc) });
    return doc;
  } catch (e) {
    const pos = e instanceof YAMLError ? e.linePos?.[0] : undefined;
    throw new TaskError('INVALID_YAML', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'Fix the YAML syntax (indentation is the usual cause).',
    });
  }
}
