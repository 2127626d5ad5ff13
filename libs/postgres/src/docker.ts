import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import type { ClientConfig } from 'pg';
import { TaskError, step } from '@mt/cli';
import { BaseEngine } from './base.ts';
import type { ConnectionHints } from './connection.ts';
import { failureText, notFound, ProcessOutput, run } from './run.ts';
import { maskedUrl, portFrom } from './settings.ts';
import type { DownResult, EngineStatus, Env, UpResult } from './types.ts';

const SERVICE = 'postgres';
const HOST = '127.0.0.1';
// The first `up` pulls the image, which can take minutes on a slow network.
const PULL_TIMEOUT_MS = 15 * 60_000;
const EMBEDDED_INSTEAD = 'Start Docker, or unset PG_MODE to use the embedded PostgreSQL (no Docker needed).';

/** Turns a failed docker command into what the user has to do about it. */
function dockerError(err: unknown, command: string): TaskError {
  if (!(err instanceof ProcessOutput)) return new TaskError('DOCKER_FAILED', `\`${command}\` failed: ${String(err)}`, { hint: EMBEDDED_INSTEAD, cause: err });
  const output = `${err.stderr}\n${err.stdout}`.trim();
  const options = { hint: EMBEDDED_INSTEAD, cause: err };
  if (notFound(err)) {
    return new TaskError('DOCKER_NOT_FOUND', 'PG_MODE=docker needs the docker command, which is not on PATH.', options);
  }
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i.test(output)) {
    return new TaskError('DOCKER_DAEMON_DOWN', `PG_MODE=docker, but the Docker daemon is not running (docker says: ${output.split('\n')[0]}).`, options);
  }
  if (/unknown command: docker compose|'compose' is not a docker command|unknown shorthand flag: 'f'/i.test(output)) {
    return new TaskError('DOCKER_COMPOSE_MISSING', 'PG_MODE=docker needs Docker Compose v2 (`docker compose`), which is not installed.', {
      ...options,
      hint: `Install the docker-compose-plugin, or unset PG_MODE to use the embedded PostgreSQL (no Docker needed).`,
    });
  }
  const tail = failureText(err).split('\n').slice(-15).join('\n');
  return new TaskError('DOCKER_FAILED', `\`${command}\` failed (${err.signal ? `killed by ${err.signal}` : `exit ${err.exitCode}`}):\n${tail}`, options);
}

/** The `postgres` service of the workspace's docker-compose.yml (PG_MODE=docker). */
export class DockerEngine extends BaseEngine {
  readonly mode = 'docker' as const;
  protected readonly maintenanceDatabase: string;
  protected readonly hints: ConnectionHints = {
    unreachable: 'Run `make up` to start the postgres container (PG_MODE=docker).',
    auth: 'Check POSTGRES_USER/POSTGRES_PASSWORD: the volume keeps the password of its first start (`docker compose down -v` resets it and deletes the data).',
  };
  private readonly composeFile: string;
  readonly rolesFile: string;
  protected readonly ownServer = true;
  private readonly settings: { host: string; port: number; user: string; password: string; database: string };

  // The compose file reads the same POSTGRES_* variables, so container and client agree.
  constructor(
    private readonly rootDir: string,
    private readonly env: Env,
  ) {
    super();
    this.composeFile = join(rootDir, 'docker-compose.yml');
    this.settings = {
      host: HOST,
      port: portFrom(env.POSTGRES_PORT, 'POSTGRES_PORT', 5432),
      user: env.POSTGRES_USER || 'postgres',
      password: env.POSTGRES_PASSWORD || 'postgres',
      database: env.POSTGRES_DB || 'postgres',
    };
    this.maintenanceDatabase = this.settings.database;
    this.rolesFile = join(rootDir, '.data', 'roles', `docker-${this.settings.port}.json`);
  }

  /** docker-compose.yml mounts the workspace read-only at /workspace. */
  override async serverDirectory(dir: string): Promise<{ write: string; read: string }> {
    const path = resolve(dir);
    const inWorkspace = relative(this.rootDir, path);
    if (inWorkspace.startsWith('..') || isAbsolute(inWorkspace)) {
      throw new TaskError('LAKE_UNREADABLE', `${path} is outside the workspace, which is all the postgres container sees (mounted at /workspace).`, {
        hint: 'Keep the data lake inside the workspace (DATA_LAKE_DIR), or add a volume for it to docker-compose.yml.',
      });
    }
    return { write: path, read: posix.join('/workspace', ...inWorkspace.split(sep)) };
  }

  clientConfig(database: string): ClientConfig {
    const { host, port, user, password } = this.settings;
    return { host, port, user, password, database, connectionTimeoutMillis: 5000 };
  }

  describe(): string {
    return `docker postgres (compose service ${SERVICE}) at ${maskedUrl(this.settings)}`;
  }

  async up(): Promise<UpResult> {
    const t0 = performance.now();
    await this.checkDaemon();
    const wasRunning = await this.serviceRunning();
    // --wait returns once the healthcheck (pg_isready) passes. The callers say how it went; on a terminal
    // a spinner covers the wait (minutes when the image is pulled first).
    const start = () => this.compose(['up', '-d', '--wait', '--wait-timeout', '120', SERVICE], PULL_TIMEOUT_MS);
    if (!wasRunning) await step(`starting ${this.describe()}`, start, { summary: false });
    await this.checkReachable();
    return { status: wasRunning ? 'already-running' : 'started', port: this.settings.port, ms: Math.round(performance.now() - t0) };
  }

  async ensureUp(): Promise<void> {
    await this.checkReachable();
  }

  async down(): Promise<DownResult> {
    await this.checkDaemon();
    if (!(await this.serviceRunning())) return { status: 'not-running' };
    await this.compose(['stop', SERVICE]);
    return { status: 'stopped' };
  }

  async status(): Promise<EngineStatus> {
    await this.checkDaemon();
    const { host, port } = this.settings;
    if (!(await this.serviceRunning())) return { running: false, mode: this.mode, host, port };
    return { running: true, mode: this.mode, host, port, ...(await this.serverInfo()) };
  }

  private async docker(args: string[], timeoutMs = 60_000): Promise<ProcessOutput> {
    try {
      return await run('docker', args, { env: this.env, timeoutMs });
    } catch (err) {
      throw dockerError(err, `docker ${args.join(' ')}`);
    }
  }

  /** Checked first: without a daemon, every other docker error would be misleading. */
  private async checkDaemon(): Promise<void> {
    await this.docker(['version', '--format', '{{.Server.Version}}']);
  }

  private compose(args: string[], timeoutMs?: number): Promise<ProcessOutput> {
    return this.docker(['compose', '-f', this.composeFile, ...args], timeoutMs);
  }

  private async serviceRunning(): Promise<boolean> {
    const { stdout } = await this.compose(['ps', '--status', 'running', '--quiet', SERVICE]);
    return stdout.trim() !== '';
  }
}
