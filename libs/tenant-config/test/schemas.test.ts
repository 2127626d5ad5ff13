import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import test from 'ava';
import { jsonSchemas } from '../src/json-schemas.ts';
import { listTenantNames } from '../src/tenant.ts';

const REPO = resolve(import.meta.dirname, '..', '..', '..');

test('the JSON Schemas in libs/tenant-config/schemas are the ones the loaders validate with (npm run schemas writes them)', (t) => {
  for (const [name, text] of Object.entries(jsonSchemas())) {
    t.is(readFileSync(join(REPO, 'libs/tenant-config/schemas', name), 'utf8'), text, `${name} is stale: run npm run schemas`);
  }
});

test('every shipped tenant.json and config.json names its schema, and the path leads to it', (t) => {
  const files = [...listTenantNames(REPO).map((name) => `tenants/${name}/tenant.json`), 'config.json'];
  for (const file of files) {
    const ref = JSON.parse(readFileSync(join(REPO, file), 'utf8')).$schema;
    t.is(typeof ref, 'string', file);
    t.true(existsSync(resolve(dirname(join(REPO, file)), ref)), `${file}: ${ref}`);
    t.regex(ref, file === 'config.json' ? /config\.schema\.json$/ : /tenant\.schema\.json$/);
  }
});

test('the tenant schema refuses unknown keys and describes every field for editors', (t) => {
  const schema = JSON.parse(jsonSchemas()['tenant.schema.json']);
  t.false(schema.additionalProperties);
  t.deepEqual(schema.required.sort(), ['aurora', 'dataLake', 'database', 'name']);
  for (const [key, value] of Object.entries<any>(schema.properties)) t.truthy(value.description ?? value.properties, key);
});
