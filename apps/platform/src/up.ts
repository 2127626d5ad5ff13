#!/usr/bin/env -S node --import tsx
import { formatDuration, log, runMain } from '@mt/cli';
import { platformCli, platformContext } from './context.ts';

await runMain(async () => {
  await platformCli('up', 'Starts the database and returns once it accepts connections. Safe to run again: fast when it is already running.').parse();
  const { engine } = platformContext();
  const r = await engine.up();
  log(`${r.status === 'started' ? 'started' : 'already running'}: ${engine.describe()} (${formatDuration(r.ms)})`);
});
