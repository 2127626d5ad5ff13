import { TaskError } from '@mt/cli';

/**
 * Identifiers we create from configuration (tenant names, databases, schemas). Longer names would be
 * silently truncated by PostgreSQL at 63 bytes and could collide, hence the upper bound.
 */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

export const isValidIdentifier = (value: unknown): value is string => typeof value === 'string' && IDENTIFIER_PATTERN.test(value);

export function assertTenantName(name: string): string {
  if (!isValidIdentifier(name)) {
    throw new TaskError(
      'INVALID_TENANT',
      `Invalid tenant name ${JSON.stringify(name)}: tenant names must match ${IDENTIFIER_PATTERN.source} ` +
        '(lowercase letter first, then lowercase letters, digits or underscores, at most 63 characters).',
      { hint: 'Use the folder name under tenants/, e.g. TENANT=tenant_a.' },
    );
  }
  return name;
}
