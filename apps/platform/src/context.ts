import type { Argv } from 'yargs';
import { taskCli } from '@mt/cli';
import { findWorkspaceRoot, loadEnv } from '@mt/tenant-config';
import { resolveEngine, type Engine } from '@mt/postgres';

export function platformCli(script: string, description: string): Argv {
  return taskCli(script, `$0 [options]\n\n${description}`);
}

export function platformContext(): { root: string; env: NodeJS.ProcessEnv; engine: Engine } {
  const root = findWorkspaceRoot();
  const env = loadEnv(root);
  return { root, env, engine: resolveEngine({ rootDir: root, env }) };
}
