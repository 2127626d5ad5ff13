import { parse } from 'yaml';
import { TaskError } from '@mt/cli';

/** `--vars '{"k": 1}'` or `--vars 'k: 1'` (YAML, of which JSON is a part), as dbt reads it: a mapping. */
export function parseVars(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = parse(text);
  } catch (e) {
    throw new TaskError('INVALID_VARS', `--vars ${JSON.stringify(text)} is not YAML or JSON: ${(e as Error).message.split('\n')[0]}`, {
      hint: `Write a mapping: --vars '{"segment_vip": 2000}' or --vars 'segment_vip: 2000'.`,
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new TaskError('INVALID_VARS', `--vars ${JSON.stringify(text)} is not a mapping of names to values.`, {
      hint: `Write a mapping: --vars '{"segment_vip": 2000}' or --vars 'segment_vip: 2000'.`,
    });
  }
  return value as Record<string, unknown>;
}
