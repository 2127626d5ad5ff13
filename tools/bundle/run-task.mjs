#!/usr/bin/env node
/**
 * How a task script runs: `node tools/bundle/run-task.mjs <app>/<script> [args…]` (the platform and
 * aurora targets, scripts/, by hand), or `loadTask` from the tenant targets' executor in Nx's worker.
 * It makes the app's bundle current (ensureBundle: a hash check, a rebuild only after a change) and
 * calls the script's `main(argv)` in this same process. This is the one entry of every task script
 * (tests call `main` in-process instead).
 *
 * Arguments from make arrive in MT_ARGS, not on the command line: Nx's run-commands would join them
 * into a shell command line, where `$`, backticks and quotes are interpreted again. MT_ARGS is split
 * here into words like a shell splits them (quotes, backslashes) but nothing is expanded, and only
 * for the target make asked for (MT_ARGS_FOR, e.g. `run` or `phase-*`), not for its dependencies.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBundle } from './bundle.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * Splits like a POSIX shell — '…' literal, "…" with \\ \" \$ \` escapes, \x outside quotes — and
 * expands nothing. Throws on an unterminated quote.
 * @param {string} text
 * @returns {string[]}
 */
export function splitWords(text) {
  /** @type {string[]} */
  const words = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${JSON.stringify(text)}`);
      word += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && '\\"$`'.includes(text[j + 1] ?? '')) j++;
        word += text[j];
      }
      if (j >= text.length) throw new Error(`unterminated " in ${JSON.stringify(text)}`);
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * MT_ARGS, when `target` (the Nx target this task runs) is the one they are for.
 * @param {string | undefined} target
 * @param {NodeJS.ProcessEnv} env
 * @returns {string[]}
 */
export function argsFromMake(target, env = process.env) {
  if (!env.MT_ARGS?.trim()) return [];
  const wanted = (env.MT_ARGS_FOR ?? '').split(/\s+/).filter(Boolean);
  const matches = (/** @type {string} */ pattern) => (pattern.endsWith('*') ? target?.startsWith(pattern.slice(0, -1)) : target === pattern);
  if (!target || !wanted.some(matches)) return [];
  try {
    return splitWords(env.MT_ARGS);
  } catch (err) {
    throw new Error(
      `error [BAD_ARGS] ARGS cannot be split into words: ${/** @type {Error} */ (err).message}. Quote with '…' or "…" and close every quote, e.g. ARGS="--sql 'select 1'".`,
      { cause: err },
    );
  }
}

/**
 * The `main` of apps/<app>/src/<script>.ts, from its bundle (made current first).
 * @param {string} app
 * @param {string} script
 * @returns {Promise<(argv: string[], io?: object) => Promise<number>>}
 */
export async function loadTask(app, script) {
  // MT_FROM_SOURCE=1 (with `node --import tsx`) runs the TypeScript itself: for a debugger, or to compare.
  const fromSource = process.env.MT_FROM_SOURCE === '1';
  const file = fromSource ? join(ROOT, 'apps', app, 'src', `${script}.ts`) : join(ROOT, 'dist', 'tasks', app, `${script}.mjs`);
  if (!fromSource) await ensureBundle(app);
  // The AWS SDK warns on Node < 22 that its *later* versions will need it; the version here is pinned in
  // package-lock.json and works, so that eight-line notice on every AWS task is noise (set "false" to see it).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return (await import(pathToFileURL(file).href)).main;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [task, ...args] = process.argv.slice(2);
  const [app, script] = (task ?? '').split('/');
  if (!app || !script) {
    console.error('usage: node tools/bundle/run-task.mjs <app>/<script> [args…]   (e.g. tenant/tenant-run --tenant tenant_a)');
    process.exit(2);
  }
  // `… | head` closes the pipe early: that is the reader's choice, not a crash.
  process.stdout.on('error', (err) => {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  let fromMake;
  try {
    fromMake = argsFromMake(process.env.NX_TASK_TARGET_TARGET);
  } catch (err) {
    console.error(/** @type {Error} */ (err).message);
    process.exit(2);
  }
  const main = await loadTask(app, script);
  process.exitCode = await main([...args, ...fromMake]);
}
