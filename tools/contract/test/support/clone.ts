/**
 * Throw-away clones for the contract tests: the working tree as it is (tracked and untracked files,
 * not the ignored ones) committed into a source repository, then `git clone`d, so the clone has a
 * remote whose HEAD is that branch — what a user has after cloning. Each clone runs its own embedded
 * PostgreSQL (.data/pg in the clone). node_modules is not installed again: the clone gets a folder of
 * links to this repository's packages, with its own workspace links (@mt/*) to its own sources.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

export const REPO = join(import.meta.dirname, '..', '..', '..', '..');
const exec = promisify(execFile);

export interface Typed {
  command: string;
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together. */
  out: string;
}

export interface Clone {
  root: string;
  /** Runs a command line with bash in the clone, as a user types it; never throws. */
  type(command: string, options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number; stdin?: string }): Promise<Typed>;
  git(...args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

/** Variables of this test process that a user's shell would not have, or that would steer the commands. */
const STEERING =
  /^(TENANT|TENANT_NAME|ARGS|PHASE|ENV|BASE|PG_MODE|PG_DATA_DIR|DATABASE_URL|PG(HOST|PORT|USER|PASSWORD|DATABASE)|NX_.*|MT_.*|AVA_.*|TEST_.*|NODE_OPTIONS|MAKEFLAGS|MAKELEVEL|MFLAGS)$/;

export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!STEERING.test(k)) env[k] = v;
  // No Nx daemon: it would outlive the test. Everything else as a user has it.
  return { ...env, NX_DAEMON: 'false', NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

const gitIn =
  (cwd: string) =>
  async (...args: string[]) =>
    (
      await exec('git', ['-c', 'user.email=contract@example.com', '-c', 'user.name=contract', '-c', 'init.defaultBranch=main', ...args], {
        cwd,
        maxBuffer: 64 << 20,
      })
    ).stdout;

/**
 * @param branch  the branch of the source repository, so of the clone (`master` for the clone whose
 *                branch is not main)
 * @param remote  false: no clone, the source repository itself (no origin at all)
 * @param parent  where to put it (default a fresh folder under the system temp dir)
 */
export async function makeClone(options: { branch?: string; remote?: boolean; parent?: string } = {}): Promise<Clone> {
  const branch = options.branch ?? 'main';
  const parent = options.parent ?? mkdtempSync(join(tmpdir(), 'mt-contract-'));
  // The embedded server runs as the `postgres` user when we are root: it must reach the data folder.
  if (!options.parent) chmodSync(parent, 0o755);
  const source = join(parent, 'source');
  mkdirSync(source);
  const files = (await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, maxBuffer: 64 << 20 })).stdout
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(source, file)), { recursive: true });
    try {
      copyFileSync(join(REPO, file), join(source, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted in the working tree
    }
  }
  await gitIn(source)('init', '-q', '-b', branch);
  await gitIn(source)('add', '-A');
  await gitIn(source)('commit', '-qm', 'the working tree');
  let root = source;
  if (options.remote !== false) {
    root = join(parent, 'clone');
    await gitIn(parent)('clone', '-q', source, root);
  }
  linkNodeModules(root);
  const git = gitIn(root);
  return {
    root,
    git,
    type: (command, { env = {}, timeoutMs = 180_000, stdin } = {}) =>
      new Promise((resolve) => {
        const child = execFile('bash', ['-c', command], { cwd: root, env: userEnv(env), timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 124) : 0;
          resolve({ command, code, stdout, stderr, out: stdout + stderr });
        });
        // A command that ends before reading its input closes the pipe first: EPIPE, nothing to report.
        child.stdin?.on('error', () => {});
        child.stdin?.end(stdin ?? '');
      }),
    async cleanup() {
      // The clone's own server: stopped the way a user stops it.
      await exec('bash', ['-c', './node_modules/.bin/nx run platform:down >/dev/null 2>&1 || true'], { cwd: root, env: userEnv() }).catch(() => {});
      for (const dir of options.parent ? [source, join(parent, 'clone')] : [parent]) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * node_modules as a real folder of links into this repository's packages — so a stray `npm ci` in
 * the clone could only remove links — with @mt/* pointing at the clone's own workspaces, and its own
 * .package-lock.json (newer than package.json: make sees the install as done).
 */
function linkNodeModules(root: string): void {
  const from = join(REPO, 'node_modules');
  const to = join(root, 'node_modules');
  mkdirSync(join(to, '@mt'), { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry === '@mt' || entry === '.package-lock.json') continue;
    symlinkSync(join(from, entry), join(to, entry));
  }
  // Workspace links are relative (../../libs/cli): the same link in the clone reaches the clone's folder.
  for (const link of readdirSync(join(from, '@mt'))) symlinkSync(readlinkSync(join(from, '@mt', link)), join(to, '@mt', link));
  copyFileSync(join(from, '.package-lock.json'), join(to, '.package-lock.json'));
}
