import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { config as loadDotenv } from 'dotenv';

/**
 * The workspace root is the nearest folder holding nx.json above the current directory (Nx runs
 * tasks there); outside any workspace, the one this code belongs to.
 */
export function findWorkspaceRoot(from = process.cwd()): string {
  return nearestWorkspace(from) ?? nearestWorkspace(import.meta.dirname) ?? resolve(from);
}

function nearestWorkspace(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Loads `<root>/.env` into process.env without overriding what the shell already set
 * (the shell wins, as with dotenv's default). Returns the merged environment.
 */
export function loadEnv(root: string): NodeJS.ProcessEnv {
  const file = join(root, '.env');
  if (existsSync(file)) loadDotenv({ path: file, quiet: true });
  return process.env;
}
