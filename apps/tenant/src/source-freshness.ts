import { color, log, out, parseOptions, taskMain, textTable } from '@mt/cli';
import { formatAge, sourceFreshness } from '@mt/pipeline';
import { inspectContext, tenantCli, VARS_OPTION } from './context.ts';

const PAINT = { pass: color.green, warn: color.yellow, error: color.red, 'runtime error': color.red };
const limit = (age?: { count: number; period: string }) => (age ? `${age.count} ${age.period}${age.count === 1 ? '' : 's'}` : '');

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    tenantCli('source-freshness', "Checks how recent each source's data is (loaded_at_field against warn_after / error_after); exits 1 on an error.")
      .option('select', { alias: 's', type: 'string', array: true, describe: 'Sources or tables to check: lake, lake.orders, source:lake.*' })
      .option('vars', VARS_OPTION)
      .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON on stdout' }),
    args,
  );
  const { ctx, options } = inspectContext(argv);
  const rows = await sourceFreshness(options);
  if (argv.json) out(JSON.stringify(rows, null, 2));
  else
    out(
      textTable(
        ['source', 'newest row', 'age', 'warn after', 'error after', 'status'],
        rows.map((r) => [
          `${r.source}.${r.table}`,
          r.maxLoadedAt ?? '(no rows)',
          formatAge(r.ageSeconds),
          limit(r.criteria.warnAfter),
          limit(r.criteria.errorAfter),
          PAINT[r.status](r.status),
        ]),
      ),
    );
  for (const r of rows) if (r.detail && r.status === 'runtime error') log(`${r.source}.${r.table}: ${r.detail}`);
  const failed = rows.filter((r) => r.status === 'error' || r.status === 'runtime error').length;
  log(
    `${ctx.tenant.name}: ${rows.length} source table${rows.length === 1 ? '' : 's'} checked, ${failed ? color.red(`${failed} too old or failing`) : color.green('none too old')}`,
  );
  return failed ? 1 : 0;
});
