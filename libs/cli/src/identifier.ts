/**
 * The one rule for the identifiers we make from configuration and file names: tenant names,
 * databases, roles, schemas, relation and analysis names. Lower case, so they never need quoting;
 * at most 63 characters, because PostgreSQL silently truncates longer names and two could collide.
 *
 * Here because every lib may import @mt/cli (@mt/tenant-config and @mt/postgres both check names).
 * tools/nx-plugin/src/index.js (plain CommonJS, loaded by Nx) keeps a copy; its test asserts the two
 * are equal.
 */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

export const isValidIdentifier = (value: unknown): value is string => typeof value === 'string' && IDENTIFIER_PATTERN.test(value);
