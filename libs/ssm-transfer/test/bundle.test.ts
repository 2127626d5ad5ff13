/**
 * buildBundle on a copy of this workspace's sql/, scripts/, tenants/ and config.json (no AWS, no
 * database): the same content gives the same bytes, and no symbolic link in a transferred folder
 * gets through, whatever it points to.
 */
import test from 'ava';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskError } from '@mt/cli';
import { loadAllTenants, loadAuroraConfig } from '@mt/tenant-config';
import { buildBundle } from '../src/bundle.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');

function workspace(t: { teardown(fn: () => void): void }): { root: string; build: () => ReturnType<typeof buildBundle> } {
  const root = mkdtempSync(join(tmpdir(), 'mt-bundle-test-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const part of ['sql', 'scripts', 'tenants', 'config.json']) cpSync(join(REPO, part), join(root, part), { recursive: true });
  return { root, build: () => buildBundle(root, loadAuroraConfig(root), loadAllTenants(root)) };
}

test('the same content gives the same bytes; dot-files and nested files of a transferred folder go, empty folders do not', async (t) => {
  const ws = workspace(t);
  mkdirSync(join(ws.root, 'scripts/lib/.config'), { recursive: true });
  mkdirSync(join(ws.root, 'scripts/empty'));
  writeFileSync(join(ws.root, 'scripts/lib/.config/settings'), 'x=1\n');
  writeFileSync(join(ws.root, 'scripts/lib/helper.sh'), 'echo hi\n');
  writeFileSync(join(ws.root, 'scripts/lib.txt'), 'sorted before lib/ by name\n');
  const first = await ws.build();
  const again = await ws.build();
  t.is(again.sha256, first.sha256);
  t.true(first.data.equals(again.data));
  t.deepEqual(first.files, [...first.files].sort(), 'names in sorted order');
  t.true(['scripts/lib.txt', 'scripts/lib/.config/settings', 'scripts/lib/helper.sh'].every((f) => first.files.includes(f)));
  t.false(first.files.some((f) => f.startsWith('scripts/empty')));
  writeFileSync(join(ws.root, 'scripts/lib/helper.sh'), 'echo changed\n');
  t.not((await ws.build()).sha256, first.sha256, 'a changed file changes the bundle');
});

test('symbolic links in a transferred folder are refused with their paths: to a file, to a folder, and broken ones', async (t) => {
  const ws = workspace(t);
  mkdirSync(join(ws.root, 'scripts/nested'));
  symlinkSync('/etc/hostname', join(ws.root, 'scripts/to-file'));
  symlinkSync('/etc', join(ws.root, 'scripts/nested/to-folder'));
  symlinkSync(join(ws.root, 'nowhere'), join(ws.root, 'scripts/.broken'));
  const err = await t.throwsAsync<TaskError>(ws.build());
  t.is(err?.code, 'BUNDLE_SYMLINK');
  t.regex(err?.message ?? '', /may not be symbolic links .*: scripts\/\.broken, scripts\/nested\/to-folder, scripts\/to-file\.$/);
});
