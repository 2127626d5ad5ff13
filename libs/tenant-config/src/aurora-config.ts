import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskError } from '@mt/cli';
import { configSchema, type ConfigFile } from './schemas.ts';
import { field, schemaProblems } from './validate.ts';
import { declaredTenants } from './tenant.ts';

/** Where a remote environment's Aurora cluster and bastion are (config.json "environments"). */
export interface AuroraEnvironment {
  name: string;
  region: string;
  stackName: string;
  /** CloudFormation output keys holding the cluster endpoint and port. */
  outputs: { endpoint: string; port: string };
  /** Secrets Manager id of the master credentials: only the bastion ever reads it. */
  secretId: string;
  /** The bastion: its instance id, or a tag that exactly one managed instance carries. */
  bastion: { instanceId?: string; tag?: { key: string; value: string } };
  /** Parent folder of the private workspace on the bastion. */
  workspace: string;
}

/** config.json — the original's shape (aurora.phases, bastion.autoTransfer), validated at once. */
export interface AuroraConfig {
  phases: Record<string, { connectionDb: string; description: string }>;
  environments: Record<string, AuroraEnvironment>;
  bastion: { autoTransfer: { enabled: boolean; directories: string[]; files: string[] } };
  /** The phases in the order they run. */
  phaseOrder: string[];
}

/** The order phases run in (config.json may list them in any order). */
export const PHASE_ORDER = ['database', 'schema', 'data', 'verification'];

export function loadAuroraConfig(root: string): AuroraConfig {
  const file = join(root, 'config.json');
  if (!existsSync(file))
    throw new TaskError('NO_CONFIG', 'config.json is missing at the workspace root.', {
      hint: 'Restore it from git: it names the Aurora phases and what is sent to the bastion.',
    });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TaskError('INVALID_CONFIG', `config.json is not valid JSON: ${(e as Error).message}.`);
  }
  const problems = schemaProblems(configSchema, raw);
  // What the schema cannot know: which databases are templates or tenants'.
  const tenantDatabases = new Map(declaredTenants(root).map((t) => [t.database, t.name]));
  for (const [name, p] of Object.entries((field(field(raw, 'aurora'), 'phases') ?? {}) as Record<string, unknown>)) {
    const db = field(p, 'connection_db');
    if (/^template[01]$/.test(String(db)))
      problems.push(`"aurora.phases.${name}.connection_db" is ${db}, a template: every database created later would copy what the phase puts there`);
    else if (tenantDatabases.has(db)) problems.push(`"aurora.phases.${name}.connection_db" is ${db}, the database of tenant ${tenantDatabases.get(db)}`);
  }
  if (problems.length)
    throw new TaskError('INVALID_CONFIG', `config.json has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, {
      hint: 'Compare with the config.json in git.',
    });

  const config = raw as ConfigFile;
  const phases = Object.fromEntries(
    Object.entries(config.aurora.phases).map(([name, p]) => [name, { connectionDb: p.connection_db, description: p.description ?? `${name} phase` }]),
  );
  const transfer = config.bastion?.autoTransfer ?? {};
  return {
    phases,
    environments: Object.fromEntries(
      Object.entries(config.environments ?? {}).map(([name, e]) => [name, { name, ...e, workspace: e.workspace ?? '/var/lib/multitenant-etl' }]),
    ),
    bastion: { autoTransfer: { enabled: transfer.enabled !== false, directories: transfer.directories ?? [], files: transfer.files ?? [] } },
    phaseOrder: [
      ...PHASE_ORDER.filter((p) => p in phases),
      ...Object.keys(phases)
        .filter((p) => !PHASE_ORDER.includes(p))
        .sort(),
    ],
  };
}

export function assertEnvironment(config: AuroraConfig, name: string): AuroraEnvironment {
  const env = config.environments[name];
  if (!env) {
    const known = Object.keys(config.environments);
    throw new TaskError('UNKNOWN_ENVIRONMENT', `Unknown environment "${name}": config.json "environments" has ${known.length ? known.join(', ') : 'none'}.`, {
      hint: 'Add it to config.json (region, stackName, outputs, secretId, bastion.instanceId), or leave out --environment to run locally.',
    });
  }
  return env;
}

export function assertPhase(config: AuroraConfig, phase: string | undefined): string {
  if (!phase || !(phase in config.phases)) {
    throw new TaskError(
      'UNKNOWN_PHASE',
      `${phase ? `Unknown phase "${phase}"` : 'No phase given'}: known phases are ${config.phaseOrder.join(', ')} (config.json aurora.phases).`,
      {
        hint: 'For example: npx nx run aurora:phase --phase=schema',
      },
    );
  }
  return phase;
}
