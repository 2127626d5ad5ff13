import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TaskError, log, step, taskMain, parseOptions } from '@mt/cli';
import { analysisOutputDir } from '@mt/pipeline';
import { renderReport, type AnalysisJson } from '@mt/report';
import { tenantCli, tenantContext } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    tenantCli(
      'report',
      'Renders dist/reports/<tenant>/index.html — KPI tiles and charts — from the dashboard and basic analyses (run them first; `nx run <tenant>:report` does).',
    ),
    args,
  );
  const { root, tenant } = tenantContext(argv.tenant);
  const read = (name: string): AnalysisJson => {
    const file = join(root, analysisOutputDir(tenant.name), `${name}.json`);
    if (!existsSync(file)) {
      throw new TaskError('REPORT_INPUT', `${relative(root, file)} does not exist yet.`, {
        hint: `Run \`make analysis-${name} TENANT=${tenant.name}\` first, or \`make report TENANT=${tenant.name}\`, which runs it.`,
      });
    }
    return JSON.parse(readFileSync(file, 'utf8'));
  };
  const input = { tenant: tenant.name, displayName: tenant.displayName, dashboard: read('dashboard'), basic: read('basic') };
  const html = await step(`${tenant.name}: rendering the charts`, () => renderReport(input));
  const outDir = join(root, 'dist', 'reports', tenant.name);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'index.html'), html);
  log(`${tenant.name}: report written to ${relative(root, join(outDir, 'index.html'))}`);
});
