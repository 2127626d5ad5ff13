#!/usr/bin/env -S node --import tsx
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMain } from '@mt/cli';
import { platformCli, platformContext } from './context.ts';

await runMain(async () => {
  await platformCli('version', 'Prints the versions of the task runner, Node.js, Nx and the PostgreSQL server (when running).').parse();
  const { root, engine } = platformContext();
  const pkg = (p: string) => JSON.parse(readFileSync(join(root, p), 'utf8')).version as string;
  const status = await engine.status();
  console.log(`task runner  ${pkg('package.json')}`);
  console.log(`node         ${process.versions.node}`);
  console.log(`nx           ${pkg('node_modules/nx/package.json')}`);
  console.log(`postgresql   ${status.version ?? `(${engine.mode} server not running)`}`);
});
