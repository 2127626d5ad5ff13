export { TaskError, isTaskError, maskSecrets } from './errors.ts';
export type { ErrorCode } from './codes.ts';
export { color, formatDuration, textTable } from './output.ts';
export { log, step, type StepOptions } from './step.ts';
export { taskMain, formatError, type TaskMain } from './main.ts';
export { taskCli, parseOptions } from './args.ts';
export { io, out, type TaskIO, type OutputStream } from './io.ts';
export { shellQuote } from './shell.ts';
export { IDENTIFIER_PATTERN, isValidIdentifier } from './identifier.ts';
