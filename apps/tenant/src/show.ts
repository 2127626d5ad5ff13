import { out, parseOptions, taskMain } from '@mt/cli';
import { showRows } from '@mt/pipeline';
import { inspectContext, tenantCli, VARS_OPTION } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    tenantCli('show', "Prints the first rows of a node's query, or of an inline query, like psql; as the tenant's read-only role.")
      .option('select', { alias: 's', type: 'string', array: true, describe: 'The node to show (a model, seed, snapshot or test)' })
      .option('inline', { type: 'string', describe: 'A query to run instead, Jinja included: "select * from {{ ref(\'dim_customers\') }}"' })
      .option('limit', { type: 'number', default: 5, describe: 'Rows to show' })
      .option('vars', VARS_OPTION)
      .check((a) => (Number.isInteger(a.limit) && a.limit >= 1) || `--limit must be a whole number of at least 1, not ${a.limit}.`)
      .check(
        (a) => !!a.select?.length || a.inline !== undefined || 'show needs --select <node> or --inline "select …" (e.g. --select dim_customers --limit 10).',
      ),
    args,
  );
  const { options } = inspectContext(argv);
  out((await showRows({ ...options, inline: argv.inline, limit: argv.limit })).trimEnd());
});
