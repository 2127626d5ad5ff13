/**
 * The one PostgreSQL every test file of the repository shares: an embedded server in .data/test-pg,
 * started by whichever test needs it first (the engine's start lock makes parallel test files safe)
 * and stopped by .ci/run. Tests create databases of their own on it and drop them afterwards.
 */
import { join, resolve } from 'node:path';
import { resolveEngine, type Engine } from '../src/index.ts';

export const REPO = resolve(import.meta.dirname, '..', '..', '..');
export const TEST_DATA_DIR = join(REPO, '.data', 'test-pg');

export function testEngine(env: NodeJS.ProcessEnv = {}): Engine {
  return resolveEngine({ rootDir: REPO, dataDir: TEST_DATA_DIR, env: { ...process.env, PG_MODE: 'embedded', ...env } });
}
