import { join } from 'node:path';
import type { ClientConfig } from 'pg';
import { parse } from 'pg-connection-string';
import { TaskError, isTaskError } from '@mt/cli';
import { BaseEngine } from './base.ts';
import type { ConnectionHints } from './connection.ts';
import { maskedUrl, portFrom, sslFrom } from './settings.ts';
import type { DownResult, EngineStatus, Env, UpResult } from './types.ts';

interface Settings {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  ssl: ClientConfig['ssl'];
}

type UrlParts = Partial<Record<'host' | 'port' | 'user' | 'password' | 'database' | 'sslmode', string>>;

/** DATABASE_URL's parts, each falling back to the PG* variable, as libpq does (empty counts as unset). */
function settingsFrom(env: Env): Settings {
  const url: UrlParts = env.DATABASE_URL ? parseUrl(env.DATABASE_URL) : {};
  return {
    host: url.host || env.PGHOST || 'localhost',
    port: url.port ? portFrom(url.port, 'DATABASE_URL port', 5432) : portFrom(env.PGPORT, 'PGPORT', 5432),
    user: url.user || env.PGUSER || 'postgres',
    password: url.password || env.PGPASSWORD || undefined,
    database: url.database || env.PGDATABASE || 'postgres',
    ssl: url.sslmode ? sslFrom(url.sslmode, 'DATABASE_URL') : sslFrom(env.PGSSLMODE, 'PGSSLMODE'),
  };
}

/**
 * Query parameters pg-connection-string turns into pg's TLS options, reading certificate files and
 * warning that sslmode=require means verify-full to pg. TLS is sslFrom's business (libpq's meaning of
 * sslmode), so the parser never sees them.
 */
const TLS_PARAMS = ['ssl', 'sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'sslnegotiation', 'uselibpqcompat'];

/**
 * DATABASE_URL read by the parser pg itself uses (pg-connection-string): percent-decoded parts,
 * [IPv6] hosts, and the query parameters libpq also takes (`?host=/var/run/postgresql`, `?port=`,
 * `?user=`, `?password=`, which win over the URL's own parts). It accepts any text (a relative one
 * against postgres://base, `%zz` as a literal), so the URL is checked here first.
 */
function parseUrl(text: string): UrlParts {
  try {
    const url = new URL(text);
    if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') {
      const sslmode = url.searchParams.get('sslmode') ?? undefined;
      for (const name of TLS_PARAMS) url.searchParams.delete(name); // also re-encodes the query
      url.hash = '';
      // A malformed %-escape: libpq refuses it, pg-connection-string would read it as a literal "%".
      if (!/%(?![0-9a-f]{2})/i.test(url.href)) {
        const parts = parse(url.href);
        return {
          host: parts.host ?? undefined,
          port: parts.port ?? undefined,
          user: parts.user,
          password: parts.password,
          // Its decodeURI leaves %2F, %23, %3F… encoded in the name; libpq decodes them.
          database: decodeURIComponent(url.pathname.slice(1)),
          sslmode,
        };
      }
    }
  } catch {
    // reported below; the value is not repeated, as it may contain the password
  }
  throw new TaskError('PG_CONFIG_INVALID', 'DATABASE_URL is not a valid postgres:// URL.', {
    hint: 'Use postgres://user:password@host:5432/database (percent-encode special characters in the password).',
  });
}

/** A server someone else runs (PG_MODE=external): we only connect, never start or stop it. */
export class ExternalEngine extends BaseEngine {
  readonly mode = 'external' as const;
  protected readonly maintenanceDatabase: string;
  protected readonly hints: ConnectionHints = {
    unreachable:
      'Start that server or fix PGHOST/PGPORT/DATABASE_URL in .env (PG_MODE=external is never started by this tool); to use the built-in database instead, unset PG_MODE and run `make up`.',
    auth: 'Check PGUSER/PGPASSWORD or DATABASE_URL.',
  };
  private readonly settings: Settings;
  readonly rolesFile: string;
  protected readonly ownServer = false;

  constructor(rootDir: string, env: Env) {
    super();
    this.settings = settingsFrom(env);
    this.maintenanceDatabase = this.settings.database;
    // One file per server: the same workspace may point at several over time.
    const server = `${this.settings.host}-${this.settings.port}`.replace(/[^A-Za-z0-9.-]/g, '_');
    this.rolesFile = join(rootDir, '.data', 'roles', `external-${server}.json`);
  }

  clientConfig(database: string): ClientConfig {
    const { host, port, user, password, ssl } = this.settings;
    return { host, port, user, password, database, ssl, connectionTimeoutMillis: 10_000 };
  }

  describe(): string {
    return `external postgres at ${maskedUrl(this.settings)}`;
  }

  async up(): Promise<UpResult> {
    const t0 = performance.now();
    await this.checkReachable();
    return { status: 'already-running', port: this.settings.port, ms: Math.round(performance.now() - t0) };
  }

  async ensureUp(): Promise<void> {
    await this.checkReachable();
  }

  async down(): Promise<DownResult> {
    return { status: 'not-running', note: 'PG_MODE=external: this tool does not stop servers it did not start.' };
  }

  async status(): Promise<EngineStatus> {
    const { host, port } = this.settings;
    try {
      return { running: true, mode: this.mode, host, port, ...(await this.serverInfo()) };
    } catch (err) {
      if (isTaskError(err) && err.code === 'DB_UNREACHABLE') return { running: false, mode: this.mode, host, port };
      throw err;
    }
  }
}
