import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { findWorkspaceRoot, loadEnv } from '@mt/tenant-config';
import { resolveEngine, type Engine } from '@mt/postgres';

export function platformCli(script: string, description: string): Argv {
  return yargs(hideBin(process.argv)).scriptName(script).usage(`$0 [options]\n\n${description}`).strict().help().alias('h', 'help').version(false);
}

export function platformContext(): { root: string; env: NodeJS.ProcessEnv; engine: Engine } {
  const root = findWorkspaceRoot();
  const env = loadEnv(root);
  return { root, env, engine: resolveEngine({ rootDir: root, env }) };
}
