export { splitStatements, type SqlStatement, type SplitOptions } from './split.ts';
export { formatAligned, displayWidth, type AlignedResult, type AlignedOptions } from './aligned.ts';
export { queryRaw, type RawField, type RawResult } from './raw-query.ts';
export { locateSqlError, lineColumnAt, type SqlErrorContext } from './error-location.ts';
export { runScript, type ScriptStep } from './run-script.ts';
export { connectionLost } from './connection-lost.ts';
