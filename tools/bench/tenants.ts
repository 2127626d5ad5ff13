/**
 * The many-tenant rows of `make bench` (issue 11): generated tenants (scale_001 …, as `make tenants-generate`
 * makes them) beside tenant_a/b/c, built through Nx as users type it. The generated tenants there before are
 * restored after. Peak memory is the largest process's (GNU time's maxrss). `node --import tsx
 * tools/bench/tenants.ts` prints these rows alone.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { generateTenants, GENERATED_TENANT_PREFIX } from '@mt/datagen';
import { resolveEngine, withClient, type Engine } from '@mt/postgres';
import { findWorkspaceRoot } from '@mt/tenant-config';
import { benchEnv, fmt, measured, median, peakOf, printGoals, type ScaleRow } from './stats.ts';

const scale = (n: number) => Array.from({ length: n }, (_, i) => `${GENERATED_TENANT_PREFIX}${String(i + 1).padStart(3, '0')}`);
const SAMPLE = ['tenant_a', 'tenant_b', 'tenant_c'];

export async function manyTenantRows(root: string, env: NodeJS.ProcessEnv, engine: Engine, repeat: number): Promise<ScaleRow[]> {
  /** One command as typed; its wall time and the peak memory of its largest process. */
  const timed = (command: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const { r, ms, mb } = measured(command, root, { ...env, ...extraEnv });
    if (r.exitCode !== 0) throw new Error(`${command.join(' ')} failed (${r.exitCode}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    return { ms, mb };
  };
  const mb = peakOf;
  const nx = ['./node_modules/.bin/nx'];
  const dropDatabases = (tenants: string[]) =>
    withClient(engine.connect('postgres'), async (c) => {
      for (const t of tenants) await c.query(`drop database if exists ${c.escapeIdentifier(`${t}_db`)} with (force)`);
    });
  const generatedBefore = readdirSync(join(root, 'tenants')).filter(
    (n) => n.startsWith(GENERATED_TENANT_PREFIX) && existsSync(join(root, 'tenants', n, '.generated')),
  ).length;
  const out: ScaleRow[] = [];
  try {
    // 10 small tenants, cold: Nx's --parallel=3 vs 1 (one batch either way), A B A B.
    generateTenants(root, 10);
    const ten = scale(10).join(',');
    const byParallel = { '1': [] as Array<{ ms: number; mb: number }>, '3': [] as Array<{ ms: number; mb: number }> };
    for (let i = 0; i < 2; i++) {
      for (const p of ['1', '3'] as const) {
        await dropDatabases(scale(10));
        byParallel[p].push(timed([...nx, 'run-many', '-t', 'tenant-run', '-p', ten, `--parallel=${p}`]));
      }
    }
    const ratio = median(byParallel['3'].map((r) => r.ms)) / median(byParallel['1'].map((r) => r.ms));
    out.push({
      what: `10 small tenants, cold, \`nx run-many -t tenant-run --parallel=3\` vs \`--parallel=1\` (medians ${fmt(median(byParallel['3'].map((r) => r.ms)))} vs ${fmt(median(byParallel['1'].map((r) => r.ms)))})`,
      value: `${ratio.toFixed(2)}×`,
      memory: mb([...byParallel['1'], ...byParallel['3']]),
      goal: '≤ 0.6×',
      missed: ratio > 0.6 * 1.2,
    });

    // 50 tenants (47 generated and the sample's 3), warm `make run-all`.
    generateTenants(root, 47);
    timed(['make', '--no-print-directory', 'run-all']);
    const runAll = Array.from({ length: repeat }, () => timed(['make', '--no-print-directory', 'run-all']));
    const runAllMs = median(runAll.map((r) => r.ms));
    out.push({ what: '50 tenants, warm, `make run-all`', value: fmt(runAllMs), memory: mb(runAll), goal: '≤ 5 s', missed: runAllMs > 5000 * 1.2 });

    // Every analysis a cache hit: the tenant builds run (warm), the analyses replay.
    for (const [label, projects, goalMs] of [
      ['13 tenants', [...SAMPLE, ...scale(10)], 2000],
      ['50 tenants', [...SAMPLE, ...scale(47)], 5000],
    ] as const) {
      const command = [...nx, 'run-many', '-t', 'analysis', '-p', projects.join(',')];
      timed(command);
      const hits = Array.from({ length: repeat }, () => timed(command));
      const ms = median(hits.map((r) => r.ms));
      out.push({
        what: `${label}, \`nx run-many -t analysis\`, every analysis a cache hit (${projects.length * 3} analyses)`,
        value: fmt(ms),
        memory: mb(hits),
        goal: `≤ ${goalMs / 1000} s`,
        missed: ms > goalMs * 1.2,
      });
    }

    // Nx's share of a warm `make tenant-a`, without and with the daemon, A B C A B C.
    const runs = { script: [] as Array<{ ms: number; mb: number }>, off: [] as Array<{ ms: number; mb: number }>, on: [] as Array<{ ms: number; mb: number }> };
    timed(['make', '--no-print-directory', 'tenant-a'], { NX_DAEMON: 'true' });
    for (let i = 0; i < repeat; i++) {
      runs.script.push(timed(['node', 'tools/bundle/run-task.mjs', 'tenant/tenant-run', '--tenant', 'tenant_a']));
      runs.off.push(timed(['make', '--no-print-directory', 'tenant-a']));
      runs.on.push(timed(['make', '--no-print-directory', 'tenant-a'], { NX_DAEMON: 'true' }));
    }
    void $({ sync: true, cwd: root, env, quiet: true, nothrow: true })`./node_modules/.bin/nx daemon --stop`;
    const [script, off, on] = [runs.script, runs.off, runs.on].map((xs) => median(xs.map((r) => r.ms)));
    out.push({ what: 'warm `make tenant-a`: the bundled script alone', value: fmt(script), memory: mb(runs.script), goal: '—', missed: false });
    out.push({
      what: '… through make and Nx, no daemon (Nx overhead)',
      value: `${fmt(off)} (+${fmt(off - script)})`,
      memory: mb(runs.off),
      goal: '—',
      missed: false,
    });
    out.push({
      what: '… through make and Nx, with the Nx daemon (Nx overhead)',
      value: `${fmt(on)} (+${fmt(on - script)})`,
      memory: mb(runs.on),
      goal: '—',
      missed: false,
    });
  } finally {
    await dropDatabases(scale(47)).catch(() => {});
    generateTenants(root, generatedBefore);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = findWorkspaceRoot();
  const env = benchEnv(root);
  const engine = resolveEngine({ rootDir: root, env });
  await engine.ensureUp();
  printGoals(await manyTenantRows(root, env, engine, Number(process.env.BENCH_REPEAT ?? 3)));
  await engine.down();
}
