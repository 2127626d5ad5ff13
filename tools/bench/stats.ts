import { join } from 'node:path';

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
