import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import test from 'ava';
import { ERROR_CODES } from '../src/codes.ts';

const REPO = resolve(import.meta.dirname, '..', '..', '..');

/** The TypeScript sources of apps/ and libs/ (tests left out). */
function sources(): string {
  const texts: string[] = [];
  for (const top of ['apps', 'libs']) {
    for (const file of readdirSync(join(REPO, top), { recursive: true }) as string[]) {
      if (file.endsWith('.ts') && file.includes('/src/') && !file.endsWith('codes.ts')) texts.push(readFileSync(join(REPO, top, file), 'utf8'));
    }
  }
  return texts.join('\n');
}

test('every error code in the list is raised somewhere, and none twice in the list', (t) => {
  const text = sources();
  t.deepEqual(
    ERROR_CODES.filter((code) => !text.includes(`'${code}'`)),
    [],
  );
  t.is(new Set(ERROR_CODES).size, ERROR_CODES.length);
});
