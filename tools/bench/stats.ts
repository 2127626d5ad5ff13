import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { $, type ProcessOutput } from 'zx';

/** The middle of a sample (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
}

/** Milliseconds as seconds, two decimals. */
export const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A row of the goals table: what, the measurement, the peak memory, the goal, and whether it is missed by more than 20 %. */
export interface ScaleRow {
  what: string;
  value: string;
  memory?: string;
  goal: string;
  missed: boolean;
}

/** The goals table, as `make bench` ends. */
export function printGoals(rows: ScaleRow[]): void {
  console.log('\n| at scale | measured | peak memory | goal |\n| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.what} | ${r.value}${r.missed ? ' (missed)' : ''} | ${r.memory ?? ''} | ${r.goal} |`);
}

/**
 * The environment the bench's commands run in: its own server, no colour, no daemon, Nx's plugin
 * in-process. Under `nx run workspace:bench` the environment carries the outer task's NX_* variables and
 * FORCE_COLOR=true, which makes a nested cached `nx run` ~0.4 s slower than what users see: dropped.
 */
export function benchEnv(root: string) {
  const user = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NX_') && k !== 'FORCE_COLOR'));
  return {
    ...user,
    PG_MODE: 'embedded',
    PG_DATA_DIR: join(root, '.data', 'bench-pg'),
    NO_COLOR: '1',
    NX_DAEMON: 'false',
    NX_ISOLATE_PLUGINS: 'false',
    NX_TUI: 'false',
  };
}

const HAS_TIME = existsSync('/usr/bin/time');

/**
 * A command run as typed, under GNU time when the machine has it: its output, wall time and the peak
 * memory (maxrss) of its largest process, in MB (0 without GNU time).
 */
export function measured(command: string[], cwd: string, env: NodeJS.ProcessEnv): { r: ProcessOutput; ms: number; mb: number } {
  const t0 = performance.now();
  const r = $({ sync: true, cwd, env, quiet: true, nothrow: true })`${HAS_TIME ? ['/usr/bin/time', '-f', 'maxrss=%M'] : []} ${command}`;
  return { r, ms: performance.now() - t0, mb: Number(/maxrss=(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024 };
}

/** The largest peak memory of some runs, for the goals table ('' without GNU time). */
export const peakOf = (runs: Array<{ mb: number }>) => (HAS_TIME ? `${Math.round(Math.max(0, ...runs.map((x) => x.mb)))} MB` : '');
