/**
 * The PostgreSQL these tests talk to: the shared embedded test server of the whole test run
 * (.data/test-pg, started once by whichever test file needs it first; the engine's lock makes that
 * safe), with a database of their own, dropped again by stop().
 */
import { randomBytes } from 'node:crypto';
import { withClient } from '@mt/postgres';
import { testEngine } from '../../../postgres/test/shared-server.ts';

export interface TestServer {
  port: number;
  host: string;
  user: string;
  password: string;
  database: string;
  stop(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const engine = testEngine();
  await engine.ensureUp();
  const database = `sql_test_${randomBytes(4).toString('hex')}`;
  await withClient(engine.connect('postgres'), (client) => client.query(`create database ${client.escapeIdentifier(database)}`));
  const cfg = engine.clientConfig(database);
  return {
    host: String(cfg.host),
    port: Number(cfg.port),
    user: String(cfg.user),
    password: String(cfg.password),
    database,
    async stop() {
      const client = await engine.connect('postgres');
      try {
        await client.query(`drop database if exists ${client.escapeIdentifier(database)} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
