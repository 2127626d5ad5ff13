export { renderPhase, phaseOfPath, zeroEtlFilter, AURORA_SQL_DIR, type PhaseFile } from './render.ts';
export { runPhaseLocally, type PhaseOptions, type FileOutcome } from './local.ts';
export { HISTORY, HISTORY_DDL, RECORD_SQL, NO_TRANSACTION, isRecorded } from './history.ts';
