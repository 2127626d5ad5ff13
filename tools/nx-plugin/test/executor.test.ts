/**
 * The tenant-task executor's batch on real task scripts: a task after a failed one is reported as not
 * run (and so are the tasks after it), whatever order Nx lists them in; each task's output is its own.
 */
import test from 'ava';
import executor from '../src/tenant-task/executor.js';

type Graph = Parameters<typeof executor.batch>[0];

/** A batch graph of tasks `<project>:<target>`, each depending on the ones named. */
function graph(tasks: Record<string, string[]>): Graph {
  return {
    roots: Object.keys(tasks).filter((id) => tasks[id].length === 0),
    tasks: Object.fromEntries(
      Object.keys(tasks).map((id) => {
        const [project, target] = id.split(':');
        return [id, { id, target: { project, target }, overrides: {}, outputs: [], parallelism: true }];
      }),
    ),
    dependencies: tasks,
    continuousDependencies: Object.fromEntries(Object.keys(tasks).map((id) => [id, []])),
  } as unknown as Graph;
}

const collect = async (g: Graph, inputs: Parameters<typeof executor.batch>[1]) => {
  const results: Record<string, { success: boolean; terminalOutput: string }> = {};
  for await (const { task, result } of executor.batch(g, inputs)) results[task] = result;
  return results;
};

test('a chain after a failed task is not run, listed in any order', async (t) => {
  const g = graph({ 'nope:test': ['nope:run'], 'nope:run': ['nope:seed'], 'nope:seed': [] });
  const results = await collect(g, {
    'nope:seed': { script: 'seed', args: ['--tenant', 'tenant_zz_missing'] },
    'nope:run': { script: 'run', args: ['--tenant', 'tenant_zz_missing'] },
    'nope:test': { script: 'test', args: ['--tenant', 'tenant_zz_missing'] },
  });
  t.false(results['nope:seed'].success);
  t.regex(results['nope:seed'].terminalOutput, /tenant_zz_missing/);
  t.deepEqual(results['nope:run'], { ...results['nope:run'], success: false, terminalOutput: 'not run: nope:seed failed\n' });
  t.deepEqual(results['nope:test'], { ...results['nope:test'], success: false, terminalOutput: 'not run: nope:run failed\n' });
});

test('tasks side by side: each collects its own output and result', async (t) => {
  const g = graph({ 'a:debug': [], 'b:debug': [] });
  const results = await collect(g, {
    'a:debug': { script: 'debug', args: ['--tenant', 'tenant_zz_one'] },
    'b:debug': { script: 'debug', args: ['--tenant', 'tenant_zz_two'] },
  });
  t.regex(results['a:debug'].terminalOutput, /tenant_zz_one/);
  t.notRegex(results['a:debug'].terminalOutput, /tenant_zz_two/);
  t.regex(results['b:debug'].terminalOutput, /tenant_zz_two/);
  t.notRegex(results['b:debug'].terminalOutput, /tenant_zz_one/);
});
