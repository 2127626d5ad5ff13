import * as z from 'zod';
import { configSchema, tenantSchema } from './schemas.ts';

/** The JSON Schemas editors read through "$schema" (libs/tenant-config/schemas/), generated from ours. */
export function jsonSchemas(): Record<string, string> {
  const text = (schema: z.ZodType, title: string) => `${JSON.stringify({ title, ...z.toJSONSchema(schema, { io: 'input' }) }, null, 2)}\n`;
  return {
    'tenant.schema.json': text(tenantSchema, 'tenant.json'),
    'config.schema.json': text(configSchema, 'config.json'),
  };
}
