import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { TaskError, formatDuration, isTaskError } from '@mt/cli';
import { formatAligned, runScript } from '@mt/sql';
import type { AuroraConfig, Tenant } from '@mt/tenant-config';
import { renderPhase, type PhaseFile } from './render.ts';
import { HISTORY_DDL, LOOKUP_SQL_PG, RECORD_SQL_PG, isRecorded, runsInTransaction } from './history.ts';
import { withAdvisoryLock, withClient, withTransaction, type DatabaseAccess } from '@mt/postgres';

export interface PhaseOptions {
  root: string;
  config: AuroraConfig;
  tenants: Tenant[];
  phase: string;
  db: DatabaseAccess;
  /** Re-apply files whose content changed since they were applied. */
  force?: boolean;
  /** Progress lines (stderr); results (stdout) go to `print`. */
  log: (line: string) => void;
  print: (text: string) => void;
}

export interface FileOutcome {
  file: string;
  status: 'applied' | 'unchanged' | 'ran';
  statements: number;
  ms: number;
}

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
  await db.ensureUp();
  return withClient(connectPhaseDatabase(db, database, phase), async (client) => {
    if (!isRecorded(phase)) return runEach(client, files, options);
    // One phase at a time per database: two setups cannot interleave their files.
    return withAdvisoryLock(client, 'aurora-setup', async () => {
      await client.query(HISTORY_DDL);
      return applyEach(client, files, options);
    });
  });
}

function connectPhaseDatabase(db: DatabaseAccess, database: string, phase: string): Promise<pg.Client> {
  return db.connect(database).catch((err) => {
    if (isTaskError(err) && err.code === 'DB_NOT_FOUND' && phase !== 'database') {
      throw new TaskError('DB_NOT_FOUND', `${err.message} The ${phase} phase runs in it, and the database phase creates it.`, {
        hint: 'Run the database phase first: npx nx run aurora:phase --phase=database (or every phase in order: npx nx run aurora:setup).',
      });
    }
    throw err;
  });
}

/** The database phase and verification: every file runs, nothing is recorded. */
async function runEach(client: pg.Client, files: PhaseFile[], options: PhaseOptions): Promise<FileOutcome[]> {
  const outcomes: FileOutcome[] = [];
  for (const f of files) {
    const t0 = performance.now();
    const statements = await runFile(client, options.root, f, options.phase, options.print);
    const ms = performance.now() - t0;
    outcomes.push({ file: f.file, status: 'ran', statements, ms });
    options.log(`  ${f.file}: ran (${statements} statements, ${formatDuration(ms)})`);
  }
  return outcomes;
}

/** Recorded phases: an applied, unchanged file is skipped; an applied file and its history row go together. */
async function applyEach(client: pg.Client, files: PhaseFile[], options: PhaseOptions): Promise<FileOutcome[]> {
  const outcomes: FileOutcome[] = [];
  for (const f of files) {
    const t0 = performance.now();
    const applied = (await client.query(LOOKUP_SQL_PG, [f.file])).rows[0];
    if (applied && applied.checksum === f.checksum && applied.rendered_checksum === f.renderedChecksum) {
      outcomes.push({ file: f.file, status: 'unchanged', statements: 0, ms: performance.now() - t0 });
      options.log(`  ${f.file}: already applied, unchanged`);
      continue;
    }
    if (applied && applied.checksum !== f.checksum && !options.force) {
      throw new TaskError(
        'AURORA_FILE_CHANGED',
        `${f.file} was applied on ${applied.applied_at} and has changed since (checksum ${applied.checksum.slice(0, 12)} → ${f.checksum.slice(0, 12)}); it was not applied again.`,
        {
          hint: 'Put new changes in a new file of the phase, or re-apply this one with --force (make sure it is safe to run twice).',
        },
      );
    }
    // Same file, other tenants: the phase files are written to be re-run, so new tenants get applied.
    if (applied && applied.checksum === f.checksum) options.log(`  ${f.file}: the tenant registry changed, applying again`);
    // In a transaction the history takes the transaction's age as the duration; outside one, ours.
    const applyAndRecord = async (elapsed?: () => number) => {
      const statements = await runFile(client, options.root, f, options.phase, options.print);
      await client.query(RECORD_SQL_PG, [f.file, options.phase, f.checksum, f.renderedChecksum, elapsed ? Math.round(elapsed()) : null]);
      return statements;
    };
    const statements = runsInTransaction(f.sql) ? await withTransaction(client, () => applyAndRecord()) : await applyAndRecord(() => performance.now() - t0);
    const ms = performance.now() - t0;
    outcomes.push({ file: f.file, status: 'applied', statements, ms });
    options.log(`  ${f.file}: applied (${statements} statements, ${formatDuration(ms)})`);
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
