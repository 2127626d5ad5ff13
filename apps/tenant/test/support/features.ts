import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkspace, type TestWorkspace } from './workspace.ts';

/**
 * The sample with the scratch project of fixtures/dbt-features laid over it, and on-run hooks that
 * record each run in run_audit (a table its YAML declares as a source with freshness).
 */
export async function makeFeaturesWorkspace(): Promise<TestWorkspace> {
  const ws = await makeWorkspace({ tenants: ['tenant_a', 'tenant_b'], lake: false });
  cpSync(join(import.meta.dirname, '..', 'fixtures', 'dbt-features', 'sql'), join(ws.root, 'sql'), { recursive: true });
  ws.write(
    'sql/dbt_project.yml',
    `${ws.read('sql/dbt_project.yml')}
on-run-start:
  - "create table if not exists run_audit (event text, invocation text, at timestamptz default now())"
  - "insert into run_audit (event, invocation) values ('start', {{ invocation_id | literal }})"
on-run-end: "insert into run_audit (event, invocation) values ('end', {{ invocation_id | literal }})"
`,
  );
  return ws;
}
