#!/usr/bin/env -S node --import tsx
/**
 * Prints a fingerprint of the tenant database's build state — the `runtime` input Nx hashes for the
 * analysis targets. Kept tiny (no yargs, no start-up of the server): it runs before every analysis task.
 * Never fails: an unreachable or missing database is a fingerprint too, and the task itself then
 * reports the problem properly.
 */
import { buildFingerprint } from '@mt/pipeline';
import { findWorkspaceRoot, loadEnv, loadTenant } from '@mt/tenant-config';
import { resolveEngine, withClient } from '@mt/postgres';

const tenantName = process.argv[process.argv.indexOf('--tenant') + 1];
try {
  const root = findWorkspaceRoot();
  const env = loadEnv(root);
  const tenant = loadTenant(root, tenantName);
  console.log(await withClient(resolveEngine({ rootDir: root, env }).connectTenant(tenant, 'reader', { provision: false }), buildFingerprint));
} catch (err) {
  console.log(`unavailable:${(err as { code?: string }).code ?? 'error'}`);
}
