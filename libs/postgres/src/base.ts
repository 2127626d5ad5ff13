import type { Client, ClientConfig } from 'pg';
import { openClient, type ConnectionHints } from './connection.ts';
import { assertDatabaseName, createDatabaseIfMissing, serverInfo, type ServerInfo } from './database.ts';
import type { DownResult, Engine, EngineMode, EngineStatus, UpResult } from './types.ts';

/** What every mode shares: connecting with helpful errors and creating databases. */
export abstract class BaseEngine implements Engine {
  abstract readonly mode: EngineMode;
  /** The database that always exists: used to check reachability and to create the others. */
  protected abstract readonly maintenanceDatabase: string;
  protected abstract readonly hints: ConnectionHints;

  abstract up(): Promise<UpResult>;
  abstract down(): Promise<DownResult>;
  abstract status(): Promise<EngineStatus>;
  abstract ensureUp(): Promise<void>;
  abstract clientConfig(database: string): ClientConfig;
  abstract describe(): string;

  connect(database: string): Promise<Client> {
    return openClient(this.clientConfig(database), this.mode, this.hints);
  }

  async ensureDatabase(name: string): Promise<'created' | 'exists'> {
    assertDatabaseName(name);
    return this.withMaintenanceClient((client) => createDatabaseIfMissing(client, name));
  }

  /** Connects once to the maintenance database: proves the server is reachable and accepts our login. */
  protected async checkReachable(): Promise<void> {
    await (await this.connect(this.maintenanceDatabase)).end();
  }

  protected serverInfo(): Promise<ServerInfo> {
    return this.withMaintenanceClient(serverInfo);
  }

  protected async withMaintenanceClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.connect(this.maintenanceDatabase);
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
}
