import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Client, ClientConfig } from 'pg';
import { TaskError, isTaskError, log, step } from '@mt/cli';
import { openClient, type ConnectionHints } from './connection.ts';
import { assertDatabaseName, serverInfo, type ServerInfo } from './database.ts';
import { withLock } from './lock.ts';
import { provisionTenant } from './roles/provision.ts';
import { PROVISION_VERSION, passwordsFor, readRoleStore, writeRoleStore, type RoleStore } from './roles/store.ts';
import type { TenantDatabase, TenantRole } from './roles/types.ts';
import { withClient } from './session.ts';
import type { DownResult, Engine, EngineMode, EngineStatus, UpResult } from './types.ts';

/** Connection failures that setting the tenant up again cures: a role or database missing, a password reset. */
const NOT_SET_UP = new Set(['DB_AUTH', 'DB_NOT_FOUND', 'DB_CONNECT_DENIED']);

/** What every mode shares: connecting with helpful errors, creating databases, tenant roles. */
export abstract class BaseEngine implements Engine {
  abstract readonly mode: EngineMode;
  /** The database that always exists: used to check reachability and to create the others. */
  protected abstract readonly maintenanceDatabase: string;
  protected abstract readonly hints: ConnectionHints;
  /** roles.json: the tenant roles' passwords on this server (0600, beside the admin's credentials). */
  abstract readonly rolesFile: string;
  /** Embedded and docker: the server is ours, so provisioning may close the admin's databases to PUBLIC. */
  protected abstract readonly ownServer: boolean;

  abstract up(): Promise<UpResult>;
  abstract down(): Promise<DownResult>;
  abstract status(): Promise<EngineStatus>;
  abstract ensureUp(): Promise<void>;
  abstract clientConfig(database: string): ClientConfig;
  abstract describe(): string;

  /** The same path: the server runs on this machine (embedded) or is trusted to see the same files (external). */
  async serverDirectory(dir: string): Promise<{ write: string; read: string }> {
    const path = resolve(dir);
    return { write: path, read: path };
  }

  connect(database: string): Promise<Client> {
    return openClient(this.clientConfig(database), this.mode, this.hints);
  }

  /**
   * A client on the tenant's database as one of its own roles. The stored credentials are tried first
   * (one connection on a warm run); when the role or database is missing or the password was reset,
   * the admin sets the tenant up (roles, database, grants) and we connect again.
   */
  async connectTenant(t: TenantDatabase, as: TenantRole, options: { provision?: boolean } = {}): Promise<Client> {
    assertDatabaseName(t.database);
    const known = this.tenantConfig(readRoleStore(this.rolesFile), t, as);
    if (known) {
      try {
        return await this.openAs(known, t);
      } catch (err) {
        if (options.provision === false || !isTaskError(err) || !NOT_SET_UP.has(err.code)) throw err;
      }
    } else if (options.provision === false) {
      throw new TaskError('TENANT_NOT_SET_UP', `Tenant ${t.name} has no roles on this server yet.`, {
        hint: `Any command that builds it sets them up, e.g. make tenant-run TENANT=${t.name}.`,
      });
    }
    mkdirSync(dirname(this.rolesFile), { recursive: true, mode: 0o700 });
    const store = await withLock(`${this.rolesFile}.lock`, async () => {
      const current = readRoleStore(this.rolesFile);
      // Another terminal set the tenant up while we waited for the lock.
      if (!known && this.tenantConfig(current, t, as)) return current;
      return step(`setting up tenant ${t.name} (roles, database ${t.database})`, () => this.provision(t, current));
    });
    return this.openAs(this.tenantConfig(store, t, as)!, t);
  }

  /** Connects once to the maintenance database: proves the server is reachable and accepts our login. */
  protected async checkReachable(): Promise<void> {
    await (await this.connect(this.maintenanceDatabase)).end();
  }

  protected serverInfo(): Promise<ServerInfo> {
    return this.withMaintenanceClient(serverInfo);
  }

  protected withMaintenanceClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    return withClient(this.connect(this.maintenanceDatabase), fn);
  }

  private tenantConfig(store: RoleStore, t: TenantDatabase, as: TenantRole): ClientConfig | undefined {
    const entry = store.databases[t.database];
    if (entry?.version !== PROVISION_VERSION) return undefined;
    if (entry.shared) return this.clientConfig(t.database);
    const user = t.roles[as];
    const password = store.passwords[user];
    if (entry.owner !== t.roles.owner || entry.reader !== t.roles.reader || !password) return undefined;
    return { ...this.clientConfig(t.database), user, password };
  }

  private openAs(config: ClientConfig, t: TenantDatabase): Promise<Client> {
    return openClient(config, this.mode, {
      unreachable: this.hints.unreachable,
      auth: `The server refuses tenant ${t.name}'s role even though its password was just set: its pg_hba.conf must allow password logins for "${config.user}" to ${t.database}.`,
    });
  }

  /** Under the roles.json lock; every step is idempotent, so a second terminal repeats it harmlessly. */
  private async provision(t: TenantDatabase, store: RoleStore): Promise<RoleStore> {
    const how = await this.withMaintenanceClient((admin) =>
      provisionTenant(
        admin,
        () => this.connect(t.database),
        t,
        () => passwordsFor(this.rolesFile, store, t.roles),
        this.ownServer,
      ),
    );
    if (how === 'shared') {
      const user = this.clientConfig(t.database).user;
      log(
        `note: user "${user}" may not create roles, so tenant ${t.name} runs as "${user}" itself, not as roles of its own; ` +
          `its isolation then rests on what "${user}" may do. To give every tenant its own roles: ALTER ROLE "${user}" CREATEROLE, then remove ${this.rolesFile}.`,
      );
    }
    store.databases[t.database] = how === 'shared' ? { version: PROVISION_VERSION, shared: true } : { version: PROVISION_VERSION, ...t.roles };
    writeRoleStore(this.rolesFile, store);
    return store;
  }
}
