export { renderPhase, phaseOfPath, zeroEtlFilter, AURORA_SQL_DIR, type PhaseFile } from './render.ts';
export { runPhaseLocally, isRecorded, HISTORY, HISTORY_DDL, type PhaseOptions, type FileOutcome, type Database } from './local.ts';
