import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'dotenv';
import { io } from '@mt/cli';

/**
 * The workspace root is the nearest folder holding nx.json above the task's directory (Nx runs
 * tasks there); outside any workspace, the one this code belongs to.
 */
export function findWorkspaceRoot(from = io().cwd): string {
  return nearestWorkspace(from) ?? nearestWorkspace(import.meta.dirname) ?? resolve(from);
}

function nearestWorkspace(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Loads `<root>/.env` into the task's environment (process.env for a real run, so the AWS SDK sees it
 * too) without overriding what the shell already set (the shell wins, as with dotenv's default).
 * Returns the merged environment.
 */
export function loadEnv(root: string): NodeJS.ProcessEnv {
  const { env } = io();
  const file = join(root, '.env');
  if (existsSync(file)) for (const [name, value] of Object.entries(parse(readFileSync(file)))) env[name] ??= value;
  return env;
}
