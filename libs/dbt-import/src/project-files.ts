/**
 * The project's YAML as it goes to sql/: dbt_project.yml with seed-paths pointing at the workspace's
 * seeds/, packages.yml (or dependencies.yml) keeping only the packages built in here, and the sources
 * YAML beside the models without dbt_external_tables' `external:` blocks.
 */
import { BUILT_IN_PACKAGES, packageName } from '@mt/pipeline';
import { isMap, isSeq, type Node } from 'yaml';
import { FOLDER_KEYS, SEED_KEY } from './source.ts';
import type { Left } from './types.ts';
import { cutFromList, entryRemoval, itemRemoval, lineEnd, lineOf, lineStart, pairOf, type YamlText } from './yaml-edit.ts';

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
    const line = lineStart(text, pair.key.range![0]);
    return text.slice(0, line) + note + text.slice(line, from) + WORKSPACE_SEEDS + text.slice(to);
  }
  const entry = `${note}${SEED_KEY}: ${WORKSPACE_SEEDS}\n`;
  if (pair) {
    // A block list: the entry is written again in one line.
    const start = lineStart(text, pair.key.range![0]);
    const end = lineEnd(text, (pair.value ?? pair.key).range![1]);
    return text.slice(0, start) + entry + text.slice(end);
  }
  // No seed-paths: after the other path keys, else at the end.
  const ends = FOLDER_KEYS.flatMap(([key]) => pairOf(project.doc.contents, key)?.value?.range?.[1] ?? []);
  if (!ends.length) return `${text}${text && !text.endsWith('\n') ? '\n' : ''}${entry}`;
  const end = lineEnd(text, Math.max(...ends));
  return text.slice(0, end) + entry + text.slice(end);
}

/** packages.yml without the packages that are not built in (nothing is downloaded here): each is listed with what to do. */
export function keepBuiltInPackages(text: string, shownFile: string): { text: string; left: Left[] } {
  return cutFromList(text, 'packages', (yaml, list) =>
    list.items.flatMap((item, i) => {
      const entry = ((item as Node).toJSON?.() ?? {}) as Record<string, unknown>;
      const name = packageName(entry);
      if (BUILT_IN_PACKAGES.includes(name)) return [];
      return {
        removal: itemRemoval(yaml, ['packages'], i, item as Node),
        left: {
          what: `package ${name} (${shownFile}:${lineOf(yaml, item as Node)})`,
          todo: `not built in, and nothing is downloaded here (built in: ${BUILT_IN_PACKAGES.join(', ')}): copy the macros you use from it into sql/macros`,
        },
      };
    }),
  );
}

/**
 * A sources YAML without dbt_external_tables' `external:` blocks. This workspace declares the lake's
 * external tables in sql/sources/*.yml, where the location is written with the tenant
 * (`s3://{{ tenant.dataLake.bucket }}/…`) and must stay in its bucket; a dbt project writes it with its
 * own vars, env_var() or macros, which mean nothing there. So the blocks are not carried over: each is
 * cut from the copy (the engine refuses the key beside the models) and listed with its place.
 */
export function cutExternalBlocks(text: string, shownFile: string): { text: string; left: Left[] } {
  return cutFromList(text, 'sources', (yaml, sources) =>
    sources.items.flatMap((source, s) => {
      const name = String((source as Node).toJSON?.()?.name ?? s);
      const tables = pairOf(source, 'tables')?.value;
      if (!isSeq(tables)) return [];
      return tables.items.flatMap((table, t) => {
        const external = pairOf(table, 'external');
        if (!isMap(table) || !external) return [];
        const tableName = String((table as Node).toJSON?.()?.name ?? t);
        return {
          removal: entryRemoval(yaml, ['sources', s, 'tables', t], external),
          left: {
            what: `external table ${name}.${tableName} (${shownFile}:${lineOf(yaml, external.key)})`,
            todo: `cut from the copy: declare it in sql/sources/${name}.yml, dbt_external_tables' shape with location s3://{{ tenant.dataLake.bucket }}/{{ tenant.dataLake.prefix }}/${tableName}/ (README "The data lake"); until then source('${name}', '${tableName}') names a relation nothing here creates`,
          },
        };
      });
    }),
  );
}
