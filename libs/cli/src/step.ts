import { format } from 'node:util';
import { io, type OutputStream } from './io.ts';
import { formatDuration } from './output.ts';

/** Where a step draws: the task's stderr, or a fake in tests. */
export type StepStream = OutputStream;

export interface StepOptions {
  /**
   * false when the caller prints the outcome itself, with its time (`started: … (1.20 s)`): the step
   * then only shows the spinner. Default true: the step ends with `label … done in 1.20 s`.
   */
  summary?: boolean;
  /** Tests: where to draw (default the task's stderr), the clock in ms, the environment (CI). */
  stream?: StepStream;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}

/** zx's spinner frames. */
const FRAMES = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
const FRAME_MS = 100;
/** Off a terminal, a step says that it ended only when it took at least this long. */
const SLOW_MS = 1000;
/** To the start of the line, and erase it. */
const CLEAR = '\r\x1b[K';

interface Spinner {
  /** The steps running on this stream, innermost last: the spinner shows the innermost. */
  labels: string[];
  frame: number;
  shown: boolean;
  timer: NodeJS.Timeout;
}

const spinners = new Map<StepStream, Spinner>();

/**
 * zx's `spinner` for the long, silent waits of a task (starting the server, initdb, the bastion):
 * on a terminal (stderr a TTY, CI unset) one line `⠋ label` turns while `fn` runs, and is replaced by
 * `label … done in 1.20 s` when it ends. Elsewhere (CI, tests, `2> file`) nothing is drawn and only
 * a step that took a second or more prints that line, so logs of fast runs stay as they were.
 *
 * A failing step leaves nothing behind: its line is cleared and the error goes on to the caller (runMain
 * prints it). A step inside another takes over the spinner line until it ends; `log` clears the line
 * before it prints. Not zx's own `spinner`, which draws on any stream outside CI and clears the line by
 * the width of stdout, unknown whenever the results are redirected (`--json > file`), so its frame was left on screen.
 */
export async function step<T>(label: string, fn: () => T | Promise<T>, options: StepOptions = {}): Promise<T> {
  const { stream = io().stderr, now = () => performance.now(), env = io().env, summary = true } = options;
  const live = !!stream.isTTY && !env.CI && env.TERM !== 'dumb';
  const t0 = now();
  const stop = live ? spin(stream, label) : undefined;
  let result: T;
  try {
    result = await fn();
  } finally {
    stop?.();
  }
  const ms = now() - t0;
  if (summary && (live || ms >= SLOW_MS)) stream.write(`${label} … done in ${formatDuration(ms)}\n`);
  return result;
}

/** Progress and diagnostics go to stderr so stdout stays clean for results (`--json`). A turning spinner is cleared first. */
export const log = (...parts: unknown[]): void => {
  const { stderr } = io();
  hide(stderr);
  stderr.write(`${format(...parts)}\n`);
};

function spin(stream: StepStream, label: string): () => void {
  let s = spinners.get(stream);
  if (!s) {
    const created: Spinner = { labels: [], frame: 0, shown: false, timer: setInterval(() => draw(stream, created), FRAME_MS) };
    // A step never keeps the process alive by itself.
    created.timer.unref();
    spinners.set(stream, (s = created));
  }
  const spinner = s;
  spinner.labels.push(label);
  return () => {
    spinner.labels.splice(spinner.labels.lastIndexOf(label), 1);
    hide(stream);
    if (spinner.labels.length) return;
    clearInterval(spinner.timer);
    spinners.delete(stream);
  };
}

function draw(stream: StepStream, s: Spinner): void {
  const label = s.labels.at(-1) ?? '';
  const indent = /^\s*/.exec(label)![0];
  const text = `${indent}${FRAMES[s.frame++ % FRAMES.length]} ${label.trimStart()}`;
  // Never wider than the terminal: a wrapped line could not be redrawn in place. The cursor waits at its start.
  stream.write(`${CLEAR}${text.slice(0, (stream.columns || 80) - 1)}\r`);
  s.shown = true;
}

/** Clears the spinner line of `stream`, if one is drawn; its next frame draws it again. */
function hide(stream: StepStream): void {
  const s = spinners.get(stream);
  if (!s?.shown) return;
  stream.write(CLEAR);
  s.shown = false;
}
