import { relative } from 'node:path';
import { log, out, parseOptions, taskMain } from '@mt/cli';
import { DIALECTS, assertDialect, externalTableDdl, lakeDir, locationsJson, renderDialect } from '@mt/lake';
import { describeRefresh, discoverLake, externalOutputDir, externalTables, loadProject, writeDialect } from '@mt/pipeline';
import { tenantCli, tenantContext } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    tenantCli(
      'external-tables',
      "Discovers the partitions of the tenant's data lake (sql/sources/*.yml) and creates or refreshes its external tables (file_fdw), or with --dialect writes the DDL for the cloud.",
    )
      .option('dialect', { type: 'string', describe: `Write the DDL for ${DIALECTS.join(', ')} to dist/external/<tenant>/<dialect>/ (no database)` })
      .option('s3', {
        type: 'boolean',
        default: false,
        describe: 'Discover the partitions by listing the real buckets (AWS SDK; AWS_ENDPOINT_URL honoured), for --dialect or --dry-run',
      })
      .option('region', { type: 'string', describe: 'AWS region for --s3 and --dialect=redshift/aurora (default AWS_REGION, else ap-northeast-1)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Print the locations and the DDL; change nothing' })
      .option('full-refresh', { type: 'boolean', default: false, describe: 'Rebuild every external table (and the views on them)' })
      .check(
        (a) =>
          !a.s3 ||
          a.dialect !== undefined ||
          a['dry-run'] ||
          "--s3 lists the buckets for the cloud's DDL: add --dialect=<dialect> or --dry-run. The local external tables read the local lake (make data-lake), which PostgreSQL's file_fdw can open; S3 it cannot.",
      ),
    args,
  );
  const ctx = tenantContext(argv.tenant);
  const { root, tenant, env } = ctx;
  const dialect = argv.dialect === undefined ? undefined : assertDialect(argv.dialect);
  const project = loadProject(root, tenant, env);
  if (!project.external.length) {
    log(`${tenant.name}: no external tables (sql/sources/*.yml defines none)`);
    return 0;
  }
  if (dialect || argv['dry-run']) {
    const region = argv.region ?? env.AWS_REGION ?? 'ap-northeast-1';
    // Where the server reads the lake decides where a missing one is written (not on a dry run: it writes nothing).
    if (!argv['dry-run'] && !argv.s3) await ctx.engine.serverDirectory(lakeDir(root, env));
    const { dir, discovered } = await discoverLake(project, { dryRun: argv['dry-run'], log, s3Region: argv.s3 ? region : undefined });
    for (const d of discovered)
      log(`${d.table.source}.${d.table.name}: ${d.table.location} — ${d.partitions.length ? `${d.partitions.length} partitions` : `${d.files.length} files`}`);
    if (!dialect && argv.s3) {
      out(locationsJson(discovered));
      return 0;
    }
    if (!dialect) {
      const { read } = await ctx.engine.serverDirectory(dir);
      for (const d of discovered) out(`${externalTableDdl(d, read, relative(root, dir) || '.').join(';\n')};\n`);
      return 0;
    }
    if (argv['dry-run']) {
      for (const f of renderDialect(dialect, discovered, { tenant: tenant.name, region })) out(`-- ${f.file}\n${f.content}`);
      return 0;
    }
    const written = writeDialect(project, discovered, dialect, region);
    log(`${tenant.name}: ${written.files.length} ${dialect} files in ${written.dir}/${argv.s3 ? ' (partitions listed in S3)' : ''}`);
    return 0;
  }
  const results = await externalTables({ root, tenant, db: ctx.engine, env, fullRefresh: argv['full-refresh'], log });
  for (const r of results) log(`${tenant.name}: ${describeRefresh(r)}`);
  log(`${tenant.name}: locations in ${externalOutputDir(tenant.name)}/locations.json`);
  return 0;
});
