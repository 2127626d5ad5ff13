import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, YAMLError } from 'yaml';
import { TaskError } from '@mt/cli';

/** A YAML file of the workspace (sql/project.yml, schema files, sql/sources), or INVALID_YAML at its line:column. */
export function readYamlFile(root: string, file: string): unknown {
  try {
    return parse(readFileSync(join(root, file), 'utf8')) ?? {};
  } catch (e) {
    const pos = e instanceof YAMLError ? e.linePos?.[0] : undefined;
    throw new TaskError('INVALID_YAML', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'Fix the YAML syntax (indentation is the usual cause).',
    });
  }
}
