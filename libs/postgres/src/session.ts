import type { Client } from 'pg';
import type { Engine } from './types.ts';

/** What the libraries need from an engine: start it, connect as the admin or as a tenant's role, name it. */
export type DatabaseAccess = Pick<Engine, 'ensureUp' | 'connect' | 'connectTenant' | 'describe' | 'serverDirectory'>;

/** `fn` with a client, which is always ended afterwards (a connection that failed has nothing to end). */
export async function withClient<T>(connecting: Promise<Client>, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connecting;
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** `fn` between BEGIN and COMMIT; ROLLBACK when it throws, so nothing of it stays. */
export async function withTransaction<T>(client: Client, fn: () => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
  await client.query(options.readOnly ? 'begin transaction read only' : 'begin');
  try {
    const result = await fn();
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  }
}

/** `fn` while holding the session advisory lock named `key`: a second session waits for the first. */
export async function withAdvisoryLock<T>(client: Client, key: string, fn: () => Promise<T>): Promise<T> {
  await client.query('select pg_advisory_lock(hashtext($1))', [key]);
  try {
    return await fn();
  } finally {
    await client.query('select pg_advisory_unlock(hashtext($1))', [key]).catch(() => {});
  }
}
