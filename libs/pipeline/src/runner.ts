import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { color, formatDuration, formatError, TaskError, textTable } from '@mt/cli';
import { noMatch, parseSelector, selectNodes, topologicalOrder } from './graph.ts';
import { buildModel } from './materialize.ts';
import { checksumOf, loadProject, renderHook, schemaFor, sha256 } from './project.ts';
import { Lookups } from './lookups.ts';
import { lookupsChanged, renderAtRun, resolveLookups } from './lookup-rounds.ts';
import { relationName } from './render.ts';
import { identifierOf, relationKind, type RelationKind } from './relations.ts';
import { loadSeed } from './seeds.ts';
import { runSnapshot } from './snapshots.ts';
import { runDataTest } from './data-tests.ts';
import { runScheduled } from './schedule.ts';
import { writeCompiled } from './inspect.ts';
import { describeRefresh, lakeFileError, refreshLake } from './lake.ts';
import type { RefreshResult } from '@mt/lake';
import {
  acquireDatabaseLock,
  openTenantDatabase,
  finishRun,
  markInterruptedRuns,
  loadState,
  loadVersions,
  existingRelations,
  recordFingerprint,
  recordRun,
  saveDataVersion,
  saveNodeState,
  trackTable,
  type StoredNode,
} from './state.ts';
import type { NodeKind, NodeResult, NodeStatus, PipelineNode, Project } from './types.ts';
import type { Tenant } from '@mt/tenant-config';
import { connectionLost } from '@mt/sql';
import { withClient, withTransaction, type DatabaseAccess } from '@mt/postgres';

export type Phase = 'seed' | 'run' | 'snapshot' | 'test';
const PHASE_KIND: Record<Phase, NodeKind> = { seed: 'seed', run: 'model', snapshot: 'snapshot', test: 'test' };

export interface PipelineOptions {
  root: string;
  tenant: Tenant;
  db: DatabaseAccess;
  phases: Phase[];
  /** dbt's --select and --exclude words. */
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  /** Run every data test, also those that would be reused. */
  retest?: boolean;
  /** Nodes built at once, each on its own connection (default: the number of cores, like dbt's threads). */
  threads?: number;
  env?: NodeJS.ProcessEnv;
  /** --vars: over the tenant's and the project's. */
  vars?: Record<string, unknown>;
  /** Called as each node finishes (progress lines). */
  onResult?: (r: NodeResult, index: number, total: number) => void;
  /** Called with a line per external table refreshed before the models run. */
  onLake?: (line: string) => void;
  /** Called with what the user should know but does not stop the run (a selector that matches nothing). */
  onWarning?: (line: string) => void;
}

export interface PipelineReport {
  tenant: string;
  results: NodeResult[];
  ok: boolean;
  ms: number;
}

/**
 * The user we connect as may not create in the tenant's database (external mode: a database that
 * exists already, owned by another role): say so, and what to change.
 */
function permissionDenied(err: unknown, tenant: Tenant, client: pg.Client): TaskError | undefined {
  const e = err as { code?: string; message?: string };
  if (e?.code !== '42501') return undefined;
  return new TaskError('DB_PERMISSION', `PostgreSQL refused user "${client.user}" in database ${tenant.database} (tenant ${tenant.name}): ${e.message}.`, {
    hint: `That user must own the database or have CREATE on it (ALTER DATABASE ${tenant.database} OWNER TO ${client.user}), or give the tenant a database of its own in tenants/${tenant.name}/tenant.json.`,
    cause: err,
  });
}

/**
 * seed → run → snapshot → test for one tenant (any subset, in that order). Unchanged nodes are
 * skipped: a node's fingerprint hashes its own content and its parents' fingerprints, and is kept
 * in the tenant database with the node's last result.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineReport> {
  const started = performance.now();
  // Everything that can be wrong in the files is found before any connection is made.
  // One id for the run: invocation_id in the templates, run_id in the run history.
  const runId = randomUUID();
  const project = loadProject(options.root, options.tenant, options.env, {
    vars: options.vars,
    invocationId: runId,
    startedAt: new Date(),
    fullRefresh: options.fullRefresh,
    which: options.phases.length > 1 ? 'build' : options.phases[0],
    lookups: new Lookups('load'),
  });
  // The DAG of nodes waiting for lookups (dbt_utils.star, run_query, …) is known once they are answered.
  const checked = project.lookups?.waiting.size ? undefined : topologicalOrder(project);
  const select = parseSelector(options.select ?? []);
  const exclude = parseSelector(options.exclude ?? [], '--exclude');

  return withClient(openTenantDatabase(options.db, options.tenant), async (client) => {
    try {
      // Held until the client ends: a run killed at any point leaves no lock behind.
      await acquireDatabaseLock(client, options.tenant.database, options.tenant.name, options.env);
      // Lookups are answered under the lock, as the relations are while nothing else builds them.
      await resolveLookups(project, async () => client);
      const order = checked ?? topologicalOrder(project);
      const work = options.phases.flatMap((p) => order.filter((n) => n.kind === PHASE_KIND[p]));
      const state = await loadState(client);
      // Selected after the run state is read: state:modified compares with what each node was built from.
      const selection = select.length || exclude.length ? selectNodes(project, select, exclude, (id) => state.get(id)?.checksum) : undefined;
      for (const criterion of selection?.unmatched ?? []) options.onWarning?.(noMatch(criterion));
      const isSelected = (n: PipelineNode) => !selection || selection.ids.has(n.id);
      const planned = work.filter(isSelected);
      if (selection && !planned.length) options.onWarning?.(`Nothing to do: the selection matches no ${options.phases.map((p) => PHASE_KIND[p]).join(', ')}.`);
      // We hold the database's run lock: a run still without an outcome died (kill -9, a crash).
      await markInterruptedRuns(client);
      await recordRun(client, { runId, tenant: options.tenant.name, command: options.phases.join('+'), startedAt: new Date() });
      const finish = async (results: NodeResult[]) => {
        const ok = results.every((r) => r.status !== 'error' && r.status !== 'fail' && r.status !== 'upstream-failed');
        await finishRun(client, runId, ok ? 'success' : 'failed', results.filter((r) => r.status === 'built').length);
        await recordFingerprint(options.root, options.tenant.name, client);
        return { tenant: options.tenant.name, results, ok, ms: performance.now() - started };
      };
      // on-run-start failing stops the run before anything is built.
      const start = await runProjectHooks(client, project, 'on-run-start', project.settings.onRunStart, options.db);
      if (start?.status === 'error') return await finish([start]);
      // The lake's external tables first: models read them, and their files are the models' inputs too.
      // A lake that cannot be read fails the models that read it, not the whole run.
      let lake: RefreshResult[] = [];
      let lakeError: TaskError | undefined;
      if (options.phases.includes('run') && project.external.length) {
        try {
          lake = await refreshLake(options.db, project, client, { fullRefresh: options.fullRefresh, log: options.onLake });
        } catch (err) {
          if (!(err instanceof TaskError)) throw err;
          lakeError = err;
          options.onLake?.(`lake: ${err.message}`);
        }
      }
      for (const r of lake) options.onLake?.(describeRefresh(r));
      const ctx: RunContext = {
        project,
        lake: new Map(lake.map((r) => [`${r.table.source}.${r.table.name}`, r.state])),
        lakeError,
        state,
        versions: await loadVersions(client),
        relations: await existingRelations(client, [...new Set([...project.nodes.values()].map((n) => schemaFor(project, n)))]),
        runId,
        current: new Map(),
        failed: new Set(),
        built: new Set(),
        options,
      };
      // Independent nodes build at once, each on a connection of its own (the first is this one).
      // CREATE SCHEMA IF NOT EXISTS is not safe in two sessions at once: the schemas come first.
      const schemas = new Set(work.filter((n) => n.kind !== 'test').map((n) => schemaOf(ctx, n)));
      for (const schema of schemas) await client.query(`create schema if not exists ${client.escapeIdentifier(schema)}`);
      // A lane's connection opens when one of its nodes first needs the database: a warm run needs one.
      const lanes: Array<Promise<pg.Client> | undefined> = [Promise.resolve(client)];
      let done = 0;
      const scheduled = await runScheduled(work, options.threads ?? availableParallelism(), async (node, lane) => {
        const laneClient = () => (lanes[lane] ??= openTenantDatabase(options.db, options.tenant));
        if (!isSelected(node) && !(await needsRestore(ctx, laneClient, node))) return undefined;
        const result = await runNode(ctx, laneClient, node);
        options.onResult?.(result, ++done, planned.length);
        return result;
      }).finally(() => Promise.all(lanes.slice(1).flatMap((c) => (c ? [c.then((open) => open.end()).catch(() => {})] : []))));
      const results = scheduled.filter((r): r is NodeResult => r !== undefined);
      const end = await runProjectHooks(client, project, 'on-run-end', project.settings.onRunEnd, options.db);
      return await finish([...(start ? [start] : []), ...results, ...(end ? [end] : [])]);
    } catch (err) {
      throw connectionLost(err, options.db.describe()) ?? permissionDenied(err, options.tenant, client) ?? err;
    }
  });
}

interface RunContext {
  project: Project;
  /** `<source>.<table>` → the state of its files, for the external tables refreshed by this run. */
  lake: Map<string, string>;
  /** Why the external tables could not be brought up to date: the error of every model reading them. */
  lakeError?: TaskError;
  state: Map<string, StoredNode>;
  /** Change counters of the relations we built (relation_versions), as the run found them. */
  versions: Map<string, number>;
  /** `<schema>.<name>` of the tables and views in the project's schemas, as the run found them. */
  relations: Map<string, RelationKind | undefined>;
  /** Set when a node starts changing a relation: from then on, existence is asked of the database. */
  changing?: boolean;
  runId: string;
  /** Fingerprints of the nodes this run built or found up to date. */
  current: Map<string, string>;
  failed: Set<string>;
  built: Set<string>;
  options: PipelineOptions;
}

/** Views and ephemeral models hold no data: they pass their parents' state through. */
const isView = (node: PipelineNode) => node.kind === 'model' && (node.config.materialized === 'view' || node.config.materialized === 'ephemeral');
/** Tables the engine counts changes of (a trigger cannot be put on a materialized view, and nobody writes one by hand). */
const tracked = (node: PipelineNode) => !isView(node) && node.config.materialized !== 'materialized_view';

/** The command that builds a node of this kind, for a step run on its own whose input is missing. */
const BUILDS: Record<string, string> = { seed: 'seed', model: 'run', snapshot: 'snapshot' };

/**
 * on-run-start / on-run-end of sql/dbt_project.yml: rendered and run in one transaction of their own on the
 * tenant's connection, shown in the summary. A failure is the run's error, not the end of the process.
 */
async function runProjectHooks(client: pg.Client, project: Project, which: string, hooks: string[], db: DatabaseAccess): Promise<NodeResult | undefined> {
  if (!hooks.length) return undefined;
  const t0 = performance.now();
  const base = { id: `hook.${which}`, kind: 'hook' as const, name: which, hooks: hooks.length };
  try {
    await withTransaction(client, async () => {
      for (const [i, hook] of hooks.entries()) await runHook(client, 'sql/dbt_project.yml', `${which} hook ${i + 1}`, renderHook(project, undefined, hook));
    });
    return { ...base, status: 'ran', ms: performance.now() - t0 };
  } catch (err) {
    const lost = connectionLost(err, db.describe());
    if (lost) throw lost;
    return { ...base, status: 'error', ms: performance.now() - t0, detail: formatError(err) };
  }
}

/** One hook statement; an SQL error names the file and the hook (the caller's transaction is rolled back). */
async function runHook(client: pg.Client, file: string, what: string, sql: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (!e.code || e.code.startsWith('08') || e.code.startsWith('57P')) throw err;
    throw new TaskError('HOOK_FAILED', `${file}: ${what} failed: ${e.message}. Its transaction was rolled back: nothing it would have changed is kept.`, {
      hint: `The hook ran: ${sql.trim().replace(/\s+/g, ' ').slice(0, 200)}`,
      cause: err,
    });
  }
}

/** Relations a test or snapshot reads that this run does not build and that are not there. */
function missingInputs(ctx: RunContext, node: PipelineNode): TaskError | undefined {
  const phases = ctx.options.phases.map((p) => PHASE_KIND[p]);
  const inputs = new Set<PipelineNode>();
  const visit = (id: string) => {
    const parent = ctx.project.nodes.get(id)!;
    if (parent.config.materialized === 'ephemeral') parent.dependsOn.forEach(visit);
    else inputs.add(parent);
  };
  node.dependsOn.forEach(visit);
  const missing = [...inputs].find((p) => !phases.includes(p.kind) && !ctx.relations.has(relationKey(ctx, p)));
  if (!missing) return undefined;
  const target = BUILDS[missing.kind];
  const tenant = ctx.project.tenant.name;
  return new TaskError('MISSING_RELATION', `${node.file}: it reads ${missing.kind} ${missing.name}, which is not in ${ctx.project.tenant.database} yet.`, {
    hint: `Build it first: make dbt-${target} TENANT=${tenant} (npx nx run ${tenant}:${target}), or the whole tenant with make tenant-run TENANT=${tenant}.`,
  });
}

/**
 * What a node would be built from now: its own checksum plus what each parent *holds* in the
 * database — the fingerprint it was last built with, unless this run built it — not what the files
 * say. So `snapshot` after an edited but not yet loaded seed records nothing, and the next `seed` +
 * `snapshot` still sees the change. Views hold no data: they pass their parents' state through.
 */
function inputFingerprint(ctx: RunContext, node: PipelineNode): string {
  const lake = (node.externalSources ?? []).map((s) => ctx.lake.get(s) ?? 'not refreshed');
  // A source loaded by something else may have changed since any run: as if it always had (dbt's behaviour).
  const untracked = node.untrackedSources?.length ? [`${ctx.runId}:untracked`] : [];
  return sha256([node.checksum, ...node.dependsOn.map((d) => heldFingerprint(ctx, d)), ...lake, ...untracked].join('\n'));
}

function heldFingerprint(ctx: RunContext, id: string): string {
  const node = ctx.project.nodes.get(id)!;
  return ctx.current.get(id) ?? (isView(node) ? inputFingerprint(ctx, node) : (ctx.state.get(id)?.fingerprint ?? 'absent'));
}

/**
 * A data test's fingerprint: what its inputs were built from, and the change counters of the tables it
 * reads (views looked through), so a change by hand since it last passed makes it run again. A test
 * that reads a source loaded by something else, or a relation that is gone, gets one that never
 * matches. It is reused when its fingerprint matches a pass and nothing it reads was rebuilt by this run.
 */
function testFingerprint(ctx: RunContext, node: PipelineNode, inputs: string): { fingerprint: string; reusable: boolean } {
  const counters: string[] = [];
  let reusable = !node.untrackedSources?.length;
  const visit = (id: string) => {
    const parent = ctx.project.nodes.get(id)!;
    if (ctx.built.has(id) || parent.untrackedSources?.length) reusable = false;
    if (isView(parent)) return parent.dependsOn.forEach(visit);
    const relation = relationKey(ctx, parent);
    if (!ctx.relations.has(relation) && !ctx.built.has(id)) reusable = false;
    counters.push(`${relation}=${ctx.versions.get(relation) ?? 0}`);
  };
  node.dependsOn.forEach(visit);
  const fingerprint = node.untrackedSources?.length ? `${ctx.runId}:untracked` : sha256([inputs, ...counters.sort()].join('\n'));
  return { fingerprint, reusable };
}

const schemaOf = (ctx: RunContext, node: PipelineNode) => schemaFor(ctx.project, node);
/** `schema.relation`, as ctx.relations and ctx.versions key them. */
const relationKey = (ctx: RunContext, node: PipelineNode) => `${schemaOf(ctx, node)}.${identifierOf(node)}`;

/** An unselected model whose relation a cascade just dropped is rebuilt, so `--select` never leaves holes. */
async function needsRestore(ctx: RunContext, client: () => Promise<pg.Client>, node: PipelineNode): Promise<boolean> {
  if (node.kind !== 'model' || !ctx.state.has(node.id) || !node.dependsOn.some((d) => ctx.built.has(d))) return false;
  return !(await relationKind(await client(), schemaOf(ctx, node), identifierOf(node)));
}

/** `client` opens the node's connection on first use: a node skipped or reused needs none. */
async function runNode(ctx: RunContext, client: () => Promise<pg.Client>, node: PipelineNode): Promise<NodeResult> {
  const t0 = performance.now();
  const base = { id: node.id, kind: node.kind, name: node.name };
  if (node.dependsOn.some((d) => ctx.failed.has(d))) {
    ctx.failed.add(node.id);
    return { ...base, status: 'upstream-failed', ms: 0 };
  }
  if (ctx.lakeError && node.externalSources?.length) {
    ctx.failed.add(node.id);
    return { ...base, status: 'error', ms: 0, detail: formatError(ctx.lakeError) };
  }
  const missing = node.kind === 'test' || node.kind === 'snapshot' ? missingInputs(ctx, node) : undefined;
  if (missing) {
    ctx.failed.add(node.id);
    return { ...base, status: 'error', ms: 0, detail: formatError(missing) };
  }
  // What its render looked up at load may have changed since (a relation it read rebuilt by this run, or
  // not there yet then): rendered again with lookups of its own, before its checksum decides anything.
  if (lookupsChanged(ctx.project, node, ctx.built)) {
    try {
      const rendered = await renderAtRun(ctx.project, node, false, await client());
      node.sql = rendered.sql;
      node.lookups = rendered.lookups;
      node.checksum = checksumOf(node);
    } catch (err) {
      const lost = connectionLost(err, ctx.options.db.describe());
      if (lost) throw lost;
      ctx.failed.add(node.id);
      return { ...base, status: 'error', ms: performance.now() - t0, detail: formatError(err) };
    }
  }
  const inputs = inputFingerprint(ctx, node);
  if (node.config.materialized === 'ephemeral') {
    // Nothing to build; its checksum is kept all the same, for state:modified.
    const stored = ctx.state.get(node.id);
    if (stored?.checksum !== node.checksum)
      await saveNodeState(await client(), {
        id: node.id,
        kind: node.kind,
        checksum: node.checksum,
        fingerprint: inputs,
        status: 'ephemeral',
        ms: 0,
        runId: ctx.runId,
      });
    return { ...base, status: 'ephemeral', ms: 0 };
  }
  const compiledFile = writeCompiled(ctx.project.root, ctx.project.tenant.name, node);
  let db: pg.Client | undefined;
  try {
    if (node.kind === 'test') {
      const { fingerprint, reusable } = testFingerprint(ctx, node, inputs);
      const stored = ctx.state.get(node.id);
      if (reusable && !ctx.options.retest && stored?.status === 'pass' && stored.fingerprint === fingerprint)
        return { ...base, status: 'reused', ms: performance.now() - t0 };
      db = await client();
      const outcome = await runDataTest(db, node, compiledFile);
      const status = outcome.failures === 0 ? 'pass' : node.config.severity === 'warn' ? 'warn' : 'fail';
      const ms = performance.now() - t0;
      await saveNodeState(db, { id: node.id, kind: node.kind, checksum: node.checksum, fingerprint, status, rows: outcome.failures, ms, runId: ctx.runId });
      const detail = outcome.failures ? failingRows(node, outcome) : undefined;
      return { ...base, status, rows: outcome.failures, ms, detail };
    }
    const fingerprint = inputs;
    const stored = ctx.state.get(node.id);
    const schema = schemaOf(ctx, node);
    // Until this run changes a relation, what it found at its start is still true.
    const exists = ctx.changing ? await relationKind(await client(), schema, identifierOf(node)) : ctx.relations.get(relationKey(ctx, node));
    // Changed outside the pipeline since we left it: rebuilt, a model in full (a snapshot keeps its
    // history: its counter only moves the analyses' fingerprint).
    const drifted =
      node.kind !== 'snapshot' && !isView(node) && stored?.dataVersion != null && (ctx.versions.get(relationKey(ctx, node)) ?? 0) !== stored.dataVersion;
    // --full-refresh rebuilds models from scratch and reloads seeds (unchanged or not); snapshots keep their history.
    const forced = (ctx.options.fullRefresh || drifted) && (node.kind === 'model' || node.kind === 'seed');
    // A view reads through to its parents, so new data upstream needs no rebuild; only its own SQL
    // matters (a cascade that dropped it shows up as `exists` false).
    const upToDate = isView(node) ? stored?.checksum === node.checksum : stored?.fingerprint === fingerprint;
    if (!forced && !drifted && exists && upToDate && stored?.status === 'built') {
      ctx.current.set(node.id, fingerprint);
      // Tables built before drift tracking existed get their change counter once.
      if (!isView(node) && exists === 'table' && stored.dataVersion == null)
        await saveDataVersion((db = await client()), node.id, await trackTable(db, schema, identifierOf(node)));
      return { ...base, status: 'skipped', ms: performance.now() - t0 };
    }
    // The relation and its node state change together, or not at all.
    ctx.changing = true;
    const conn = (db = await client());
    const incremental = node.kind === 'model' && node.config.materialized === 'incremental' && !!exists && !forced;
    // Rendered with is_incremental() true before the build's transaction: its lookups run read-only first.
    const sql = incremental ? (await renderAtRun(ctx.project, node, true, conn)).sql : node.sql;
    const hooks = (which: 'pre_hook' | 'post_hook') =>
      (node.config[which] ?? []).reduce(
        (done, hook, i) => done.then(() => runHook(conn, node.file, `${which} ${i + 1}`, renderHook(ctx.project, node, hook))),
        Promise.resolve(),
      );
    const rows = await withTransaction(conn, async () => {
      let rows: number | undefined;
      await hooks('pre_hook');
      if (node.kind === 'seed') rows = await loadSeed(conn, schema, node, join(ctx.project.root, node.file));
      else if (node.kind === 'snapshot') rows = await runSnapshot(conn, node, schema, compiledFile);
      else {
        // A materialized view whose query is what it was built with only needs its data refreshed.
        const refresh = exists === 'materialized view' && stored?.checksum === node.checksum && !forced;
        rows = await buildModel(conn, node, { schema, sql: sql!, incremental, refresh, compiledFile });
      }
      await hooks('post_hook');
      // A new table has no statistics until autovacuum comes by (a minute later): the models and tests
      // after it were planned on guesses. ANALYZE samples 30,000 rows: ~1 ms small, ~0.1 s at a million.
      if (!isView(node)) await conn.query(`analyze ${relationName(schema, identifierOf(node))}`);
      const dataVersion = tracked(node) ? await trackTable(conn, schema, identifierOf(node)) : undefined;
      // Tests later in this run fingerprint the counter as this build leaves it.
      if (dataVersion !== undefined) ctx.versions.set(relationKey(ctx, node), dataVersion);
      await saveNodeState(conn, {
        id: node.id,
        kind: node.kind,
        checksum: node.checksum,
        fingerprint,
        status: 'built',
        rows,
        ms: performance.now() - t0,
        runId: ctx.runId,
        dataVersion,
      });
      return rows;
    });
    const ms = performance.now() - t0;
    ctx.built.add(node.id);
    ctx.current.set(node.id, fingerprint);
    const hookCount = (node.config.pre_hook?.length ?? 0) + (node.config.post_hook?.length ?? 0);
    return {
      ...base,
      status: 'built',
      rows,
      ms,
      ...(hookCount ? { hooks: hookCount } : {}),
      ...(drifted ? { detail: `${node.file}: changed outside the pipeline since the last run; rebuilt` } : {}),
    };
  } catch (err) {
    // A dead connection ends the run at once: every later node would fail the same way.
    const lost = connectionLost(err, ctx.options.db.describe());
    if (lost) throw lost;
    ctx.failed.add(node.id);
    return { ...base, status: 'error', ms: performance.now() - t0, detail: formatError((db && (await lakeFileError(err, db))) ?? err) };
  }
}

function failingRows(node: PipelineNode, outcome: { failures: number; sample: { columns: string[]; rows: string[][] } }): string {
  const { columns, rows } = outcome.sample;
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '    ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  const more = outcome.failures > rows.length ? `\n    … ${outcome.failures - rows.length} more` : '';
  return [`${node.file}: ${outcome.failures} failing row(s)`, line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + more;
}

const PAINT: Record<NodeStatus, (s: string) => string> = {
  built: color.green,
  ran: color.green,
  ephemeral: color.dim,
  pass: color.green,
  reused: color.dim,
  skipped: color.dim,
  warn: color.yellow,
  fail: color.red,
  error: color.red,
  'upstream-failed': color.red,
};
const rowsText = (r: NodeResult) => (r.rows === undefined ? '' : r.kind === 'test' ? `${r.rows} failing` : `${r.rows} rows`);

/** A line for a node that did something or went wrong (skips and passes are only counted). */
export function progressLine(r: NodeResult, index: number, total: number): string | undefined {
  if (r.status === 'skipped' || r.status === 'ephemeral' || r.status === 'pass' || r.status === 'reused') return undefined;
  return `${String(index).padStart(3)}/${total}  ${r.kind.padEnd(8)} ${r.name.padEnd(32)} ${PAINT[r.status](r.status.padEnd(15))} ${rowsText(r).padStart(10)}  ${formatDuration(r.ms)}`;
}

/**
 * The closing table: every seed, model and snapshot (node, status, rows, time), tests that did not
 * pass, and a totals line.
 */
export function formatSummary(report: PipelineReport): string {
  const tests = (status: string) => report.results.filter((r) => r.kind === 'test' && r.status === status);
  const shown = report.results.filter((r) => r.kind !== 'test' || (r.status !== 'pass' && r.status !== 'reused'));
  const rows = shown.map((r) => [
    `${r.kind} ${r.name}${r.hooks ? ` (+${r.hooks} hook${r.hooks > 1 ? 's' : ''})` : ''}`,
    PAINT[r.status](r.status),
    r.rows ?? '',
    formatDuration(r.ms),
  ]);
  for (const status of ['pass', 'reused'] as const) {
    const done = tests(status);
    if (done.length) rows.push([`${done.length} data tests`, PAINT[status](status), '', formatDuration(done.reduce((a, r) => a + r.ms, 0))]);
  }
  const count = (s: string) => report.results.filter((r) => r.status === s).length;
  const totals = ['built', 'skipped', 'ephemeral', 'ran', 'pass', 'reused', 'warn', 'fail', 'error', 'upstream-failed']
    .filter(count)
    .map((s) => `${count(s)} ${s}`);
  const verdict = report.ok ? color.green('OK') : color.red('FAILED');
  const table = rows.length ? `${textTable(['node', 'status', 'rows', 'time'], rows, [2, 3])}\n\n` : '';
  return `${table}${report.tenant}: ${verdict} — ${totals.join(', ') || 'nothing to do'} in ${formatDuration(report.ms)}`;
}
