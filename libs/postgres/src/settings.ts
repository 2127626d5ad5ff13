import type { ClientConfig } from 'pg';
import { TaskError } from '@mt/cli';

export function portFrom(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TaskError('PG_CONFIG_INVALID', `${name}=${JSON.stringify(value)} is not a TCP port (1–65535).`, {
      hint: `Fix ${name} in .env or the environment.`,
    });
  }
  return port;
}

/** libpq's sslmode in pg terms. pg cannot fall back between plain and TLS, so allow/prefer mean plain. */
export function sslFrom(mode: string | undefined, source: string): ClientConfig['ssl'] {
  switch (mode) {
    case undefined:
    case '':
    case 'disable':
    case 'allow':
    case 'prefer':
      return undefined;
    case 'require':
      return { rejectUnauthorized: false }; // libpq: encrypted, certificate not checked
    case 'verify-ca':
    case 'verify-full':
      return true;
    default:
      throw new TaskError('PG_CONFIG_INVALID', `Unknown sslmode ${JSON.stringify(mode)} in ${source}.`, {
        hint: 'Use disable, prefer, require, verify-ca or verify-full.',
      });
  }
}

/** `postgres://user:****@host:port/database` for messages: the password is never shown. */
export function maskedUrl(c: { user: string; password?: string; host: string; port: number; database: string }): string {
  return `postgres://${c.user}${c.password ? ':****' : ''}@${c.host}:${c.port}/${c.database}`;
}
