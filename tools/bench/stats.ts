/** The bench's arithmetic: the middle of a sample (the mean of the two middle values for an even count), and seconds. */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
}

export const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A row of the goals table: what, the measurement, the peak memory, the goal, and whether it is missed by more than 20 %. */
export interface ScaleRow {
  what: string;
  value: string;
  memory?: string;
  goal: string;
  missed: boolean;
}
