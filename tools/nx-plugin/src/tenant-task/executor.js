// @ts-check
/**
 * The executor of the tenant targets: it calls the task script's `main` in Nx's own worker process,
 * with no shell and no second Node start in between.
 *
 * Its batch implementation is why it exists. `nx run-many -t tenant-run` over fifty tenants would
 * otherwise start fifty processes, each paying Node, the bundle and the connection set-up again; the
 * executor is `preferBatch`, so Nx hands every tenant's task of one run to one worker, which runs
 * them here — at most `--parallel` at once (MT_PARALLEL, set by the plugin's preTasksExecution hook,
 * since Nx tells a batch nothing of it), in dependency order, each with its own output, environment
 * and exit code. A task whose dependency failed does not run and is reported as failed.
 *
 * In a batch each task collects its output, and Nx prints it as one block when the task ends. A run of
 * one project's targets (`make tenant-a`, `nx run tenant_a:test`) is not batched (the plugin's hook):
 * each task then runs on its own here, with its output live, as a long cold build needs.
 */
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

/**
 * @typedef {{ script: string; args?: string[]; forwarded?: string[] }} TenantTaskOptions
 * @typedef {import('@nx/devkit').TaskGraph} TaskGraph
 * @typedef {{ success: boolean; terminalOutput: string; startTime: number; endTime: number }} TaskResult
 */

/** @type {Promise<typeof import('../../../bundle/run-task.mjs')> | undefined} */
let runTask;
const runTaskModule = () => (runTask ??= import(pathToFileURL(join(__dirname, '..', '..', '..', 'bundle', 'run-task.mjs')).href));

/**
 * @param {TenantTaskOptions} options
 * @param {string} target  the Nx target, which decides whether make's ARGS are for this task
 * @param {{ stdout: { write(text: string): unknown }; stderr: { write(text: string): unknown } } | undefined} streams
 *   a batched task's own output; a task alone writes to the process's
 * @returns {Promise<number>} the exit code
 */
async function runOne(options, target, streams) {
  const { argsFromMake, loadTask } = await runTaskModule();
  const stderr = streams?.stderr ?? process.stderr;
  // A batched task gets a copy of the environment: what one task sets (loadEnv's .env) stays its own.
  const env = streams ? { ...process.env } : process.env;
  let fromMake;
  try {
    fromMake = argsFromMake(target, env);
  } catch (err) {
    stderr.write(`${/** @type {Error} */ (err).message}\n`);
    return 2;
  }
  const main = await loadTask('tenant', options.script);
  return main([...(options.args ?? []), ...(options.forwarded ?? []), ...fromMake], { env, ...streams });
}

/**
 * A task on its own: one project's targets, or `--batch=false`.
 * @param {TenantTaskOptions} options
 * @param {import('@nx/devkit').ExecutorContext} context
 */
async function tenantTask(options, context) {
  return { success: (await runOne(options, context.targetName ?? '', undefined)) === 0 };
}

/**
 * Collects what one task writes, for Nx to print as that task's block.
 * @returns {{ text: () => string; stream: { write(text: string): boolean; isTTY: boolean } }}
 */
function collector() {
  /** @type {string[]} */
  const parts = [];
  return { text: () => parts.join(''), stream: { write: (text) => parts.push(String(text)) > 0, isTTY: false } };
}

/** How many tasks a batch runs at once: Nx's --parallel as the plugin's hook saw it (default 3, as Nx's). */
function parallelism(env = process.env) {
  const n = Number(env.MT_PARALLEL);
  return Number.isInteger(n) && n >= 1 ? n : 3;
}

/**
 * The batch: every task of `taskGraph`, each once its dependencies in the batch succeeded, at most
 * `parallelism()` at once; results are yielded as tasks end, so Nx reports each one as it finishes.
 * @param {TaskGraph} taskGraph
 * @param {Record<string, TenantTaskOptions>} inputs
 * @returns {AsyncGenerator<{ task: string; result: TaskResult }>}
 */
async function* batch(taskGraph, inputs) {
  const ids = Object.keys(taskGraph.tasks);
  const limit = Math.min(parallelism(), ids.length);
  /** @type {Map<string, boolean>} */
  const done = new Map();
  /** @type {Map<string, Promise<{ task: string; result: TaskResult }>>} */
  const running = new Map();
  const inBatch = (/** @type {string} */ id) => (taskGraph.dependencies[id] ?? []).filter((dep) => dep in taskGraph.tasks);

  /** @param {string} id */
  const start = async (id) => {
    const startTime = Date.now();
    const out = collector();
    let code;
    try {
      code = await runOne(inputs[id], taskGraph.tasks[id].target.target, { stdout: out.stream, stderr: out.stream });
    } catch (err) {
      // A script that cannot even load (a bundle error): this task fails, the others go on.
      out.stream.write(`${/** @type {Error} */ (err).stack ?? err}\n`);
      code = 1;
    }
    return { task: id, result: { success: code === 0, terminalOutput: out.text(), startTime, endTime: Date.now() } };
  };

  while (done.size < ids.length) {
    // A task after a failed one fails without running, and so, in turn, do the tasks after it.
    for (let marked = true; marked;) {
      marked = false;
      for (const id of ids) {
        const failed = inBatch(id).filter((dep) => done.get(dep) === false);
        if (done.has(id) || running.has(id) || !failed.length) continue;
        done.set(id, false);
        marked = true;
        const now = Date.now();
        yield { task: id, result: { success: false, terminalOutput: `not run: ${failed.join(', ')} failed\n`, startTime: now, endTime: now } };
      }
    }
    for (const id of ids) {
      if (running.size >= limit) break;
      if (!done.has(id) && !running.has(id) && inBatch(id).every((dep) => done.get(dep) === true)) running.set(id, start(id));
    }
    if (done.size === ids.length) break;
    // Nothing running and nothing startable: only a cycle does that, and Nx refuses cycles before.
    if (running.size === 0) throw new Error(`batch cannot go on: ${ids.filter((id) => !done.has(id)).join(', ')} wait for each other`);
    const finished = await Promise.race(running.values());
    running.delete(finished.task);
    done.set(finished.task, finished.result.success);
    yield finished;
  }
}

module.exports = tenantTask;
module.exports.default = tenantTask;
module.exports.batch = batch;
