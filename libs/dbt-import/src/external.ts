/**
 * dbt_external_tables' `external:` blocks in the sources YAML beside the models. This workspace
 * declares the lake's external tables in sql/sources/*.yml, where the location is written with the
 * tenant (`s3://{{ tenant.dataLake.bucket }}/…`) and must stay in its bucket; a dbt project writes it
 * with its own vars, env_var() or macros, which mean nothing there. So the blocks are not carried over:
 * each is cut from the copy (the engine refuses the key beside the models) and listed with its place.
 */
import { isMap, isSeq, type Node } from 'yaml';
import { entryRemoval, lineOf, pairOf, parseYaml, remove, type Removal } from './yaml-edit.ts';
import type { Left } from './types.ts';

export function cutExternalBlocks(text: string, shownFile: string): { text: string; left: Left[] } {
  const yaml = parseYaml(text);
  const sources = pairOf(yaml.doc.contents, 'sources')?.value;
  // A file the engine cannot read is reported by its own check, with the engine's words.
  if (yaml.doc.errors.length || !isSeq(sources)) return { text, left: [] };
  const removals: Removal[] = [];
  const left: Left[] = [];
  sources.items.forEach((source, s) => {
    const name = String((source as Node).toJSON?.()?.name ?? s);
    const tables = pairOf(source, 'tables')?.value;
    if (!isSeq(tables)) return;
    tables.items.forEach((table, t) => {
      const external = pairOf(table, 'external');
      if (!isMap(table) || !external) return;
      const tableName = String((table as Node).toJSON?.()?.name ?? t);
      removals.push(entryRemoval(yaml, ['sources', s, 'tables', t], external));
      left.push({
        what: `external table ${name}.${tableName} (${shownFile}:${lineOf(yaml, external.key)})`,
        todo: `cut from the copy: declare it in sql/sources/${name}.yml, dbt_external_tables' shape with location s3://{{ tenant.dataLake.bucket }}/{{ tenant.dataLake.prefix }}/${tableName}/ (README "The data lake"); until then source('${name}', '${tableName}') names a relation nothing here creates`,
      });
    });
  });
  return { text: remove(yaml, removals), left };
}
