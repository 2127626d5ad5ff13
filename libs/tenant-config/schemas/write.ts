// npm run schemas: writes the JSON Schemas of tenant.json and config.json next to this file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas } from '../src/json-schemas.ts';

for (const [name, text] of Object.entries(jsonSchemas())) {
  writeFileSync(join(import.meta.dirname, name), text);
  console.log(`wrote libs/tenant-config/schemas/${name}`);
}
