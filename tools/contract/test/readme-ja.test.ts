/**
 * The Japanese documents keep in step with the English ones (README.ja.md with README.md, docs/MIGRATING.ja.md
 * with docs/MIGRATING.md): same heading levels, identical code blocks, no lost `make …` / `npx nx …` command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FENCE = /^```[^\n]*\n[\s\S]*?^```[ \t]*$/gm;

interface Readme {
  name: string;
  /** Fenced code blocks, info string and content, in order. */
  blocks: string[];
  /** The text outside fenced code blocks. */
  prose: string;
}

function read(name: string): Readme {
  const text = readFileSync(join(ROOT, name), 'utf8').replace(/\r\n/g, '\n');
  return { name, blocks: text.match(FENCE) ?? [], prose: text.replace(FENCE, '') };
}

/** Markdown headings outside code blocks: their level and the line as written (for the failure message). */
function headings(readme: Readme): { level: number; line: string }[] {
  return [...readme.prose.matchAll(/^(#{1,6})\s+(.*)$/gm)].map((m) => ({ level: m[1].length, line: m[0] }));
}

/** Inline code spans that are `make …` or `npx nx …` commands, whitespace normalised (a span may wrap). */
function commands(readme: Readme): Set<string> {
  const spans = [...readme.prose.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\s+/g, ' ').trim());
  return new Set(spans.filter((s) => /^(make|npx nx)\s/.test(s)));
}

for (const [en, ja] of [
  [read('README.md'), read('README.ja.md')],
  [read('docs/MIGRATING.md'), read('docs/MIGRATING.ja.md')],
]) {
  test(`${ja.name} has the same heading levels as ${en.name}, in the same order`, (t) => {
    const [h, k] = [headings(en), headings(ja)];
    t.true(h.length > 0, `${en.name} has no headings`);
    for (let i = 0; i < Math.max(h.length, k.length); i++) {
      if (h[i]?.level !== k[i]?.level) {
        t.fail(
          `heading #${i + 1} differs: ${en.name} has ${h[i]?.line ?? '(none)'}, ${ja.name} has ${k[i]?.line ?? '(none)'}` +
            ` (${en.name}: ${h.length} headings, ${ja.name}: ${k.length}); add or translate the section in both files`,
        );
        return;
      }
    }
    t.pass();
  });

  test(`${ja.name} has the fenced code blocks of ${en.name}, byte for byte and in order`, (t) => {
    t.true(en.blocks.length > 0, `${en.name} has no code blocks`);
    t.is(ja.blocks.length, en.blocks.length, 'number of fenced code blocks differs; copy code blocks untranslated');
    en.blocks.forEach((block, i) => t.is(ja.blocks[i], block, `code block #${i + 1} differs; copy it from ${en.name} as it is`));
  });

  test(`every inline make / npx nx command of ${en.name} appears in ${ja.name}`, (t) => {
    const jaCommands = commands(ja);
    const lost = [...commands(en)].filter((c) => !jaCommands.has(c));
    t.deepEqual(lost, [], `commands in ${en.name} missing from ${ja.name}`);
  });
}
