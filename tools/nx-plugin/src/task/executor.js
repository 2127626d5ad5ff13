// @ts-check
/**
 * The executor of the Aurora targets: runs `node tools/bundle/run-task.mjs <app>/<script> <args>
 * <what the user typed>` without a shell. Nx's run-commands (used by the tenant and platform targets,
 * because Nx runs it without forking a process: ~0.7 s less per command) owns --env, --cwd, --args
 * and --color, and joins arguments into a shell command line; the Aurora phases take an environment
 * name and may take file paths, so they get this executor, and `--env` gets a clear message.
 */
const { spawn } = require('node:child_process');
const { join } = require('node:path');

/**
 * @typedef {{ app: string; script: string; args?: string[]; forwarded?: string[]; env?: unknown }} TaskOptions
 * @param {TaskOptions} options
 * @param {import('@nx/devkit').ExecutorContext} context
 * @returns {Promise<{ success: boolean }>}
 */
async function runTask(options, context) {
  const forwarded = options.forwarded ?? [];
  if (options.env !== undefined || forwarded.some((a) => a === '--env' || a.startsWith('--env='))) {
    console.error(
      'error [RENAMED_OPTION] --env is now --environment (Nx reserves --env for environment variables of run-commands): ' +
        `npx nx run ${context.projectName}:${context.targetName} --environment=dev, or make aurora-phase PHASE=schema ENV=dev.`,
    );
    return { success: false };
  }
  const argv = [join(context.root, 'tools', 'bundle', 'run-task.mjs'), `${options.app}/${options.script}`, ...(options.args ?? []), ...forwarded];
  const child = spawn(process.execPath, argv, { cwd: context.root, stdio: 'inherit' });
  // Ctrl-C reaches the whole foreground group anyway; a kill of Nx alone must still end the task.
  const stop = (/** @type {NodeJS.Signals} */ signal) => child.kill(signal);
  process.on('SIGTERM', stop).on('SIGHUP', stop);
  const code = await new Promise((resolve) => child.on('close', (exitCode) => resolve(exitCode ?? 1)));
  process.off('SIGTERM', stop).off('SIGHUP', stop);
  return { success: code === 0 };
}

module.exports = runTask;
