import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { log, parseOptions, taskMain } from '@mt/cli';
import { defaultSeed, generateSeeds, MAX_ROWS } from '@mt/datagen';
import { describeWritten, lakeDir, loadExternalTables, writeLakeFromSeeds } from '@mt/lake';
import { GENERATED_SEEDS, loadTenant, tenantSeedsDir } from '@mt/tenant-config';
import { platformCli, platformContext } from './context.ts';

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
  const { rows } = argv;
  const dir = join(tenantSeedsDir(root, tenant), GENERATED_SEEDS);
  if (rows === 0) {
    rmSync(join(root, dir), { recursive: true, force: true });
    log(`${tenant.name}: generated seeds removed (${dir}/); the tenant loads its own and the shared seeds again`);
  } else {
    const started = performance.now();
    const seed = argv.seed ?? defaultSeed(tenant.name);
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
