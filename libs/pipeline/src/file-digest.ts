/**
 * The sha256 of a (large) file, remembered by its size, modification time and inode in
 * .data/file-digests.json, as git's index does: a warm run of a tenant with a 50 MB seed does not read
 * it again. A digest is remembered only for a file whose time is older than the file system's
 * resolution allows a later write to hide behind; a file read in that window is hashed again next time.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeAtomic } from './write-atomic.ts';

const CACHE = join('.data', 'file-digests.json');
const RACY_MS = 2_000;

interface Entry {
  size: number;
  mtimeNs: string;
  ino: number;
  sha256: string;
}

const caches = new Map<string, Record<string, Entry>>();

function cacheOf(root: string): Record<string, Entry> {
  let cache = caches.get(root);
  if (!cache) {
    try {
      cache = JSON.parse(readFileSync(join(root, CACHE), 'utf8')) as Record<string, Entry>;
    } catch {
      cache = {};
    }
    caches.set(root, cache);
  }
  return cache;
}

/** `file` relative to `root`. */
export function fileDigest(root: string, file: string): string {
  const path = resolve(root, file);
  const stat = statSync(path, { bigint: true });
  const key = { size: Number(stat.size), mtimeNs: String(stat.mtimeNs), ino: Number(stat.ino) };
  const cache = cacheOf(root);
  const known = cache[file];
  if (known && known.size === key.size && known.mtimeNs === key.mtimeNs && known.ino === key.ino) return known.sha256;
  const sha256 = hashFile(path);
  if (Date.now() - Number(stat.mtimeMs) > RACY_MS) {
    cache[file] = { ...key, sha256 };
    save(root, cache);
  }
  return sha256;
}

function hashFile(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buffer)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Two runs at once never see half a file (the last one's entries win). */
function save(root: string, cache: Record<string, Entry>) {
  const path = join(root, CACHE);
  try {
    writeAtomic(path, JSON.stringify(cache));
  } catch {
    // Only a cache: a read-only workspace hashes again next time.
  }
}
