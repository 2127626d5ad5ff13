import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveEngine, type Engine } from '@mt/postgres';

export const rootDir = join(import.meta.dirname, '..', '..', '..');

/** A temp data dir the unprivileged `postgres` user can enter (mkdtemp makes it 0700). */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `mt-pg-${prefix}-`));
  await chmod(dir, 0o755);
  return dir;
}

/** Embedded engine on `dir`, with an environment that cannot leak the developer's PG* settings. */
export function embedded(dir: string, env: Record<string, string> = {}): Engine {
  return resolveEngine({ rootDir, dataDir: dir, env: { PATH: process.env.PATH, ...env } });
}

export async function cleanup(engine: Engine, dir: string): Promise<void> {
  await engine.down().catch(() => {});
  await rm(dir, { recursive: true, force: true });
}

const exec = promisify(execFile);

/** `up()` in a separate node process, like parallel Nx tasks. */
export async function upInChild(dir: string): Promise<{ status: string; port: number }> {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'up.ts'), dir], { cwd: rootDir });
  return JSON.parse(stdout) as { status: string; port: number };
}

/** Occupies 127.0.0.1:port; resolves undefined when something else already has it (equally good for the tests). */
export function occupy(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** A port with nothing listening (bound and released at once). */
export async function closedPort(): Promise<number> {
  const server = (await occupy(0))!;
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
