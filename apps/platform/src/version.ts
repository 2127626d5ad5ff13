import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { taskMain, parseOptions, out } from '@mt/cli';
import { platformCli, platformContext } from './context.ts';

export const main = taskMain(async (args) => {
  parseOptions(platformCli('version', 'Prints the versions of the task runner, Node.js, Nx and the PostgreSQL server (when running).'), args);
  const { root, engine } = platformContext();
  const pkg = (p: string) => JSON.parse(readFileSync(join(root, p), 'utf8')).version as string;
  const status = await engine.status();
  out(`task runner  ${pkg('package.json')}`);
  out(`node         ${process.versions.node}`);
  out(`nx           ${pkg('node_modules/nx/package.json')}`);
  out(`postgresql   ${status.version ?? `(${engine.mode} server not running)`}`);
});
