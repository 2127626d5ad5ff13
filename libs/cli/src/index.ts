export { TaskError, isTaskError, maskSecrets } from './errors.ts';
export type { ErrorCode } from './codes.ts';
export { color, formatDuration, textTable } from './output.ts';
export { log, step, type StepOptions } from './step.ts';
export { runMain, formatError } from './main.ts';
export { taskCli } from './args.ts';
export { shellQuote } from './shell.ts';
export { IDENTIFIER_PATTERN, isValidIdentifier } from './identifier.ts';
