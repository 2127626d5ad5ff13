#!/usr/bin/env -S node --import tsx
/**
 * `npm run bench`: how long the commands users type take. Uses its own embedded server
 * (.data/bench-pg) so the numbers never touch your tenant databases. Results go to stdout as a
 * Markdown table, ready for docs/BENCHMARKS.md.
 */
import { $ } from 'zx';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceRoot, loadAllTenants, loadAuroraConfig, loadTenant } from '@mt/tenant-config';
import { runPhaseOverSsm } from '@mt/ssm-transfer';
import { startEmulator } from '../aws-emulator/src/index.ts';
import { ensureBundle } from '../bundle/bundle.mjs';
import { resolveEngine, withClient } from '@mt/postgres';
import { discoverLocal, discoverS3, loadExternalTables, refreshExternalTables } from '@mt/lake';
import { scaleRows } from './scale.ts';
import { manyTenantRows } from './tenants.ts';
import { lookupRows } from './lookups.ts';
import { benchEnv, fmt, median, printGoals } from './stats.ts';

const root = findWorkspaceRoot();
const env = benchEnv(root);
const engine = resolveEngine({ rootDir: root, env });
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);

function timed(cmd: string, args: string[]): { ms: number; out: string } {
  const t0 = performance.now();
  const { stdout } = $({ sync: true, cwd: root, env, quiet: true })`${cmd} ${args}`;
  return { ms: performance.now() - t0, out: stdout };
}
const built = (out: string) => Number(/(\d+) built/.exec(out)?.[1] ?? 0);

const dropTenantDatabase = (name: string) =>
  withClient(engine.connect('postgres'), (client) =>
    client.query(`drop database if exists ${client.escapeIdentifier(loadTenant(root, name).database)} with (force)`),
  );

const rows: string[][] = [];
// First ever run on this machine: no data directory, so initdb + start + database + full build.
await engine.down();
rmSync(env.PG_DATA_DIR, { recursive: true, force: true });
const first = timed('make', ['--no-print-directory', 'tenant-a']);
rows.push(['`make tenant-a`, first run (initdb + server start + full build)', fmt(first.ms), String(built(first.out))]);

const cold: number[] = [];
let coldBuilt = 0;
for (let i = 0; i < Math.min(REPEAT, 3); i++) {
  await dropTenantDatabase('tenant_a');
  const r = timed('make', ['--no-print-directory', 'tenant-a']);
  cold.push(r.ms);
  coldBuilt = built(r.out);
}
rows.push(['`make tenant-a`, cold (fresh tenant database, server running)', fmt(median(cold)), String(coldBuilt)]);

const warm = Array.from({ length: REPEAT }, () => timed('make', ['--no-print-directory', 'tenant-a']));
rows.push(['`make tenant-a`, warm (nothing changed)', fmt(median(warm.map((r) => r.ms))), String(built(warm.at(-1)!.out))]);

const direct = Array.from({ length: REPEAT }, () => timed('node', ['tools/bundle/run-task.mjs', 'tenant/tenant-run', '--tenant', 'tenant_a']));
rows.push([
  'bundled task script, warm, without Nx (`node tools/bundle/run-task.mjs tenant/tenant-run`)',
  fmt(median(direct.map((r) => r.ms))),
  String(built(direct.at(-1)!.out)),
]);
rows.push(['Nx + make overhead (warm make − bundled script)', fmt(median(warm.map((r) => r.ms)) - median(direct.map((r) => r.ms))), '']);
// What the launcher pays before every task when the bundle is current: hashing the sources it was made from.
{
  const checks = Array.from({ length: 20 }, () => 0);
  for (let i = 0; i < checks.length; i++) {
    const t0 = performance.now();
    await ensureBundle('tenant');
    checks[i] = performance.now() - t0;
  }
  rows.push(['bundle check of `run-task.mjs` (bundle current), per task', `${median(checks).toFixed(1)} ms`, '']);
}
// Ten terminals right after a source change: one rebuilds under the lock, the others wait, all succeed.
rmSync(join(root, 'dist/tasks/tenant/.manifest.json'), { force: true });
{
  const t0 = performance.now();
  const codes = await Promise.all(
    Array.from({ length: 10 }, async () => (await $({ cwd: root, env, quiet: true, nothrow: true })`make --no-print-directory tenant-a`).exitCode),
  );
  rows.push([
    `10 × \`make tenant-a\` at once, bundle stale (one rebuild): ${codes.filter((c) => c === 0).length}/10 succeeded, wall time`,
    fmt(performance.now() - t0),
    '',
  ]);
}
const source = Array.from({ length: REPEAT }, () =>
  timed('env', ['MT_FROM_SOURCE=1', 'node', '--import', 'tsx', 'tools/bundle/run-task.mjs', 'tenant/tenant-run', '--tenant', 'tenant_a']),
);
rows.push([
  'TypeScript source through tsx, warm (`MT_FROM_SOURCE=1 node --import tsx tools/bundle/run-task.mjs tenant/tenant-run`)',
  fmt(median(source.map((r) => r.ms))),
  String(built(source.at(-1)!.out)),
]);
const nxShow = Array.from({ length: REPEAT }, () => timed('./node_modules/.bin/nx', ['show', 'projects']));
rows.push(['`nx show projects` (graph from cache, plugin loaded)', fmt(median(nxShow.map((r) => r.ms))), '']);

// Analyses: a cache hit still runs the (warm) tenant build it depends on, then replays 3 analyses.
timed('make', ['--no-print-directory', 'analysis-all']);
const analysisHit = Array.from({ length: REPEAT }, () => timed('make', ['--no-print-directory', 'analysis-all']));
const analysisMs = median(analysisHit.map((r) => r.ms));
rows.push(['`make analysis-all TENANT=tenant_a`, cache hit (warm build + 3 analyses replayed)', fmt(analysisMs), String(built(analysisHit.at(-1)!.out))]);
rows.push(['… of which Nx overhead (minus the bundled tenant-run script)', fmt(analysisMs - median(direct.map((r) => r.ms))), '']);

// Aurora phases on the local transport: first setup (creates the database) and an idempotent re-run.
const nxBin = './node_modules/.bin/nx';
const auroraFirst = timed(nxBin, ['run', 'aurora:setup']);
rows.push(['`nx run aurora:setup`, local, first run (4 phases, creates multitenant_analytics)', fmt(auroraFirst.ms), '']);
const auroraAgain = Array.from({ length: REPEAT }, () => timed(nxBin, ['run', 'aurora:setup']));
rows.push(['`nx run aurora:setup`, local, re-run (files unchanged, verification only prints)', fmt(median(auroraAgain.map((r) => r.ms))), '']);

// Aurora through the bastion: the transport in-process against tools/aws-emulator, counting what
// it sends (the bastion workspace goes to a temp folder, not /var/lib on this machine).
{
  const bastionDir = mkdtempSync(join(tmpdir(), 'bench-bastion-'));
  const cfg = engine.clientConfig('postgres');
  const emu = await startEmulator({
    bastionDir,
    stacks: { 'multitenant-aurora-dev': { outputs: { ClusterEndpoint: String(cfg.host), ClusterPort: String(cfg.port) } } },
    secrets: { 'multitenant-aurora-dev/master': JSON.stringify({ username: cfg.user, password: cfg.password }) },
  });
  Object.assign(process.env, emu.env());
  const config = loadAuroraConfig(root);
  const environment = { ...config.environments.dev, workspace: join(bastionDir, 'workspace') };
  const setup = async () => {
    const t0 = performance.now();
    const total = { calls: 0, bytes: 0, bundles: 0 };
    for (const phase of config.phaseOrder) {
      const r = await runPhaseOverSsm({ root, config, tenants: loadAllTenants(root), phase, environment, log: () => {}, print: () => {} });
      total.calls += r.ssmCalls;
      total.bytes += r.bytesSent;
      total.bundles += r.bundleSent ? r.bundleBytes : 0;
    }
    return { ...total, ms: performance.now() - t0 };
  };
  for (const [label, r] of [
    ['first run', await setup()],
    ['re-run', await setup()],
  ] as const) {
    rows.push([
      `aurora setup through the bastion (emulated SSM), ${label}: ${r.calls} SSM calls, ${r.bytes} bytes of commands, bundle bytes ${r.bundles}`,
      fmt(r.ms),
      '',
    ]);
  }
  await emu.stop();
  rmSync(bastionDir, { recursive: true, force: true });
}

// The data lake: 365 daily partitions of one table, refreshed with nothing changed, and pruning.
{
  const ws = mkdtempSync(join(tmpdir(), 'mt-bench-lake-'));
  chmodSync(ws, 0o755);
  mkdirSync(join(ws, 'sql/sources'), { recursive: true });
  writeFileSync(
    join(ws, 'sql/sources/lake.yml'),
    `sources:\n  - name: lake\n    tables:\n      - name: orders\n        external:\n          location: "s3://{{ tenant.dataLake.bucket }}/{{ tenant.dataLake.prefix }}/orders/"\n          partitions: [{ name: order_date, data_type: date }]\n        columns: [{ name: id, data_type: integer }, { name: amount, data_type: "numeric(12,2)" }]\n`,
  );
  const tenant = loadTenant(root, 'tenant_a');
  const day0 = Date.UTC(2024, 0, 1);
  for (let d = 0; d < 365; d++) {
    const date = new Date(day0 + d * 86_400_000).toISOString().slice(0, 10);
    const dir = join(ws, 'data-lake', tenant.dataLake.bucket, tenant.dataLake.prefix, 'orders', `order_date=${date}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'part-00000.csv'), `id,amount\n${Array.from({ length: 100 }, (_, i) => `${d * 100 + i},${(i % 50) + 0.99}`).join('\n')}\n`);
  }
  const [table] = loadExternalTables(ws, tenant);
  const discover = () => [discoverLocal(join(ws, 'data-lake'), table, ws)];
  await engine.ensureUp();
  await withClient(engine.connect('postgres'), (c) =>
    c.query('drop database if exists bench_lake with (force)').then(() => c.query('create database bench_lake')),
  );
  const options = { lakeRead: join(ws, 'data-lake'), shownLake: 'data-lake', grantees: [] };
  await withClient(engine.connect('bench_lake'), async (admin) => {
    let t0 = performance.now();
    await refreshExternalTables(admin, () => engine.connect('bench_lake'), discover(), options);
    rows.push(['data lake, 365 daily partitions: first refresh (365 foreign tables + the view)', fmt(performance.now() - t0), '']);
    const listing: number[] = [];
    const unchanged: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      t0 = performance.now();
      const found = discover();
      listing.push(performance.now() - t0);
      t0 = performance.now();
      await refreshExternalTables(admin, () => engine.connect('bench_lake'), found, options);
      unchanged.push(performance.now() - t0);
    }
    rows.push(['… refresh with nothing changed: listing the 365 folders', `${median(listing).toFixed(1)} ms`, '']);
    rows.push(['… refresh with nothing changed: database work', `${median(unchanged).toFixed(1)} ms`, '']);
    // --s3: the same 365 folders listed through the SDK (the emulator's S3 serves the folder; pages of 1000 keys).
    const s3 = await startEmulator({ bastionDir: join(ws, 'bastion'), s3Dir: join(ws, 'data-lake') });
    const listedS3: number[] = [];
    const before = Object.fromEntries(Object.keys(s3.env()).map((k) => [k, process.env[k]]));
    Object.assign(process.env, s3.env()); // a command's task environment is process.env
    for (let i = 0; i < REPEAT; i++) {
      t0 = performance.now();
      await discoverS3([table], 'us-east-1');
      listedS3.push(performance.now() - t0);
    }
    for (const [k, v] of Object.entries(before))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    await s3.stop();
    rows.push(['… the same partitions listed with `--s3` (SDK ListObjectsV2 against the local emulator)', `${median(listedS3).toFixed(1)} ms`, '']);
    const query = async (sql: string) => {
      const ms: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        t0 = performance.now();
        await admin.query(sql);
        ms.push(performance.now() - t0);
      }
      return median(ms);
    };
    rows.push([
      "… `select sum(amount) from lake.orders where order_date = '2024-06-01'` (one partition read)",
      `${(await query("select sum(amount) from lake.orders where order_date = '2024-06-01'")).toFixed(1)} ms`,
      '',
    ]);
    rows.push(['… `select sum(amount) from lake.orders` (365 files read)', `${(await query('select sum(amount) from lake.orders')).toFixed(1)} ms`, '']);
  });
  await withClient(engine.connect('postgres'), (c) => c.query('drop database if exists bench_lake with (force)'));
  rmSync(ws, { recursive: true, force: true });
}

// Templates that read the database while they render (dbt_utils.star, run_query): a warm run with and without.
rows.push(...(await lookupRows(root, env, engine, REPEAT)));

// Issue 11's goals at the scale users reach (BENCH_SCALE_ROWS=0 leaves the big tenant out, BENCH_TENANTS=0 the many tenants).
const scale = process.env.BENCH_SCALE_ROWS === '0' ? [] : await scaleRows(root, env, engine, REPEAT);
if (process.env.BENCH_TENANTS !== '0') scale.push(...(await manyTenantRows(root, env, engine, REPEAT)));

const upWarm = Array.from({ length: REPEAT }, () => timed('node', ['tools/bundle/run-task.mjs', 'platform/up']));
rows.push(['`up` when already running (bundled script)', fmt(median(upWarm.map((r) => r.ms))), '']);

await engine.down();
const upCold = timed('node', ['tools/bundle/run-task.mjs', 'platform/up']);
rows.push(['`up` from stopped (initialised data dir)', fmt(upCold.ms), '']);

console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.versions.node}; median of ${REPEAT} runs (cold: ${cold.length})\n`);
console.log('| what | time | nodes built |\n| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (scale.length) printGoals(scale);
await engine.down();
// A goal missed by more than 20 % fails the benchmark.
if (scale.some((r) => r.missed)) process.exitCode = 1;
