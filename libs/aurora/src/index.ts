export { renderPhase, phaseOfPath, zeroEtlFilter, AURORA_SQL_DIR, type PhaseFile } from './render.ts';
export { runPhaseLocally, type PhaseOptions, type FileOutcome } from './local.ts';
export { HISTORY_DDL, LOOKUP_SQL, RECORD_SQL, NO_TRANSACTION, isRecorded } from './history.ts';
