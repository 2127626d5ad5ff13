/**
 * `make tenants-generate COUNT=n`: tenants scale_001 … scale_n for scale tests, each a real tenant (its
 * folder, its database, its bucket) on the shared sample seeds. Git-ignored (`tenants/scale_*`), and marked
 * by a `.generated` file: only marked folders are ever removed, so a tenant of yours named scale_… is safe.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskError } from '@mt/cli';

export const GENERATED_TENANT_PREFIX = 'scale_';
const MARKER = '.generated';
export const MAX_GENERATED_TENANTS = 999;

export interface GeneratedTenants {
  created: string[];
  removed: string[];
  /** Generated tenants that were there already and stay. */
  kept: string[];
}

export function generateTenants(root: string, count: number): GeneratedTenants {
  if (!Number.isInteger(count) || count < 0 || count > MAX_GENERATED_TENANTS)
    throw new TaskError('INVALID_GENERATE_OPTION', `COUNT must be a whole number from 0 to ${MAX_GENERATED_TENANTS}, not ${JSON.stringify(count)}.`, {
      hint: 'e.g. make tenants-generate COUNT=50 (COUNT=0 removes the generated tenants).',
    });
  const dir = join(root, 'tenants');
  const wanted = Array.from({ length: count }, (_, i) => `${GENERATED_TENANT_PREFIX}${String(i + 1).padStart(3, '0')}`);
  const existing = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.startsWith(GENERATED_TENANT_PREFIX) && existsSync(join(dir, name, MARKER)))
        .sort()
    : [];
  const result: GeneratedTenants = { created: [], removed: [], kept: [] };
  for (const name of existing.filter((n) => !wanted.includes(n))) {
    rmSync(join(dir, name), { recursive: true, force: true });
    result.removed.push(name);
  }
  for (const name of wanted) {
    if (existing.includes(name)) {
      result.kept.push(name);
      continue;
    }
    if (existsSync(join(dir, name, 'tenant.json')))
      throw new TaskError(
        'GENERATED_TENANT_TAKEN',
        `tenants/${name}/ exists and was not generated: it is left as it is, and no tenant after it is generated.`,
        {
          hint: `Rename that tenant, or generate fewer (COUNT=${Number(name.slice(GENERATED_TENANT_PREFIX.length)) - 1}).`,
        },
      );
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'tenant.json'), `${JSON.stringify(tenantJson(name), null, 2)}\n`);
    writeFileSync(join(dir, name, MARKER), 'Written by make tenants-generate; make tenants-generate COUNT=0 removes this tenant.\n');
    result.created.push(name);
  }
  return result;
}

function tenantJson(name: string) {
  const number = name.slice(GENERATED_TENANT_PREFIX.length);
  return {
    $schema: '../../libs/tenant-config/schemas/tenant.schema.json',
    name,
    displayName: `Scale ${number}`,
    database: `${name}_db`,
    aurora: { schema: name },
    dataLake: { bucket: `scale-${number}-data-lake`, prefix: 'ecommerce-data' },
  };
}
