import { log, out, parseOptions, taskMain } from '@mt/cli';
import { compileProject } from '@mt/pipeline';
import { inspectContext, tenantCli, withSelection } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    withSelection(
      tenantCli(
        'compile',
        'Renders the SQL of the selected nodes (and the analyses) as it would run, into dist/compiled/<tenant>/; connects only when a template reads the database (dbt_utils.star, run_query), as the reader role.',
      ),
      'Nodes to compile',
    ).option('print', { type: 'boolean', default: false, describe: 'Also print the compiled SQL of the selected nodes' }),
    args,
  );
  const { ctx, options } = inspectContext(argv);
  const written = (await compileProject(options)).filter((c) => c.path);
  if (argv.print) {
    // The selected nodes, not the tests that come with them (unless only tests are selected). One node:
    // its SQL alone, as dbt prints it; several: each after a comment naming its file.
    const nodes = written.filter((c) => c.node.kind !== 'test');
    const shown = nodes.length ? nodes : written;
    for (const c of shown) out(shown.length === 1 ? c.sql : `-- ${c.path}\n${c.sql}\n`);
  }
  log(`${ctx.tenant.name}: compiled ${written.length} node${written.length === 1 ? '' : 's'} into dist/compiled/${ctx.tenant.name}/`);
});
