/**
 * The scale rows of `make bench` (issue 11's goals): a tenant of BENCH_SCALE_ROWS order lines (default
 * 1,000,000), made for the bench in tenants/bench_scale/ and removed after. Each comparison runs side by
 * side, A B A B…, and reports medians; a goal missed by more than 20 % is returned as a miss.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { withClient, type Engine } from '@mt/postgres';
import { generateSeeds } from '@mt/datagen';
import { fmt, measured, median, peakOf, type ScaleRow } from './stats.ts';

const TENANT = 'bench_scale';

export async function scaleRows(root: string, env: NodeJS.ProcessEnv, engine: Engine, repeat: number): Promise<ScaleRow[]> {
  const rows = Number(env.BENCH_SCALE_ROWS ?? 1_000_000);
  const dir = join(root, 'tenants', TENANT);
  const database = `${TENANT}_db`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'tenant.json'),
    JSON.stringify({
      name: TENANT,
      displayName: 'Bench scale',
      database,
      aurora: { schema: TENANT },
      dataLake: { bucket: 'bench-scale-data-lake', prefix: 'ecommerce-data' },
    }),
  );
  let runs: Array<{ mb: number }> = [];
  /** A bundled task script; `peak()` is the peak memory of the runs since the last call. */
  const run = (...args: string[]) => {
    const m = measured(['node', 'tools/bundle/run-task.mjs', ...args], root, env);
    runs.push(m);
    return m.r;
  };
  const peak = () => {
    const mb = peakOf(runs);
    runs = [];
    return mb;
  };
  const timedMs = (fn: () => unknown) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  const dropDatabase = () => withClient(engine.connect('postgres'), (c) => c.query(`drop database if exists ${c.escapeIdentifier(database)} with (force)`));
  const out: ScaleRow[] = [];
  try {
    await generateSeeds(join(dir, 'seeds', 'generated'), { rows, seed: 1 });
    const file = join(dir, 'seeds', 'generated', 'orders.csv');
    await dropDatabase();
    // One full build first: the tenant's lake is written from its seeds then, not inside a measured run.
    run('tenant/tenant-run', '--tenant', TENANT);
    peak();

    // seed of orders.csv vs psql \copy of the same file into a table of the same shape, A B A B.
    const pg = engine.clientConfig(database);
    const psqlEnv = {
      ...env,
      PGHOST: String(pg.host),
      PGPORT: String(pg.port),
      PGUSER: String(pg.user),
      PGPASSWORD: String(pg.password),
      PGDATABASE: database,
    };
    const psql = (sql: string) => $({ sync: true, env: psqlEnv, quiet: true })`psql -qv ON_ERROR_STOP=1 -c ${sql}`;
    psql('create table if not exists psql_orders (like orders)');
    const seedMs: number[] = [];
    const psqlMs: number[] = [];
    for (let i = 0; i < Math.min(repeat, 3); i++) {
      psql('drop table if exists orders cascade');
      const report = JSON.parse(run('tenant/seed', '--tenant', TENANT, '--json').stdout) as { results: Array<{ name: string; ms: number }> };
      seedMs.push(report.results.find((r) => r.name === 'orders')!.ms);
      psql('truncate psql_orders');
      psqlMs.push(timedMs(() => psql(`\\copy psql_orders from '${file.replaceAll("'", "''")}' with (format csv, header true)`)));
    }
    const throughput = median(psqlMs) / median(seedMs);
    out.push({
      what: `seed of ${rows.toLocaleString('en')} order lines vs \`psql \\copy\` of the file (medians ${fmt(median(seedMs))} vs ${fmt(median(psqlMs))})`,
      value: `${throughput.toFixed(2)}× psql's throughput`,
      goal: '≥ 0.8×',
      missed: throughput < 0.8 / 1.2,
    });
    const seedPeak = peak();
    if (seedPeak)
      out.push({
        what: '… peak memory of that seed (the whole process)',
        value: seedPeak,
        memory: seedPeak,
        goal: '≤ 150 MB',
        missed: Number.parseInt(seedPeak) > 150 * 1.2,
      });

    // Cold tenant-run: every node one after another vs the default threads, A B A B.
    const one: number[] = [];
    const many: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (const [threads, into] of [
        ['1', one],
        [undefined, many],
      ] as const) {
        await dropDatabase();
        into.push(timedMs(() => run('tenant/tenant-run', '--tenant', TENANT, ...(threads ? ['--threads', threads] : []))));
      }
    }
    const ratio = median(many) / median(one);
    out.push({
      what: `cold tenant-run of that tenant, default threads vs \`--threads 1\` (medians ${fmt(median(many))} vs ${fmt(median(one))})`,
      value: `${ratio.toFixed(2)}×`,
      memory: peak(),
      goal: '≤ 0.5×',
      missed: ratio > 0.5 * 1.2,
    });
    const warm = median(Array.from({ length: repeat }, () => timedMs(() => run('tenant/tenant-run', '--tenant', TENANT))));
    out.push({ what: 'warm tenant-run of that tenant (0 built, tests reused)', value: fmt(warm), memory: peak(), goal: '≤ 1.5 s', missed: warm > 1500 * 1.2 });
  } finally {
    await dropDatabase().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(root, 'data-lake', 'bench-scale-data-lake'), { recursive: true, force: true });
  }
  return out;
}
