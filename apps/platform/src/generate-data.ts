import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TaskError, log, parseOptions, taskMain } from '@mt/cli';
import { generateSeeds } from '@mt/datagen';
import { describeWritten, lakeDir, loadExternalTables, writeLakeFromSeeds } from '@mt/lake';
import { GENERATED_SEEDS, loadTenant, tenantSeedsDir } from '@mt/tenant-config';
import { platformCli, platformContext } from './context.ts';

const MAX_ROWS = 100_000_000;

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    platformCli(
      'generate-data',
      "Writes a tenant's seeds at scale — regions, products, customers and ROWS order lines (two per order) — to tenants/<tenant>/seeds/generated/ (git-ignored; they override the tenant's other seeds), and its data lake from them. Deterministic: the same rows and seed give the same files. --rows 0 removes them.",
    )
      .option('tenant', { type: 'string', demandOption: true, describe: 'The tenant (tenants/<name>/)' })
      .option('rows', { type: 'number', demandOption: true, describe: `Order lines, 0 … ${MAX_ROWS.toLocaleString('en')} (0: remove the generated seeds)` })
      .option('seed', { type: 'number', describe: 'Random seed (default: derived from the tenant name)' }),
    args,
  );
  const { root, env, engine } = platformContext();
  const tenant = loadTenant(root, argv.tenant);
  const rows = argv.rows;
  if (!Number.isInteger(rows) || rows < 0 || rows > MAX_ROWS)
    throw new TaskError('INVALID_GENERATE_OPTION', `ROWS must be a whole number from 0 to ${MAX_ROWS}, not ${JSON.stringify(String(rows))}.`, {
      hint: 'e.g. make generate-data TENANT=tenant_a ROWS=1000000 (ROWS=0 removes the generated seeds).',
    });
  const seed = argv.seed ?? nameSeed(tenant.name);
  if (!Number.isInteger(seed)) throw new TaskError('INVALID_GENERATE_OPTION', `SEED must be a whole number, not ${JSON.stringify(String(argv.seed))}.`);
  const dir = join(tenantSeedsDir(root, tenant), GENERATED_SEEDS);
  if (rows === 0) {
    rmSync(join(root, dir), { recursive: true, force: true });
    log(`${tenant.name}: generated seeds removed (${dir}/); the tenant loads its own and the shared seeds again`);
  } else {
    const started = performance.now();
    const { files } = await generateSeeds(join(root, dir), { rows, seed });
    const bytes = files.reduce((sum, f) => sum + statSync(join(root, dir, `${f.name}.csv`)).size, 0);
    const counts = files.map((f) => `${f.rows.toLocaleString('en')} ${f.name}`).join(', ');
    log(`${tenant.name}: ${counts} → ${dir}/ (${(bytes / 1e6).toFixed(1)} MB, seed ${seed}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  // The lake follows the seeds (a table written from a seed is rewritten from the new one).
  const { write } = await engine.serverDirectory(lakeDir(root, env));
  for (const w of await writeLakeFromSeeds(root, tenant, loadExternalTables(root, tenant), write))
    log(`${tenant.name}: ${describeWritten(w, lakeDir(root, env), root)}`);
  log(`${tenant.name}: next, make tenant-run TENANT=${tenant.name}`);
  return 0;
});

/** A seed of its own for each tenant (FNV-1a of the name), so two generated tenants differ. */
function nameSeed(name: string): number {
  let hash = 0x811c9dc5;
  for (const c of Buffer.from(name)) hash = Math.imul(hash ^ c, 0x01000193) >>> 0;
  return hash;
}
