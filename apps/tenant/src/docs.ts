import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, parseOptions, taskMain } from '@mt/cli';
import { docsData } from '@mt/pipeline';
import { DOCS_LANGS, docsLang, renderDocsSite } from '@mt/report';
import { inspectContext, tenantCli, VARS_OPTION } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    tenantCli(
      'docs',
      "Writes the tenant's docs site, dist/docs/<tenant>/index.html: every node with its description, columns, tests, compiled SQL, row count and last build, and the lineage graph. Opens offline.",
    )
      .option('lang', { choices: DOCS_LANGS, describe: 'Language of the page (default: ja when LANG is ja*, else en)' })
      .option('vars', VARS_OPTION),
    args,
  );
  const { ctx, options } = inspectContext(argv);
  const data = await docsData(options);
  const dir = join('dist', 'docs', ctx.tenant.name);
  mkdirSync(join(ctx.root, dir), { recursive: true });
  writeFileSync(join(ctx.root, dir, 'index.html'), renderDocsSite(data, docsLang(argv.lang, ctx.env)));
  log(`${ctx.tenant.name}: docs of ${data.nodes.length} nodes and ${data.edges.length} edges → ${dir}/index.html`);
});
