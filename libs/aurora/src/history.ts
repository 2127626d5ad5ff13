/**
 * The applied-files history (Flyway-like), kept in the phase's database by a local run and by the
 * bastion's scripts/sql-execute.sh alike: the SQL is written once, here, with psql variables, and
 * shipped in the bundle (history.sql, record.sql); the local run binds the same names as parameters.
 */
export const HISTORY = 'aurora_setup.applied_files';

export const HISTORY_DDL = `create schema if not exists aurora_setup;
create table if not exists ${HISTORY} (
  file text primary key, phase text not null, checksum text not null, rendered_checksum text not null,
  applied_at timestamptz not null default now(), duration_ms integer not null)`;

/**
 * Records one applied file. It normally runs in the file's own transaction, whose age is then the
 * file's duration; a file run outside one (NO_TRANSACTION) passes its duration as :ms.
 */
export const RECORD_SQL = `insert into ${HISTORY} (file, phase, checksum, rendered_checksum, duration_ms)
values (:'file', :'phase', :'checksum', :'rendered', coalesce(:ms::integer, (extract(epoch from clock_timestamp() - now()) * 1000)::integer))
on conflict (file) do update set checksum = excluded.checksum, rendered_checksum = excluded.rendered_checksum,
  applied_at = now(), duration_ms = excluded.duration_ms`;

/** An applied file's checksums and when it was applied (UTC, to the second, as both runs print it). */
export const LOOKUP_SQL = `select checksum, rendered_checksum, to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as applied_at
from ${HISTORY} where file = :'file'`;

/** psql's :'name' / :name variables as $1, $2 … in the order of `names`, for the local run. */
const positional = (sql: string, names: string[]) => sql.replace(/:'(\w+)'|:(\w+)(?=::)/g, (_, quoted, bare) => `$${names.indexOf(quoted ?? bare) + 1}`);
export const RECORD_SQL_PG = positional(RECORD_SQL, ['file', 'phase', 'checksum', 'rendered', 'ms']);
export const LOOKUP_SQL_PG = positional(LOOKUP_SQL, ['file']);

/**
 * History lives in the target database. The database phase runs before it exists (and is idempotent
 * through \gexec); verification only reads: both simply run every time.
 */
export const isRecorded = (phase: string) => phase !== 'database' && phase !== 'verification';

/**
 * A recorded file runs in one transaction with its history row, so a failure leaves neither. A file
 * whose first line is this marker runs outside one (CREATE INDEX CONCURRENTLY, VACUUM …), as in
 * graphile-migrate, and is recorded once it has run.
 */
export const NO_TRANSACTION = '--! no-transaction';
export const runsInTransaction = (sql: string) => !sql.trimStart().startsWith(NO_TRANSACTION);
