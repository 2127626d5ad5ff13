/**
 * Prints a fingerprint of the tenant database's build state — the `runtime` input Nx hashes for the
 * analysis targets. Kept tiny (no yargs, no start-up of the server): it runs before every analysis task.
 * Never fails: an unreachable or missing database is a fingerprint too, and the task itself then
 * reports the problem properly.
 */
import { out, taskMain } from '@mt/cli';
import { buildFingerprint } from '@mt/pipeline';
import { findWorkspaceRoot, loadEnv, loadTenant, resolveTenantName } from '@mt/tenant-config';
import { resolveEngine, withClient } from '@mt/postgres';

export const main = taskMain(async (args) => {
  try {
    const root = findWorkspaceRoot();
    const env = loadEnv(root);
    const flag = args.includes('--tenant') ? args[args.indexOf('--tenant') + 1] : undefined;
    const tenant = loadTenant(root, resolveTenantName(flag, env));
    out(await withClient(resolveEngine({ rootDir: root, env }).connectTenant(tenant, 'reader', { provision: false }), buildFingerprint));
  } catch (err) {
    out(`unavailable:${(err as { code?: string }).code ?? 'error'}`);
  }
});
