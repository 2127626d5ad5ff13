import { IDENTIFIER_PATTERN, TaskError, isValidIdentifier } from '@mt/cli';

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
