/**
 * What lookups cost a warm run (`make bench`, or alone: `node --import tsx tools/bench/lookups.ts`):
 * the sample (without its lake); the sample with the models and test of
 * apps/tenant/test/fixtures/dbt-introspection laid over it (they read the database while they render:
 * dbt_utils.star, union_relations, get_column_values, run_query); and the same with those templates
 * written out — their rendered SQL, refs kept — so that the difference is the lookups alone. Each in a
 * workspace and a database of its own on the bench's server, built, then warm runs in-process (no Node
 * or Nx start-up), interleaved A B C A B C. The load's share is measured on its own: the first render,
 * the round of lookups (its database time) and the renders done again.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspaceRoot, loadTenant } from '@mt/tenant-config';
import { resolveEngine, withClient, type Engine } from '@mt/postgres';
import { openTenantDatabase, runPipeline } from '@mt/pipeline';
import { loadProject, relationFor } from '../../libs/pipeline/src/project.ts';
import { Lookups } from '../../libs/pipeline/src/lookups.ts';
import { resolveLookups } from '../../libs/pipeline/src/lookup-rounds.ts';
import { benchEnv, median } from './stats.ts';

const FIXTURE = join('apps', 'tenant', 'test', 'fixtures', 'dbt-introspection');
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** A copy of the sample without its lake (and, with `lookups`, the fixture laid over it), its tenant on a database of its own. */
function workspace(root: string, name: string, lookups: boolean | 'seeds'): string {
  mkdirSync(join(root, '.data'), { recursive: true });
  const ws = mkdtempSync(join(root, '.data', `bench-${name}-`));
  for (const dir of ['sql', 'seeds']) cpSync(join(root, dir), join(ws, dir), { recursive: true });
  for (const path of ['sql/sources', 'sql/models/staging/stg_lake_orders.sql', 'sql/tests/assert_lake_orders_match_seed.sql'])
    rmSync(join(ws, path), { recursive: true, force: true });
  if (lookups) for (const dir of lookups === 'seeds' ? ['seeds'] : ['sql', 'seeds']) cpSync(join(root, FIXTURE, dir), join(ws, dir), { recursive: true });
  const config = JSON.parse(readFileSync(join(root, 'tenants', 'tenant_a', 'tenant.json'), 'utf8'));
  mkdirSync(join(ws, 'tenants', name), { recursive: true });
  const database = `${name}_db`;
  writeFileSync(join(ws, 'tenants', name, 'tenant.json'), JSON.stringify({ ...config, $schema: undefined, name, database }));
  writeFileSync(join(ws, 'nx.json'), '{}\n');
  return ws;
}

/** The fixture's templates as the lookups rendered them (refs kept, config written out) into `ws`. */
async function writeOut(from: string, name: string, engine: Engine, ws: string): Promise<number> {
  const tenant = loadTenant(from, name);
  const project = loadProject(from, tenant, {}, { lookups: new Lookups('load') });
  await withClient(openTenantDatabase(engine, tenant), (client) => resolveLookups(project, async () => client));
  const reading = [...project.nodes.values()].filter((n) => n.lookups);
  for (const node of reading) {
    let sql = node.sql!;
    for (const other of project.byName.values()) sql = sql.split(relationFor(project, other)).join(`{{ ref('${other.name}') }}`);
    const keys = ['materialized', 'unique_key', 'on_schema_change'].filter((k) => node.kind === 'model' && node.config[k] !== undefined);
    const config = keys.length ? `{{ config(${keys.map((k) => `${k}=${JSON.stringify(node.config[k]).replace(/"/g, "'")}`).join(', ')}) }}\n` : '';
    mkdirSync(join(ws, node.file, '..'), { recursive: true });
    writeFileSync(join(ws, node.file), config + sql);
  }
  return reading.length;
}

export async function lookupRows(root: string, env: NodeJS.ProcessEnv, engine: Engine, repeat: number): Promise<string[][]> {
  const variants = [
    { name: 'bench_plain', lookups: false as const, label: 'the sample' },
    { name: 'bench_static', lookups: 'seeds' as const, label: 'the sample + the fixture, written out' },
    { name: 'bench_lookups', lookups: true as const, label: 'the sample + the fixture, reading the database while it renders' },
  ].map((v) => ({ ...v, root: workspace(root, v.name, v.lookups) }));
  const rows: string[][] = [];
  let count = 0;
  try {
    await engine.ensureUp();
    const run = async (v: (typeof variants)[number]) => {
      const tenant = loadTenant(v.root, v.name);
      const t0 = performance.now();
      const report = await runPipeline({ root: v.root, tenant, db: engine, phases: ['seed', 'run', 'snapshot', 'test'], env: { ...env }, threads: 2 });
      if (!report.ok) throw new Error(`${v.name}: ${JSON.stringify(report.results.filter((r) => r.detail))}`);
      return { ms: performance.now() - t0, built: report.results.filter((r) => r.status === 'built').length, nodes: report.results.length };
    };
    const [plain, written, reading] = variants;
    for (const v of [plain, reading, written]) {
      await withClient(engine.connect('postgres'), (c) => c.query(`drop database if exists ${c.escapeIdentifier(`${v.name}_db`)} with (force)`));
      if (v === written) count = await writeOut(reading.root, reading.name, engine, written.root);
      await run(v);
      await run(v);
    }
    const warm = new Map(variants.map((v) => [v, [] as Array<{ ms: number; built: number; nodes: number }>]));
    for (let i = 0; i < repeat * 2; i++) for (const v of variants) warm.get(v)!.push(await run(v));
    for (const v of variants) {
      const last = warm.get(v)!.at(-1)!;
      rows.push([
        `warm tenant-run in-process (\`runPipeline\`), ${v.label} (${last.nodes} nodes)`,
        ms(median(warm.get(v)!.map((r) => r.ms))),
        String(last.built),
      ]);
    }
    rows.push([
      `… lookups' share of a warm run: ${count} nodes reading the database, against the same written out`,
      ms(median(warm.get(reading)!.map((r) => r.ms)) - median(warm.get(written)!.map((r) => r.ms))),
      '',
    ]);
    // The load's share, with lookups: the first render, the round, the renders done again.
    const v = reading;
    const tenant = loadTenant(v.root, v.name);
    const parts = { load: [] as number[], resolve: [] as number[], database: [] as number[], plain: [] as number[] };
    let stats = { rounds: 0, lookups: 0 };
    await withClient(openTenantDatabase(engine, tenant), async (client) => {
      for (let i = 0; i < repeat * 4; i++) {
        let t0 = performance.now();
        const project = loadProject(v.root, tenant, env, { lookups: new Lookups('load') });
        parts.load.push(performance.now() - t0);
        t0 = performance.now();
        await resolveLookups(project, async () => client);
        parts.resolve.push(performance.now() - t0);
        parts.database.push(project.lookups!.stats.ms);
        stats = project.lookups!.stats;
        t0 = performance.now();
        loadProject(written.root, loadTenant(written.root, written.name), env, { lookups: new Lookups('load') });
        parts.plain.push(performance.now() - t0);
      }
    });
    rows.push(['… `loadProject`, the fixture written out (nothing waits)', ms(median(parts.plain)), '']);
    rows.push([
      '… `loadProject`, the fixture reading the database: the first render (the reading nodes, and what refs them, wait)',
      ms(median(parts.load)),
      '',
    ]);
    rows.push([
      `… then \`resolveLookups\`: ${stats.rounds} round, ${stats.lookups} lookups (one catalog query for the columns, one query each for run_query) and the waiting nodes rendered again`,
      ms(median(parts.resolve)),
      '',
    ]);
    rows.push(['… of which in the database', ms(median(parts.database)), '']);
  } finally {
    for (const v of variants) {
      await withClient(engine.connect('postgres'), (c) => c.query(`drop database if exists ${c.escapeIdentifier(`${v.name}_db`)} with (force)`)).catch(
        () => {},
      );
      rmSync(v.root, { recursive: true, force: true });
    }
  }
  return rows;
}

if (process.argv[1]?.endsWith('lookups.ts')) {
  const root = findWorkspaceRoot();
  const env = benchEnv(root);
  const engine = resolveEngine({ rootDir: root, env });
  const running = (await engine.status()).running;
  const rows = await lookupRows(root, env, engine, Number(process.env.BENCH_REPEAT ?? 5));
  console.log('| what | time | nodes built |\n| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  // The bench's server stays as it was found.
  if (!running) await engine.down();
}
