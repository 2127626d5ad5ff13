import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TaskError } from '@mt/cli';
import type { TenantRole } from './types.ts';

/** Bumped when provisioning grants more: databases set up by an older version are set up again. */
export const PROVISION_VERSION = 1;

/** How a tenant database was set up: with roles of its own, or (no CREATEROLE) as the configured user. */
export type Provisioned = { version: number } & ({ shared: true } | { shared?: false; owner: string; reader: string });

/** roles.json: the tenant roles' generated passwords and the databases set up for them (0600, like engine.json). */
export interface RoleStore {
  passwords: Record<string, string>;
  databases: Record<string, Provisioned>;
}

export function readRoleStore(file: string): RoleStore {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { passwords: {}, databases: {} };
    throw err;
  }
  try {
    const store = JSON.parse(text) as Partial<RoleStore>;
    if (isRecord(store.passwords) && isRecord(store.databases)) return store as RoleStore;
  } catch {
    // reported below
  }
  throw new TaskError('ROLES_FILE_CORRUPT', `${file} is not valid: it needs "passwords" and "databases".`, {
    hint: 'Remove it: the next tenant command gives every tenant role a new password and writes it again.',
  });
}

/** Atomic replace, readable by the owner only. */
export function writeRoleStore(file: string, store: RoleStore): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** The stored password of each role, generated (and saved before any role gets it) when missing. */
export function passwordsFor(file: string, store: RoleStore, roles: Record<TenantRole, string>): Record<TenantRole, string> {
  const missing = Object.values(roles).filter((role) => !store.passwords[role]);
  if (missing.length) {
    for (const role of missing) store.passwords[role] = randomBytes(18).toString('base64url');
    writeRoleStore(file, store);
  }
  return { owner: store.passwords[roles.owner], reader: store.passwords[roles.reader] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
