/**
 * sql/sources/*.yml: dbt_external_tables' shape, read and checked for one tenant. Every problem of
 * every file is listed at once, with its file and path; the location is rendered with the tenant
 * (`{{ tenant.dataLake.bucket }}`), strictly (an unknown name is an error), and must stay in the
 * tenant's own bucket.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import * as v from 'valibot';
import { IDENTIFIER_PATTERN, TaskError } from '@mt/cli';
import { readYamlFile, schemaProblems, type Tenant } from '@mt/tenant-config';
import { KNOWN_TYPES, parseLakeType } from './lake-types.ts';
import type { ExternalTable, LakeColumn, LakePartitionKey, LakeType, SourceFreshness } from './types.ts';

export const SOURCES_DIR = 'sql/sources';

const identifier = v.pipe(
  v.string((issue) => `must be a lowercase identifier, found ${JSON.stringify(issue.input)}`),
  v.regex(IDENTIFIER_PATTERN, (issue) => `must be a lowercase identifier, found ${JSON.stringify(issue.input)}`),
);
const text = v.optional(v.string());
const PATH_MACROS = ['dbt_external_tables.key_value', 'dbt_external_tables.value_only'] as const;

const age = v.strictObject({
  count: v.pipe(v.number(), v.integer(), v.minValue(1)),
  period: v.picklist(['minute', 'hour', 'day'], (issue) => `must be minute, hour or day, found ${JSON.stringify(issue.input)}`),
});
/**
 * dbt's source freshness, on a source or one of its tables (the table's wins; `freshness: null` turns it
 * off): `loaded_at_field` is an SQL expression, the ages are how old its newest value may be.
 */
export const freshnessKeys = {
  loaded_at_field: v.optional(v.string()),
  freshness: v.optional(v.nullable(v.strictObject({ warn_after: v.optional(age), error_after: v.optional(age), filter: v.optional(v.string()) }))),
};

const sourcesSchema = v.strictObject({
  version: v.optional(v.number()),
  sources: v.array(
    v.strictObject({
      name: identifier,
      description: text,
      schema: v.optional(identifier),
      ...freshnessKeys,
      tables: v.array(
        v.strictObject({
          name: identifier,
          description: text,
          ...freshnessKeys,
          external: v.strictObject({
            location: v.string(),
            file_format: v.optional(v.picklist(['csv', 'jsonl'], (issue) => `must be csv or jsonl, found ${JSON.stringify(issue.input)}`)),
            options: v.optional(v.strictObject({ header: v.optional(v.boolean()), delimiter: v.optional(v.string()), null: v.optional(v.string()) })),
            partitions: v.optional(
              v.array(
                v.strictObject({
                  name: identifier,
                  data_type: v.string(),
                  description: text,
                  path_macro: v.optional(v.picklist(PATH_MACROS, (issue) => `must be ${PATH_MACROS.join(' or ')}, found ${JSON.stringify(issue.input)}`)),
                }),
              ),
            ),
          }),
          columns: v.array(v.strictObject({ name: identifier, data_type: v.string(), description: text })),
        }),
      ),
    }),
  ),
});
type SourcesYaml = v.InferOutput<typeof sourcesSchema>;

/** The external tables of every sql/sources/*.yml for this tenant, in file order; [] when there are none. */
export function loadExternalTables(root: string, tenant: Tenant): ExternalTable[] {
  const dir = join(root, SOURCES_DIR);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => `${SOURCES_DIR}/${f}`);
  const problems: string[] = [];
  const tables: ExternalTable[] = [];
  for (const file of files) {
    const doc = readYamlFile(root, file);
    const shape = schemaProblems(sourcesSchema, doc);
    if (shape.length) {
      problems.push(...shape.map((p) => `${file}: ${p}`));
      continue;
    }
    for (const t of tablesOf(doc as SourcesYaml, file, tenant, problems)) tables.push(t);
  }
  const seen = new Map<string, string>();
  for (const t of tables) {
    const key = `${t.source}.${t.name}`;
    if (seen.has(key)) problems.push(`${t.file}: source('${t.source}', '${t.name}') is also defined in ${seen.get(key)}`);
    seen.set(key, t.file);
  }
  if (problems.length) {
    throw new TaskError(
      'INVALID_SOURCES',
      problems.length === 1 ? `${problems[0]}.` : `The external table definitions have ${problems.length} problems:\n  - ${problems.join('\n  - ')}`,
      { hint: `Column and partition types: ${KNOWN_TYPES}. A location looks like s3://{{ tenant.dataLake.bucket }}/{{ tenant.dataLake.prefix }}/<table>/.` },
    );
  }
  return tables;
}

/** A table's freshness settings: its own over its source's. */
export function freshnessOf(source: FreshnessYaml, table: FreshnessYaml): { freshness?: SourceFreshness } {
  const loadedAt = table.loaded_at_field ?? source.loaded_at_field;
  const settings = table.freshness === undefined ? source.freshness : table.freshness;
  if (!loadedAt || !settings) return {};
  return { freshness: { loadedAtField: loadedAt, warnAfter: settings.warn_after, errorAfter: settings.error_after, filter: settings.filter } };
}

type FreshnessYaml = v.InferOutput<v.ObjectSchema<typeof freshnessKeys, undefined>>;

function tablesOf(doc: SourcesYaml, file: string, tenant: Tenant, problems: string[]): ExternalTable[] {
  const out: ExternalTable[] = [];
  doc.sources.forEach((source, s) => {
    source.tables.forEach((table, t) => {
      const at = (path: string) => `${file}: "sources.${s}.tables.${t}${path}"`;
      const before = problems.length;
      const typed = (name: string, typeText: string, path: string): LakeType | undefined => {
        const type = parseLakeType(typeText);
        if (!type) problems.push(`${at(path)} ${name}: unknown type "${typeText}"`);
        return type;
      };
      const columns: LakeColumn[] = table.columns.map((c, i) => ({
        name: c.name,
        typeText: c.data_type,
        type: typed(c.name, c.data_type, `.columns.${i}.data_type`)!,
        ...(c.description ? { description: c.description } : {}),
      }));
      if (!columns.length) problems.push(`${at('.columns')} is empty: an external table needs its columns`);
      const ext = table.external;
      const partitions: LakePartitionKey[] = (ext.partitions ?? []).map((p, i) => {
        const type = typed(p.name, p.data_type, `.external.partitions.${i}.data_type`);
        if (type && (type.kind === 'real' || type.kind === 'double'))
          problems.push(`${at(`.external.partitions.${i}.data_type`)} ${p.name}: a partition cannot be ${p.data_type}`);
        if (columns.some((c) => c.name === p.name))
          problems.push(`${at(`.external.partitions.${i}.name`)} "${p.name}" is also a column: partition values live in the folder names, not in the files`);
        return { name: p.name, typeText: p.data_type, type: type!, path: p.path_macro === 'dbt_external_tables.value_only' ? 'value_only' : 'key_value' };
      });
      const csv = { header: ext.options?.header ?? true, delimiter: ext.options?.delimiter ?? ',', nullString: ext.options?.null ?? '' };
      if ([...csv.delimiter].length !== 1 || /[\r\n"]/.test(csv.delimiter))
        problems.push(`${at('.external.options.delimiter')} must be one character other than a quote or a line break`);
      const location = renderLocation(ext.location, tenant, at('.external.location'), problems);
      if (problems.length > before || !location) return;
      const table_ = {
        source: source.name,
        schema: source.schema ?? source.name,
        name: table.name,
        ...(table.description ? { description: table.description } : {}),
        file,
        ...location,
        format: ext.file_format ?? 'csv',
        csv,
        columns,
        partitions,
        ...freshnessOf(source, table),
      };
      const { file: _file, description: _d, freshness: _f, ...shape } = table_;
      out.push({ ...table_, checksum: createHash('sha256').update(JSON.stringify(shape)).digest('hex') });
    });
  });
  return out;
}

const templates = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
/** Compiled once per process: a batch of tenants renders the same few locations for each. */
const compiledLocations = new Map<string, nunjucks.Template>();
function locationTemplate(template: string): nunjucks.Template {
  let found = compiledLocations.get(template);
  if (!found) compiledLocations.set(template, (found = new nunjucks.Template(template, templates)));
  return found;
}

function renderLocation(template: string, tenant: Tenant, at: string, problems: string[]): { location: string; bucket: string; prefix: string } | undefined {
  let rendered: string;
  try {
    rendered = locationTemplate(template).render({
      tenant: strict({ name: tenant.name, database: tenant.database, dataLake: { ...tenant.dataLake } }, 'tenant'),
    });
  } catch (err) {
    problems.push(
      `${at} cannot be rendered: ${(err as Error).message
        .replace(/^\(unknown path\)\s*/, '')
        .split('\n')
        .at(-1)!
        .trim()
        .replace(/^Error: /, '')}`,
    );
    return undefined;
  }
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(rendered.trim());
  if (!m) {
    problems.push(`${at} must be s3://<bucket>/<prefix>/, found "${rendered}"`);
    return undefined;
  }
  const [, bucket, key] = m;
  if (bucket !== tenant.dataLake.bucket) {
    problems.push(`${at} "${rendered}" is outside ${tenant.name}'s bucket ${tenant.dataLake.bucket}: a tenant only reads its own lake`);
    return undefined;
  }
  const segments = key.split('/').filter(Boolean);
  if (segments.some((s) => s === '.' || s === '..')) {
    problems.push(`${at} "${rendered}" may not contain . or .. segments`);
    return undefined;
  }
  const prefix = segments.length ? `${segments.join('/')}/` : '';
  return { location: `s3://${bucket}/${prefix}`, bucket, prefix };
}

/** An object whose unknown keys are an error naming the known ones (nunjucks' own only says "undefined"). */
function strict<T extends object>(value: T, path: string): T {
  for (const [key, inner] of Object.entries(value))
    if (inner && typeof inner === 'object') (value as Record<string, unknown>)[key] = strict(inner, `${path}.${key}`);
  return new Proxy(value, {
    get(target, key) {
      if (typeof key === 'string' && !(key in target) && !key.startsWith('__') && key !== 'toJSON' && key !== 'then')
        throw new Error(`${path}.${key} is not defined (${path} has ${Object.keys(target).join(', ')})`);
      return Reflect.get(target, key);
    },
  });
}
