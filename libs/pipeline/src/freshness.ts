/**
 * dbt's `source freshness`: for every source table with a `loaded_at_field` and `freshness`, the newest
 * value of that expression against now, judged by `warn_after` / `error_after`. Read as the tenant's
 * reader role in a read-only transaction.
 */
import { freshnessOf, type SourceFreshness } from '@mt/lake';
import { withClient, withTransaction } from '@mt/postgres';
import { formatError, TaskError } from '@mt/cli';
import { loadProject } from './project.ts';
import { relationName } from './render.ts';
import type { InspectOptions } from './inspect.ts';

export interface FreshnessRow {
  source: string;
  table: string;
  /** The newest loaded_at value, as the server prints a timestamptz (null: no rows). */
  maxLoadedAt: string | null;
  ageSeconds: number | null;
  status: 'pass' | 'warn' | 'error' | 'runtime error';
  criteria: SourceFreshness;
  detail?: string;
}

const SECONDS = { minute: 60, hour: 3600, day: 86400 };
const seconds = (age?: { count: number; period: keyof typeof SECONDS }) => (age ? age.count * SECONDS[age.period] : undefined);

/** The source tables that declare freshness, as `<source>.<table>` with their relation. */
function declared(options: InspectOptions) {
  const project = loadProject(options.root, options.tenant, options.env, { vars: options.vars });
  const tables: Array<{ source: string; table: string; relation: string; criteria: SourceFreshness }> = [];
  for (const source of project.sources.values()) {
    for (const table of source.tables ?? []) {
      const { freshness } = freshnessOf(source, table);
      if (freshness)
        tables.push({
          source: source.name,
          table: table.name,
          relation: relationName(source.schema ?? source.name, table.identifier ?? table.name),
          criteria: freshness,
        });
    }
  }
  for (const t of project.external)
    if (t.freshness) tables.push({ source: t.source, table: t.name, relation: relationName(t.schema, t.name), criteria: t.freshness });
  return tables;
}

/** `--select lake` or `lake.orders` (also `source:lake.orders`, wildcards): which tables to check. */
function picked(name: string, selectors: string[]): boolean {
  if (!selectors.length) return true;
  return selectors
    .flatMap((s) => s.split(/\s+/))
    .filter(Boolean)
    .map((s) => s.replace(/^source:/, ''))
    .some((s) => {
      const like = new RegExp(`^${s.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}(\\..*)?$`);
      return like.test(name);
    });
}

export async function sourceFreshness(options: InspectOptions): Promise<FreshnessRow[]> {
  const tables = declared(options).filter((t) => picked(`${t.source}.${t.table}`, options.select ?? []));
  if (!tables.length) {
    throw new TaskError('UNKNOWN_SELECTOR', `No source ${options.select?.length ? `matching ${options.select.join(' ')} ` : ''}declares freshness.`, {
      hint: 'Give a source (or one of its tables) loaded_at_field: <column> and freshness: { warn_after: { count: 12, period: hour }, error_after: … }.',
    });
  }
  await options.db.ensureUp();
  return withClient(options.db.connectTenant(options.tenant, 'reader'), (client) =>
    withTransaction(
      client,
      async () => {
        const rows: FreshnessRow[] = [];
        for (const t of tables) {
          const c = t.criteria;
          const sql = `select max(${c.loadedAtField})::timestamptz::text as max_loaded_at, extract(epoch from now() - max(${c.loadedAtField})::timestamptz)::float8 as age from ${t.relation}${c.filter ? ` where ${c.filter}` : ''}`;
          await client.query('savepoint freshness');
          try {
            const {
              rows: [r],
            } = await client.query(sql);
            const age = r.age === null ? null : Number(r.age);
            const over = (limit?: number) => limit !== undefined && (age === null || age > limit);
            const status = over(seconds(c.errorAfter)) ? 'error' : over(seconds(c.warnAfter)) ? 'warn' : 'pass';
            rows.push({
              source: t.source,
              table: t.table,
              maxLoadedAt: r.max_loaded_at,
              ageSeconds: age,
              status,
              criteria: c,
              ...(age === null ? { detail: 'no rows' } : {}),
            });
          } catch (err) {
            await client.query('rollback to savepoint freshness');
            rows.push({
              source: t.source,
              table: t.table,
              maxLoadedAt: null,
              ageSeconds: null,
              status: 'runtime error',
              criteria: c,
              detail: formatError(err),
            });
          }
        }
        return rows;
      },
      { readOnly: true },
    ),
  );
}

/** `3d 4h`, `5h 2m`, `42s`: an age as people read it. */
export function formatAge(totalSeconds: number | null): string {
  if (totalSeconds === null) return '';
  const s = Math.max(0, Math.round(totalSeconds));
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}
