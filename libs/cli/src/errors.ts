import type { ErrorCode } from './codes.ts';

/**
 * User-facing errors: a stable code, a one-paragraph message that names the file/line or value,
 * and the next step. The top-level handler (runMain) prints them without a stack trace.
 */
export class TaskError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaskError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

export const isTaskError = (e: unknown): e is TaskError => e instanceof TaskError;

/** Replaces every occurrence of the given secrets by `****` (used by the handler and by `info`). */
export function maskSecrets(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('****');
  return out;
}
