#!/usr/bin/env -S node --import tsx
import { log, runMain, step } from '@mt/cli';
import { platformCli, platformContext } from './context.ts';

await runMain(async () => {
  await platformCli('down', 'Stops the database (the data is kept; `make up` starts it again).').parse();
  const { engine } = platformContext();
  const r = await step(`stopping ${engine.describe()}`, () => engine.down(), { summary: false });
  log(r.status === 'stopped' ? `stopped: ${engine.describe()}` : `not running: ${engine.describe()}`);
});
