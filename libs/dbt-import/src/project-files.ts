/**
 * The project's own files as they go to sql/: dbt_project.yml with seed-paths pointing at the
 * workspace's seeds/, and packages.yml (or dependencies.yml) keeping only the packages built in here.
 */
import { BUILT_IN_PACKAGES } from '@mt/pipeline';
import { isSeq, type Node } from 'yaml';
import { itemRemoval, lineOf, pairOf, parseYaml, remove, type Removal, type YamlText } from './yaml-edit.ts';
import { FOLDER_KEYS, SEED_KEY } from './source.ts';
import type { Left } from './types.ts';

const WORKSPACE_SEEDS = '["../seeds"]';

/**
 * dbt_project.yml with `seed-paths: ["../seeds"]`: the CSVs are copied to the workspace's seeds/
 * (tenants/<name>/seeds/ override them there). The key is written even when the project left it to
 * dbt's default, which the engine would read as sql/seeds. Everything else stays as written.
 */
export function pointSeedsHere(project: YamlText): string {
  const { text } = project;
  const pair = pairOf(project.doc.contents, SEED_KEY);
  const was = pair?.value ? JSON.stringify(pair.value.toJSON()) : 'dbt\'s default ["seeds"]';
  const note = `# make import-dbt: the seeds are the workspace's seeds/ (was ${was})\n`;
  if (pair?.value && isSeq(pair.value) && pair.value.flow) {
    // `seed-paths: [seeds]  # comment`: the list alone is replaced, the comment stays.
    const [from, to] = pair.value.range!;
    const line = text.lastIndexOf('\n', pair.key.range![0] - 1) + 1;
    return text.slice(0, line) + note + text.slice(line, from) + WORKSPACE_SEEDS + text.slice(to);
  }
  const entry = `${note}${SEED_KEY}: ${WORKSPACE_SEEDS}\n`;
  if (pair) {
    // A block list: the entry is written again in one line.
    const start = text.lastIndexOf('\n', pair.key.range![0] - 1) + 1;
    const end = lineEnd(text, (pair.value ?? pair.key).range![1]);
    return text.slice(0, start) + entry + text.slice(end);
  }
  // No seed-paths: after the other path keys, else at the end.
  const ends = Object.keys(FOLDER_KEYS).flatMap((key) => pairOf(project.doc.contents, key)?.value?.range?.[1] ?? []);
  if (!ends.length) return `${text}${text && !text.endsWith('\n') ? '\n' : ''}${entry}`;
  const end = lineEnd(text, Math.max(...ends));
  return text.slice(0, end) + entry + text.slice(end);
}

/** The offset after the line break of the line where a node ending at `offset` ends. */
function lineEnd(text: string, offset: number): number {
  if (text[offset - 1] === '\n') return offset;
  const at = text.indexOf('\n', offset);
  return at < 0 ? text.length : at + 1;
}

/** packages.yml without the packages that are not built in (nothing is downloaded here): each is listed with what to do. */
export function keepBuiltInPackages(text: string, shownFile: string): { text: string; left: Left[] } {
  const yaml = parseYaml(text);
  const list = pairOf(yaml.doc.contents, 'packages')?.value;
  if (yaml.doc.errors.length || !isSeq(list)) return { text, left: [] };
  const removals: Removal[] = [];
  const left: Left[] = [];
  list.items.forEach((item, i) => {
    const entry = ((item as Node).toJSON?.() ?? {}) as Record<string, unknown>;
    const name = String(entry.package ?? entry.git ?? entry.local ?? JSON.stringify(entry));
    if (BUILT_IN_PACKAGES.includes(name)) return;
    removals.push(itemRemoval(yaml, ['packages'], i, item as Node));
    left.push({
      what: `package ${name} (${shownFile}:${lineOf(yaml, item as Node)})`,
      todo: `not built in, and nothing is downloaded here (built in: ${BUILT_IN_PACKAGES.join(', ')}): copy the macros you use from it into sql/macros`,
    });
  });
  return { text: remove(yaml, removals), left };
}
