import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { configSchema, tenantSchema } from './schemas.ts';

/** The JSON Schemas editors read through "$schema" (libs/tenant-config/schemas/), generated from ours. */
export function jsonSchemas(): Record<string, string> {
  // Rules written as code (v.check) have no JSON Schema form: editors check the rest.
  const text = (schema: v.GenericSchema, title: string) =>
    `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title, ...toJsonSchema(schema, { errorMode: 'ignore' }) }, null, 2)}\n`;
  return {
    'tenant.schema.json': text(tenantSchema, 'tenant.json'),
    'config.schema.json': text(configSchema, 'config.json'),
  };
}
