import { join } from 'node:path';
import { log, step, taskMain, parseOptions, out, io } from '@mt/cli';
import { analysisOutputDir, formatAnalysis, listAnalyses, parseVars, runAnalysis, toJson, writeAnalysisFiles } from '@mt/pipeline';
import { tenantCli, tenantContext, VARS_OPTION } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    tenantCli(
      'analysis',
      `Runs SQL analyses (sql/analyses/<name>.sql) on the tenant database: prints each result section as a psql-style table and writes ${analysisOutputDir('<tenant>')}/<name>.{json,csv,md}.`,
    )
      .option('name', { alias: 'n', type: 'string', array: true, describe: 'Analyses to run (default: all of sql/analyses)' })
      .option('vars', VARS_OPTION)
      .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON on stdout' }),
    args,
  );
  const ctx = tenantContext(argv.tenant);
  const names = argv.name?.length ? argv.name : listAnalyses(ctx.root);
  const vars = parseVars(argv.vars);
  const outDir = join(ctx.root, analysisOutputDir(ctx.tenant.name));
  for (const name of names) {
    // The line after it says how it went; a spinner covers a long query on a terminal.
    const run = () => runAnalysis({ root: ctx.root, tenant: ctx.tenant, db: ctx.engine, name, env: ctx.env, vars });
    const result = await step(`${ctx.tenant.name}: analysis ${name}`, run, { summary: false });
    const files = writeAnalysisFiles(outDir, result);
    if (argv.json) out(JSON.stringify(toJson(result), null, 2));
    else io().stdout.write(`${formatAnalysis(result)}`);
    log(`${ctx.tenant.name}: analysis ${name} → ${files.length} files in ${analysisOutputDir(ctx.tenant.name)}/`);
  }
});
