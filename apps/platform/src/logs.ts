import { existsSync } from 'node:fs';
import { $ } from 'zx/core';
import { TaskError, taskMain, parseOptions } from '@mt/cli';
import { platformCli, platformContext } from './context.ts';

export const main = taskMain(async (args) => {
  const argv = parseOptions(
    platformCli('logs', 'Follows the database server log (Ctrl-C to stop).')
      .option('follow', { alias: 'f', type: 'boolean', default: true, describe: 'Keep following (--no-follow prints and exits)' })
      .option('lines', { alias: 'n', type: 'number', default: 50, describe: 'Lines of history to show first' }),
    args,
  );
  const { root, engine } = platformContext();
  const follow = argv.follow ? ['-F'] : [];
  if (engine.mode === 'docker') {
    return (
      (
        await $({
          stdio: 'inherit',
          nothrow: true,
        })`docker compose -f ${root}/docker-compose.yml logs --tail ${argv.lines} ${argv.follow ? ['-f'] : []} postgres`
      ).exitCode ?? 1
    );
  }
  if (!engine.logFile || !existsSync(engine.logFile)) {
    throw new TaskError(
      'NO_LOG',
      engine.logFile ? `There is no server log yet at ${engine.logFile}.` : `The ${engine.mode} database keeps its log on its own server.`,
      {
        hint: engine.logFile ? 'Run `make up` first.' : 'Look at the server where PostgreSQL runs.',
      },
    );
  }
  return (await $({ stdio: 'inherit', nothrow: true })`tail -n ${argv.lines} ${follow} ${engine.logFile}`).exitCode ?? 1;
});
