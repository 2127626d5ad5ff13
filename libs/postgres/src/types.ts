import type { Client, ClientConfig } from 'pg';
import type { TenantDatabase, TenantRole } from './roles/types.ts';

export type EngineMode = 'embedded' | 'docker' | 'external';

export type Env = Record<string, string | undefined>;

export interface EngineOptions {
  /** Workspace root: embedded data lives in `<rootDir>/.data/pg` unless `dataDir` or PG_DATA_DIR say otherwise. */
  rootDir: string;
  /** Defaults to process.env; the caller has already merged .env into it. */
  env?: Env;
  /** Embedded data directory (tests); relative paths are taken from rootDir. */
  dataDir?: string;
}

export interface UpResult {
  status: 'started' | 'already-running';
  port: number;
  ms: number;
}

export interface DownResult {
  status: 'stopped' | 'not-running';
  /** Why nothing was done, when that is not obvious (external servers are never stopped). */
  note?: string;
}

export interface EngineStatus {
  running: boolean;
  mode: EngineMode;
  host: string;
  port?: number;
  pid?: number;
  dataDir?: string;
  version?: string;
  databases?: string[];
  logFile?: string;
}

export interface Engine {
  readonly mode: EngineMode;
  /** Embedded only: the server log (for `make dev-logs`). */
  readonly logFile?: string;
  /** Starts the server (idempotent); resolves once it accepts connections. External: checks reachability. */
  up(): Promise<UpResult>;
  /** Stops the server (idempotent). External servers are never stopped. */
  down(): Promise<DownResult>;
  status(): Promise<EngineStatus>;
  /** Called by every target that uses the database: starts the embedded server when needed, fast when running. */
  ensureUp(): Promise<void>;
  /** Connection settings for one database: host, port, user, password, database. */
  clientConfig(database: string): ClientConfig;
  /** A connected client; connection failures become DB_UNREACHABLE / DB_AUTH / DB_NOT_FOUND TaskErrors. */
  connect(database: string): Promise<Client>;
  /**
   * A client on a tenant's database as its owner or reader role; the first call sets the roles and the
   * database up with the admin connection. provision: false fails with TENANT_NOT_SET_UP instead.
   */
  connectTenant(tenant: TenantDatabase, as: TenantRole, options?: { provision?: boolean }): Promise<Client>;
  /**
   * A folder of this machine whose files the server reads itself (file_fdw, the local data lake):
   * where to write them, and the path under which the server sees them. Embedded as root with a
   * private workspace, the folder lives in the server's private folder, linked from `dir`.
   */
  serverDirectory(dir: string): Promise<{ write: string; read: string }>;
  /** Where the tenant roles' generated passwords are kept (0600). */
  readonly rolesFile: string;
  /** One line for humans, without the password. */
  describe(): string;
}
