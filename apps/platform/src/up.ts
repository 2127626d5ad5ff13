import { formatDuration, log, taskMain, parseOptions } from '@mt/cli';
import { platformCli, platformContext } from './context.ts';

export const main = taskMain(async (args) => {
  parseOptions(platformCli('up', 'Starts the database and returns once it accepts connections. Safe to run again: fast when it is already running.'), args);
  const { engine } = platformContext();
  const r = await engine.up();
  log(`${r.status === 'started' ? 'started' : 'already running'}: ${engine.describe()} (${formatDuration(r.ms)})`);
});
