import { log, out, parseOptions, taskMain, textTable } from '@mt/cli';
import { listNodes, parseVars } from '@mt/pipeline';
import { tenantCli, tenantContext, withSelection } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    withSelection(tenantCli('ls', 'Lists the nodes of the project (or the selection): type, materialization, tags and file.'), 'Nodes to list').option(
      'output',
      {
        choices: ['table', 'name', 'path', 'json'] as const,
        default: 'table' as const,
        describe: 'table; name or path, one per line; json, one object per line (as dbt ls --output json)',
      },
    ),
    args,
  );
  const ctx = tenantContext(argv.tenant);
  const { nodes, unmatched } = await listNodes({
    root: ctx.root,
    tenant: ctx.tenant,
    db: ctx.engine,
    select: argv.select,
    exclude: argv.exclude,
    vars: parseVars(argv.vars),
    env: ctx.env,
  });
  for (const criterion of unmatched) log(`${ctx.tenant.name}: warning: The selection criterion '${criterion}' does not match any node.`);
  if (argv.output === 'json') for (const n of nodes) out(JSON.stringify(n));
  else if (argv.output === 'name' || argv.output === 'path') for (const n of nodes) out(argv.output === 'name' ? n.name : n.original_file_path);
  else
    out(
      textTable(
        ['type', 'name', 'materialized', 'tags', 'file'],
        nodes.map((n) => [n.resource_type, n.name, n.materialized ?? '', n.tags.join(', '), n.original_file_path]),
      ),
    );
});
