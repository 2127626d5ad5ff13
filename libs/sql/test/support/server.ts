/**
 * The PostgreSQL these tests talk to: the shared embedded test server of the whole test run
 * (.data/test-pg, started once by whichever test file needs it first; the engine's lock makes that
 * safe). Tests use the `postgres` maintenance database and leave nothing behind in it.
 */
import { resolve } from 'node:path';
import { resolveEngine } from '@mt/postgres';

export interface TestServer {
  port: number;
  host: string;
  user: string;
  password: string;
  /** Nothing to stop: the server is shared; kept so call sites read the same. */
  stop(): Promise<void>;
}

const REPO = resolve(import.meta.dirname, '..', '..', '..', '..');

export async function startServer(): Promise<TestServer> {
  const engine = resolveEngine({ rootDir: REPO, dataDir: resolve(REPO, '.data', 'test-pg'), env: { ...process.env, PG_MODE: 'embedded' } });
  await engine.ensureUp();
  const cfg = engine.clientConfig('postgres');
  return { host: String(cfg.host), port: Number(cfg.port), user: String(cfg.user), password: String(cfg.password), stop: async () => {} };
}
