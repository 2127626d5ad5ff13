import pg from 'pg';
import type { Client } from 'pg';
import { IDENTIFIER_PATTERN, TaskError, isValidIdentifier } from '@mt/cli';

export function assertDatabaseName(name: string): void {
  if (!isValidIdentifier(name)) {
    throw new TaskError('INVALID_IDENTIFIER', `Invalid database name ${JSON.stringify(name)}: it must match ${IDENTIFIER_PATTERN.source}.`, {
      hint: 'Use 1–63 characters: lower-case letters, digits and _, starting with a letter.',
    });
  }
}

/** CREATE DATABASE when missing. A concurrent creator wins the race as 42P04 or 23505: both mean "exists". */
export async function createDatabaseIfMissing(client: Client, name: string, owner?: string): Promise<'created' | 'exists'> {
  const found = await client.query('select 1 from pg_database where datname = $1', [name]);
  if (found.rowCount) return 'exists';
  try {
    await client.query(`create database ${pg.escapeIdentifier(name)}${owner ? ` owner ${pg.escapeIdentifier(owner)}` : ''}`);
    return 'created';
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === '42P04' || e.code === '23505') return 'exists';
    throw new TaskError('DB_CREATE_FAILED', `Cannot create database "${name}": ${e.message ?? String(err)} (${e.code ?? 'no code'}).`, {
      hint: 'The user needs the CREATEDB privilege, or create the database beforehand.',
      cause: err,
    });
  }
}

export interface ServerInfo {
  version: string;
  databases: string[];
}

export async function serverInfo(client: Client): Promise<ServerInfo> {
  const { rows } = await client.query<{ version: string; databases: string[] }>(
    `select current_setting('server_version') as version,
            array(select datname::text from pg_database where not datistemplate order by 1) as databases`,
  );
  return rows[0];
}
