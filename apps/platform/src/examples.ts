import { color, taskMain, parseOptions, out } from '@mt/cli';
import { platformCli } from './context.ts';

const EXAMPLES: Array<[string, string[]]> = [
  [
    'Build a tenant',
    [
      'make tenant-a',
      'make tenant-run TENANT=tenant_c',
      'npx nx run tenant_b:tenant-run',
      'npx nx run-many -t tenant-run   # every tenant, in parallel',
      'scripts/run_tenant.sh tenant_a',
    ],
  ],
  [
    'Single steps (dbt-style)',
    [
      'make dbt-debug TENANT=tenant_a',
      'make dbt-seed TENANT=tenant_b',
      'make dbt-run TENANT=tenant_a ARGS="--select stg_customers+"',
      'npx nx run tenant_a:run --full-refresh',
      'npx nx run tenant_a:snapshot',
      'npx nx run tenant_a:test',
      'npx nx run tenant_a:run --select state:modified+',
    ],
  ],
  [
    'Looking into the project',
    [
      'make dbt-compile TENANT=tenant_a ARGS="--select dim_customers --print"',
      'npx nx run tenant_a:show --select dim_customers --limit 10',
      'make source-freshness TENANT=tenant_a',
      'make dbt-docs TENANT=tenant_a',
    ],
  ],
  [
    'Database',
    [
      'make up',
      'make db-status',
      'make db-connect TENANT=tenant_a',
      'make db-connect TENANT=tenant_a ARGS="--sql \'select * from stg_customers_tenant\'"',
      'make dev-shell TENANT=tenant_b',
      'make dev-logs',
      'make down',
    ],
  ],
  [
    'Analyses',
    [
      'make analysis-all TENANT=tenant_a',
      'make analysis-products',
      'npx nx run tenant_a:analysis-dashboard',
      'npx nx affected -t analysis',
      'make analysis-affected BASE=v1.2',
      'make report TENANT=tenant_a',
      'scripts/run_analysis.sh tenant_a basic',
    ],
  ],
  [
    'Data lake (external tables)',
    [
      'make data-lake',
      'npx nx run tenant_a:external-tables',
      'make external-tables TENANT=tenant_b',
      'npx nx run tenant_a:external-tables --dialect=athena',
      'npx nx run tenant_a:external-tables --s3 --dialect=athena',
    ],
  ],
  ['Bringing your dbt project', ['make import-dbt SRC=../dbt-poc', 'make import-dbt SRC=../dbt-poc ARGS=--force']],
  ['Data at scale', ['make generate-data TENANT=tenant_b ROWS=100000', 'make tenants-generate COUNT=10', 'make run-all']],
  [
    'Aurora',
    [
      'npx nx run aurora:phase --phase=schema',
      'npx nx run aurora:setup',
      'npx nx run aurora:setup --environment=dev --skip-copy',
      'make aurora-phase PHASE=schema ENV=dev',
      'npx nx run aurora:zero-etl-filter',
    ],
  ],
  ['Workspace', ['npx nx show project tenant_a', 'npx nx graph', 'make info', 'make test']],
];

export const main = taskMain(async (args) => {
  parseOptions(platformCli('examples', 'Prints example commands.'), args);
  for (const [title, lines] of EXAMPLES) {
    out(color.bold(title));
    for (const l of lines) out(`  ${l}`);
    out('');
  }
});
