import { log, step, taskMain, parseOptions } from '@mt/cli';
import { platformCli, platformContext } from './context.ts';

export const main = taskMain(async (args) => {
  parseOptions(platformCli('down', 'Stops the database (the data is kept; `make up` starts it again).'), args);
  const { engine } = platformContext();
  const r = await step(`stopping ${engine.describe()}`, () => engine.down(), { summary: false });
  log(r.status === 'stopped' ? `stopped: ${engine.describe()}` : `not running: ${engine.describe()}`);
});
