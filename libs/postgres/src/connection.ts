import pg from 'pg';
import type { Client, ClientConfig } from 'pg';
import { TaskError, maskSecrets } from '@mt/cli';
import type { EngineMode } from './types.ts';

/** The next step to suggest when a connection fails; it depends on who runs the server. */
export interface ConnectionHints {
  unreachable: string;
  auth: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

export async function openClient(config: ClientConfig, mode: EngineMode, hints: ConnectionHints): Promise<Client> {
  const client = new pg.Client(config);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw connectionError(err, config, mode, hints);
  }
  // A server-side drop of an idle client must not crash the process with an unhandled 'error'
  // event; the next query on this client fails instead.
  client.on('error', () => {});
  return client;
}

/** Turns a pg/net connection failure into a one-paragraph TaskError; the password never appears. */
function connectionError(err: unknown, config: ClientConfig, mode: EngineMode, hints: ConnectionHints): TaskError {
  const e = err as { code?: string; message?: string };
  const where = `${config.host}:${config.port}`;
  const password = typeof config.password === 'string' ? config.password : undefined;
  // Node reports "all addresses refused" as an AggregateError with an empty message.
  const reason = maskSecrets(e.message || e.code || String(err), [password]);
  const options = { cause: err };
  if ((e.code && UNREACHABLE.has(e.code)) || /timeout expired/i.test(reason)) {
    return new TaskError('DB_UNREACHABLE', `Cannot reach PostgreSQL at ${where} (${mode} mode): ${reason}.`, { ...options, hint: hints.unreachable });
  }
  if (e.code === '28P01' || e.code === '28000') {
    return new TaskError('DB_AUTH', `PostgreSQL at ${where} (${mode} mode) rejected user "${config.user}": ${reason}.`, { ...options, hint: hints.auth });
  }
  if (e.code === '3D000') {
    return new TaskError('DB_NOT_FOUND', `Database "${config.database}" does not exist on ${where} (${mode} mode).`, {
      ...options,
      hint: 'Check the database name (tenant tasks create their own database on first use).',
    });
  }
  if (e.code === '42501') {
    return new TaskError(
      'DB_CONNECT_DENIED',
      `PostgreSQL at ${where} (${mode} mode) does not let user "${config.user}" connect to database ${config.database}: ${reason}.`,
      {
        ...options,
        hint: "A tenant database accepts only its own tenant's roles.",
      },
    );
  }
  return new TaskError('DB_CONNECT', `Cannot connect to PostgreSQL at ${where} (${mode} mode): ${reason}.`, options);
}
