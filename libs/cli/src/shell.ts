/**
 * A word for a POSIX shell line: single-quoted, `'` as `'\''`. Not zx's `quote`, whose `$'…'` form is
 * bash only: these lines are read by /bin/sh (pg_ctl's -o, the bastion's commands, the emulator's shims).
 */
export const shellQuote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;
