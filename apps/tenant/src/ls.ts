import { out, parseOptions, taskMain, textTable } from '@mt/cli';
import { listNodes } from '@mt/pipeline';
import { inspectContext, tenantCli, withSelection } from './context.ts';

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
  const nodes = await listNodes(inspectContext(argv).options);
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
