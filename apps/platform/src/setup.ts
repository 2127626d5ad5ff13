import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { which } from 'zx/core';
import { color, formatDuration, log, taskMain, parseOptions } from '@mt/cli';
import { listTenantNames } from '@mt/tenant-config';
import { platformCli, platformContext } from './context.ts';

export const main = taskMain(async (args) => {
  parseOptions(platformCli('setup', 'First-time setup: writes .env from .env.example when missing, checks the tools, and starts the database.'), args);
  const { root, engine } = platformContext();
  const envFile = join(root, '.env');
  if (!existsSync(envFile)) {
    copyFileSync(join(root, '.env.example'), envFile);
    log(`${color.green('created')} .env from .env.example`);
  }
  log(`node ${process.versions.node}`);
  log(
    (await which('psql', { nothrow: true }))
      ? 'psql found (make db-connect works)'
      : color.yellow('psql not found: install postgresql-client for `make db-connect`'),
  );
  const r = await engine.up();
  log(`${r.status === 'started' ? 'started' : 'already running'}: ${engine.describe()} (${formatDuration(r.ms)})`);
  log(`tenants: ${listTenantNames(root).join(', ')} — next: make tenant-a`);
});
