import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskError } from '@mt/cli';
import { IDENTIFIER_PATTERN, isValidIdentifier } from './names.ts';
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
  if (!existsSync(file)) throw new TaskError('NO_CONFIG', 'config.json is missing at the workspace root.', { hint: 'Restore it from git: it names the Aurora phases and what is sent to the bastion.' });
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TaskError('INVALID_CONFIG', `config.json is not valid JSON: ${(e as Error).message}.`);
  }
  const problems: string[] = [];
  const tenantDatabases = new Map(declaredTenants(root).map((t) => [t.database, t.name]));
  const phases: AuroraConfig['phases'] = {};
  const rawPhases = raw?.aurora?.phases;
  if (!rawPhases || typeof rawPhases !== 'object') problems.push('"aurora.phases" must be an object of phases');
  for (const [name, p] of Object.entries<any>(rawPhases ?? {})) {
    if (!isValidIdentifier(name)) problems.push(`phase name "${name}" must match ${IDENTIFIER_PATTERN.source}`);
    if (!isValidIdentifier(p?.connection_db)) problems.push(`"aurora.phases.${name}.connection_db" must be a database name, found ${JSON.stringify(p?.connection_db)}`);
    else if (/^template[01]$/.test(p.connection_db)) problems.push(`"aurora.phases.${name}.connection_db" is ${p.connection_db}, a template: every database created later would copy what the phase puts there`);
    else if (tenantDatabases.has(p.connection_db)) problems.push(`"aurora.phases.${name}.connection_db" is ${p.connection_db}, the database of tenant ${tenantDatabases.get(p.connection_db)}`);
    phases[name] = { connectionDb: p?.connection_db, description: typeof p?.description === 'string' ? p.description : `${name} phase` };
  }
  const transfer = raw?.bastion?.autoTransfer ?? {};
  const list = (v: unknown, key: string) => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.startsWith('/') || x.split('/').includes('..'))) {
      problems.push(`"bastion.autoTransfer.${key}" must be a list of relative paths inside the workspace`);
      return [];
    }
    return v as string[];
  };
  const environments: Record<string, AuroraEnvironment> = {};
  for (const [name, e] of Object.entries<any>(raw?.environments ?? {})) {
    const str = (v: unknown, key: string) => (typeof v === 'string' && v.length > 0 ? v : (problems.push(`"environments.${name}.${key}" must be a non-empty string`), ''));
    environments[name] = {
      name,
      region: str(e?.region, 'region'),
      stackName: str(e?.stackName, 'stackName'),
      outputs: { endpoint: str(e?.outputs?.endpoint, 'outputs.endpoint'), port: str(e?.outputs?.port, 'outputs.port') },
      secretId: str(e?.secretId, 'secretId'),
      bastion: bastionOf(e?.bastion, name, problems),
      workspace: typeof e?.workspace === 'string' && e.workspace.startsWith('/') ? e.workspace : (e?.workspace === undefined ? '/var/lib/multitenant-etl' : (problems.push(`"environments.${name}.workspace" must be an absolute path`), '')),
    };
  }
  const config: AuroraConfig = {
    phases,
    environments,
    bastion: { autoTransfer: { enabled: transfer.enabled !== false, directories: list(transfer.directories, 'directories'), files: list(transfer.files, 'files') } },
    phaseOrder: [...PHASE_ORDER.filter((p) => p in phases), ...Object.keys(phases).filter((p) => !PHASE_ORDER.includes(p)).sort()],
  };
  if (problems.length) throw new TaskError('INVALID_CONFIG', `config.json has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, { hint: 'Compare with the config.json in git.' });
  return config;
}

function bastionOf(raw: any, env: string, problems: string[]): AuroraEnvironment['bastion'] {
  if (raw?.instanceId !== undefined) {
    if (/^i-[0-9a-f]{8,17}$/.test(raw.instanceId)) return { instanceId: raw.instanceId };
    problems.push(`"environments.${env}.bastion.instanceId" must look like i-0123456789abcdef0, found ${JSON.stringify(raw.instanceId)}`);
  } else if (typeof raw?.tag?.key === 'string' && typeof raw?.tag?.value === 'string') {
    return { tag: { key: raw.tag.key, value: raw.tag.value } };
  } else problems.push(`"environments.${env}.bastion" needs "instanceId" or "tag": { "key", "value" }`);
  return {};
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
    throw new TaskError('UNKNOWN_PHASE', `${phase ? `Unknown phase "${phase}"` : 'No phase given'}: known phases are ${config.phaseOrder.join(', ')} (config.json aurora.phases).`, {
      hint: 'For example: npx nx run aurora:phase --phase=schema',
    });
  }
  return phase;
}
