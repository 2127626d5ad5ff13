import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { TaskError, formatDuration, isTaskError } from '@mt/cli';
import { formatAligned, runScript } from '@mt/sql';
import type { AuroraConfig, Tenant } from '@mt/tenant-config';
import { renderPhase, type PhaseFile } from './render.ts';

/** What the local transport needs from the database engine (see @mt/postgres). */
export interface Database {
  ensureUp(): Promise<unknown>;
  connect(database: string): Promise<pg.Client>;
}

export interface PhaseOptions {
  root: string;
  config: AuroraConfig;
  tenants: Tenant[];
  phase: string;
  db: Database;
  /** Re-apply files whose content changed since they were applied. */
  force?: boolean;
  /** Progress lines (stderr); results (stdout) go to `print`. */
  log: (line: string) => void;
  print: (text: string) => void;
}

/**
 * History lives in the target database. The database phase runs before it exists (and is idempotent
 * through \gexec); verification only reads: both simply run every time.
 */
export const isRecorded = (phase: string) => phase !== 'database' && phase !== 'verification';

export interface FileOutcome {
  file: string;
  status: 'applied' | 'unchanged' | 'ran';
  statements: number;
  ms: number;
}

export const HISTORY = 'aurora_setup.applied_files';
/** Also shipped to the bastion (history.sql), whose script keeps the same history. */
export const HISTORY_DDL = `create schema if not exists aurora_setup;
create table if not exists ${HISTORY} (
  file text primary key, phase text not null, checksum text not null, rendered_checksum text not null,
  applied_at timestamptz not null default now(), duration_ms integer not null)`;

/**
 * Runs one phase against our PostgreSQL, like `psql -v ON_ERROR_STOP=1 -f` per file (runScript).
 * Files are recorded with their checksums in the phase's database (Flyway-like): an applied, unchanged
 * file is skipped; an edited one is refused unless --force; one whose rendering changed only because
 * the tenant registry did is applied again (phase files are written to be re-runnable). Verification
 * files only read, and print their results in psql's aligned format.
 */
export async function runPhaseLocally(options: PhaseOptions): Promise<FileOutcome[]> {
  const { root, config, phase, db } = options;
  const database = config.phases[phase].connectionDb;
  const files = renderPhase(root, phase, options.tenants, config.phases.schema?.connectionDb);
  const recorded = isRecorded(phase);
  await db.ensureUp();
  const client = await db.connect(database).catch((err) => {
    if (isTaskError(err) && err.code === 'DB_NOT_FOUND' && phase !== 'database') {
      throw new TaskError('DB_NOT_FOUND', `${err.message} The ${phase} phase runs in it, and the database phase creates it.`, {
        hint: 'Run the database phase first: npx nx run aurora:phase --phase=database (or every phase in order: npx nx run aurora:setup).',
      });
    }
    throw err;
  });
  const outcomes: FileOutcome[] = [];
  try {
    if (recorded) {
      // One phase at a time per database: two setups cannot interleave their files.
      await client.query(`select pg_advisory_lock(hashtext('aurora-setup'))`);
      await client.query(HISTORY_DDL);
    }
    for (const f of files) {
      const t0 = performance.now();
      const applied = recorded ? (await client.query(`select checksum, rendered_checksum, applied_at from ${HISTORY} where file = $1`, [f.file])).rows[0] : undefined;
      if (applied && applied.checksum === f.checksum && applied.rendered_checksum === f.renderedChecksum) {
        outcomes.push({ file: f.file, status: 'unchanged', statements: 0, ms: performance.now() - t0 });
        options.log(`  ${f.file}: already applied, unchanged`);
        continue;
      }
      if (applied && applied.checksum !== f.checksum && !options.force) {
        throw new TaskError('AURORA_FILE_CHANGED', `${f.file} was applied on ${new Date(applied.applied_at).toISOString()} and has changed since (checksum ${applied.checksum.slice(0, 12)} → ${f.checksum.slice(0, 12)}); it was not applied again.`, {
          hint: 'Put new changes in a new file of the phase, or re-apply this one with --force (make sure it is safe to run twice).',
        });
      }
      // Same file, other tenants: the phase files are written to be re-run, so new tenants get applied.
      if (applied && applied.checksum === f.checksum) options.log(`  ${f.file}: the tenant registry changed, applying again`);
      const statements = await runFile(client, root, f, phase, options.print);
      const ms = performance.now() - t0;
      if (recorded) {
        await client.query(
          `insert into ${HISTORY} (file, phase, checksum, rendered_checksum, duration_ms) values ($1, $2, $3, $4, $5)
           on conflict (file) do update set checksum = excluded.checksum, rendered_checksum = excluded.rendered_checksum,
             applied_at = now(), duration_ms = excluded.duration_ms`,
          [f.file, phase, f.checksum, f.renderedChecksum, Math.round(ms)],
        );
      }
      outcomes.push({ file: f.file, status: recorded ? 'applied' : 'ran', statements, ms });
      options.log(`  ${f.file}: ${recorded ? 'applied' : 'ran'} (${statements} statements, ${formatDuration(ms)})`);
    }
  } finally {
    await client.end();
  }
  return outcomes;
}

async function runFile(client: pg.Client, root: string, f: PhaseFile, phase: string, print: (text: string) => void): Promise<number> {
  // A templated file's errors point into its rendered copy, kept under dist/ for reading.
  const shown = f.templated ? join('dist', 'aurora', 'rendered', f.file) : f.file;
  if (f.templated) {
    mkdirSync(dirname(join(root, shown)), { recursive: true });
    writeFileSync(join(root, shown), f.sql);
  }
  return runScript(client, f.sql, {
    file: shown,
    onResult: ({ result }) => {
      if (phase === 'verification' && result.fields.length) print(formatAligned(result));
    },
  });
}
