import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, parseOptions, taskMain } from '@mt/cli';
import { docsData, parseVars } from '@mt/pipeline';
import { DOCS_LANGS, docsLang, renderDocsSite } from '@mt/report';
import { tenantCli, tenantContext } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    tenantCli(
      'docs',
      "Writes the tenant's docs site, dist/docs/<tenant>/index.html: every node with its description, columns, tests, compiled SQL, row count and last build, and the lineage graph. Opens offline.",
    )
      .option('lang', { choices: DOCS_LANGS, describe: 'Language of the page (default: ja when LANG is ja*, else en)' })
      .option('vars', { type: 'string', describe: 'Template variables, as YAML or JSON' }),
    args,
  );
  const ctx = tenantContext(argv.tenant);
  const data = await docsData({ root: ctx.root, tenant: ctx.tenant, db: ctx.engine, vars: parseVars(argv.vars), env: ctx.env });
  const dir = join('dist', 'docs', ctx.tenant.name);
  mkdirSync(join(ctx.root, dir), { recursive: true });
  writeFileSync(join(ctx.root, dir, 'index.html'), renderDocsSite(data, docsLang(argv.lang, ctx.env)));
  log(`${ctx.tenant.name}: docs of ${data.nodes.length} nodes and ${data.edges.length} edges → ${dir}/index.html`);
});
