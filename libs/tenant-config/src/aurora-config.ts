import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskError } from '@mt/cli';
import { IDENTIFIER_PATTERN, isValidIdentifier } from './names.ts';

/** config.json — the original's shape (aurora.phases, bastion.autoTransfer), validated at once. */
export interface AuroraConfig {
  phases: Record<string, { connectionDb: string; description: string }>;
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
  const phases: AuroraConfig['phases'] = {};
  const rawPhases = raw?.aurora?.phases;
  if (!rawPhases || typeof rawPhases !== 'object') problems.push('"aurora.phases" must be an object of phases');
  for (const [name, p] of Object.entries<any>(rawPhases ?? {})) {
    if (!isValidIdentifier(name)) problems.push(`phase name "${name}" must match ${IDENTIFIER_PATTERN.source}`);
    if (!isValidIdentifier(p?.connection_db)) problems.push(`"aurora.phases.${name}.connection_db" must be a database name, found ${JSON.stringify(p?.connection_db)}`);
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
  const config: AuroraConfig = {
    phases,
    bastion: { autoTransfer: { enabled: transfer.enabled !== false, directories: list(transfer.directories, 'directories'), files: list(transfer.files, 'files') } },
    phaseOrder: [...PHASE_ORDER.filter((p) => p in phases), ...Object.keys(phases).filter((p) => !PHASE_ORDER.includes(p)).sort()],
  };
  if (problems.length) throw new TaskError('INVALID_CONFIG', `config.json has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, { hint: 'Compare with the config.json in git.' });
  return config;
}

export function assertPhase(config: AuroraConfig, phase: string | undefined): string {
  if (!phase || !(phase in config.phases)) {
    throw new TaskError('UNKNOWN_PHASE', `${phase ? `Unknown phase "${phase}"` : 'No phase given'}: known phases are ${config.phaseOrder.join(', ')} (config.json aurora.phases).`, {
      hint: 'For example: npx nx run aurora:phase --phase=schema',
    });
  }
  return phase;
}
