import { availableParallelism } from 'node:os';
import { log, taskMain, parseOptions, out } from '@mt/cli';
import { formatSummary, parseVars, progressLine, runPipeline, type Phase } from '@mt/pipeline';
import { tenantCli, tenantContext, withSelection } from './context.ts';
import { printDebug } from './debug-report.ts';

/** seed / run / snapshot / test / tenant-run share one shape: parse, resolve, run phases, summarise. */
export function pipelineTask(script: string, description: string, phases: Phase[], options: { debugFirst?: boolean } = {}) {
  return taskMain(async (args) => {
    const argv = parseOptions(
      withSelection(tenantCli(script, description), 'Nodes to build')
        .option('full-refresh', { type: 'boolean', default: false, describe: 'Rebuild models from scratch (incremental ones too) and reload every seed' })
        .option('threads', {
          type: 'number',
          describe: `Nodes built at once, each on its own connection (default: the number of cores, ${availableParallelism()} here)`,
        })
        .check(
          (a) =>
            a.threads === undefined || (Number.isInteger(a.threads) && a.threads >= 1) || `--threads must be a whole number of at least 1, not ${a.threads}.`,
        )
        .option('retest', { type: 'boolean', default: false, describe: 'Run every data test, also those whose SQL and inputs are unchanged since they passed' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the run report as JSON on stdout' }),
      args,
    );
    const ctx = tenantContext(argv.tenant);
    log(`${ctx.tenant.name}: ${[...(options.debugFirst ? ['debug'] : []), ...phases].join(' → ')}`);
    if (options.debugFirst) await printDebug(ctx);
    const report = await runPipeline({
      root: ctx.root,
      tenant: ctx.tenant,
      db: ctx.engine,
      phases,
      select: argv.select,
      exclude: argv.exclude,
      fullRefresh: argv['full-refresh'],
      retest: argv.retest,
      threads: argv.threads,
      env: ctx.env,
      vars: parseVars(argv.vars),
      onLake: (line) => log(`${ctx.tenant.name}: ${line}`),
      onWarning: (line) => log(`${ctx.tenant.name}: warning: ${line}`),
      onResult: (r, i, n) => {
        const line = progressLine(r, i, n);
        if (line) log(line);
        if (r.detail) log(r.detail.replace(/^/gm, '      '));
      },
    });
    out(argv.json ? JSON.stringify(report, null, 2) : `\n${formatSummary(report)}`);
    return report.ok ? 0 : 1;
  });
}
