import { join } from 'node:path';
import { fdir } from 'fdir';

/**
 * Files of one kind under a folder (none when it does not exist), sorted, as paths relative to the
 * workspace root. Dot-files count; links are followed, into folders too, and keep their own path.
 */
export function filesUnder(root: string, dir: string, ext: string): string[] {
  return new fdir()
    .withRelativePaths()
    .withSymlinks({ resolvePaths: false })
    .filter((path) => path.endsWith(ext))
    .crawl(join(root, dir))
    .sync()
    .sort()
    .map((f) => join(dir, f));
}
