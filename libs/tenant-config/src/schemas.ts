/**
 * The shape of tenant.json and config.json, once: the loaders validate with these, their types derive
 * from them, and libs/tenant-config/schemas/*.schema.json (what editors read through "$schema") are
 * generated from them (npm run schemas). Rules that need other files (a database or role another
 * tenant has, a template database) are checked by the loaders.
 *
 * valibot rather than zod: the same schemas, types and JSON Schemas, but ~10 KB in a task bundle
 * instead of ~180 KB, and ~20 ms less start-up on every command (docs/BENCHMARKS.md).
 */
import * as v from 'valibot';
import { IDENTIFIER_PATTERN } from '@mt/cli';

export const shown = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));
/** A string matching `pattern`; any other value gets the same one-line message. */
const matching = (pattern: RegExp, must: string, description?: string) => {
  const message = (issue: { input: unknown }) => `must ${must}, found ${shown(issue.input)}`;
  return v.pipe(v.string(message), v.regex(pattern, message), v.description(description ?? ''));
};
const identifier = (description: string) => matching(IDENTIFIER_PATTERN, `match ${IDENTIFIER_PATTERN.source}`, description);
const S3_BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;
const described = <S extends v.GenericSchema>(schema: S, description: string) => v.pipe(schema, v.description(description));
const editorHint = v.optional(described(v.string(), 'The JSON Schema of this file, for editors'));

export const tenantSchema = described(
  v.strictObject({
    $schema: editorHint,
    name: described(v.string(), 'The tenant: the same as its folder name under tenants/'),
    displayName: v.optional(described(v.string(), 'Shown in reports and debug output (default: the name)')),
    database: identifier("The tenant's own PostgreSQL database: never another tenant's, postgres, template0/1 or an Aurora phase's"),
    aurora: v.strictObject({ schema: identifier("The tenant's schema in the multi-tenant Aurora database") }),
    dataLake: v.strictObject({
      bucket: matching(S3_BUCKET, 'be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)', "The tenant's S3 data lake bucket"),
      prefix: matching(S3_PREFIX, 'be a key prefix without leading or trailing "/"', 'Key prefix of the tables in the bucket'),
    }),
    roles: v.optional(
      described(
        v.strictObject({
          owner: v.optional(identifier('Owns the database and runs the pipeline (default <tenant>_owner)')),
          reader: v.optional(identifier('SELECT only: runs the analyses (default <tenant>_reader)')),
        }),
        "The tenant's own PostgreSQL roles, when the defaults do not suit the server",
      ),
    ),
    // v.record would take a list for an object (and return {}), hence the custom check.
    vars: v.optional(
      described(
        v.custom<Record<string, unknown>>(
          (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
          (issue) => `must be an object, found ${shown(issue.input)}`,
        ),
        'Overrides of the vars of sql/dbt_project.yml for this tenant',
      ),
    ),
  }),
  'One tenant: tenants/<name>/tenant.json',
);

export type TenantFile = v.InferOutput<typeof tenantSchema>;

const relativePaths = (description: string) =>
  v.optional(
    described(
      v.array(
        v.pipe(
          v.string(),
          v.check((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the workspace'),
        ),
      ),
      description,
    ),
  );
const nonEmpty = (description: string) => v.pipe(v.string(), v.minLength(1, 'must be a non-empty string'), v.description(description));

export const configSchema = described(
  v.strictObject({
    $schema: editorHint,
    aurora: v.strictObject({
      phases: described(
        v.record(
          matching(IDENTIFIER_PATTERN, `match ${IDENTIFIER_PATTERN.source}`),
          v.strictObject({
            connection_db: identifier('The database the phase connects to (never a template or a tenant database)'),
            description: v.optional(v.string()),
          }),
        ),
        'The Aurora phases: sql/aurora/<phase>/*.sql run in connection_db',
      ),
    }),
    bastion: v.optional(
      v.strictObject({
        autoTransfer: v.optional(
          v.strictObject({
            enabled: v.optional(described(v.boolean(), 'Send the bundle before a remote phase (default true)')),
            directories: relativePaths('Folders sent to the bastion besides the rendered sql/aurora'),
            files: relativePaths('Files sent to the bastion'),
          }),
        ),
      }),
    ),
    environments: v.optional(
      described(
        v.record(
          v.string(),
          v.strictObject({
            region: nonEmpty('AWS region'),
            stackName: nonEmpty('CloudFormation stack of the cluster'),
            outputs: v.strictObject({ endpoint: nonEmpty('Output key of the cluster endpoint'), port: nonEmpty('Output key of the cluster port') }),
            secretId: nonEmpty('Secrets Manager id of the master credentials (only the bastion reads it)'),
            bastion: v.pipe(
              v.strictObject({
                instanceId: v.optional(matching(/^i-[0-9a-f]{8,17}$/, 'look like i-0123456789abcdef0', 'The instance id of the bastion')),
                tag: v.optional(described(v.strictObject({ key: v.string(), value: v.string() }), 'A tag exactly one managed instance carries')),
              }),
              v.check((b) => b.instanceId !== undefined || b.tag !== undefined, 'needs "instanceId" or "tag": { "key", "value" }'),
              v.description('The bastion: its instance id, or a tag'),
            ),
            workspace: v.optional(
              v.pipe(
                v.string(),
                v.startsWith('/', 'must be an absolute path'),
                v.description('Parent folder of the private workspace on the bastion (default /var/lib/multitenant-etl)'),
              ),
            ),
          }),
        ),
        'Remote environments reached through a bastion (--environment=<name>)',
      ),
    ),
  }),
  'Aurora phases, bastion transfer and environments',
);

export type ConfigFile = v.InferOutput<typeof configSchema>;
