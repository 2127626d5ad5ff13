/**
 * The shape of tenant.json and config.json, once: the loaders validate with these, their types derive
 * from them, and libs/tenant-config/schemas/*.schema.json (what editors read through "$schema") are
 * generated from them (npm run schemas). Rules that need other files (a database or role another
 * tenant has, a template database) are checked by the loaders.
 */
import * as z from 'zod';
import { IDENTIFIER_PATTERN } from './names.ts';

const shown = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));
/** A string matching `pattern`; any other value gets the same one-line message. */
const matching = (pattern: RegExp, must: string) => {
  const error = (issue: { input?: unknown }) => `must ${must}, found ${shown(issue.input)}`;
  return z.string({ error }).regex(pattern, { error });
};
const identifier = (description: string) => matching(IDENTIFIER_PATTERN, `match ${IDENTIFIER_PATTERN.source}`).describe(description);
const S3_BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;
const editorHint = z.string().optional().describe('The JSON Schema of this file, for editors');

export const tenantSchema = z
  .strictObject({
    $schema: editorHint,
    name: z.string().describe('The tenant: the same as its folder name under tenants/'),
    displayName: z.string().optional().describe('Shown in reports and debug output (default: the name)'),
    database: identifier("The tenant's own PostgreSQL database: never another tenant's, postgres, template0/1 or an Aurora phase's"),
    aurora: z.strictObject({ schema: identifier("The tenant's schema in the multi-tenant Aurora database") }),
    dataLake: z.strictObject({
      bucket: matching(S3_BUCKET, 'be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)').describe("The tenant's S3 data lake bucket"),
      prefix: matching(S3_PREFIX, 'be a key prefix without leading or trailing "/"').describe('Key prefix of the tables in the bucket'),
    }),
    roles: z
      .strictObject({
        owner: identifier('Owns the database and runs the pipeline (default <tenant>_owner)').optional(),
        reader: identifier('SELECT only: runs the analyses (default <tenant>_reader)').optional(),
      })
      .optional()
      .describe("The tenant's own PostgreSQL roles, when the defaults do not suit the server"),
    vars: z.record(z.string(), z.unknown()).optional().describe('Overrides of the vars of sql/project.yml for this tenant'),
  })
  .describe('One tenant: tenants/<name>/tenant.json');

export type TenantFile = z.infer<typeof tenantSchema>;

const relativePaths = z
  .array(z.string().refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), { error: 'must be a relative path inside the workspace' }))
  .optional();
const nonEmpty = (description: string) => z.string().min(1, { error: 'must be a non-empty string' }).describe(description);

export const configSchema = z
  .strictObject({
    $schema: editorHint,
    aurora: z.strictObject({
      phases: z
        .record(
          matching(IDENTIFIER_PATTERN, `match ${IDENTIFIER_PATTERN.source}`),
          z.strictObject({
            connection_db: identifier('The database the phase connects to (never a template or a tenant database)'),
            description: z.string().optional(),
          }),
        )
        .describe('The Aurora phases: sql/aurora/<phase>/*.sql run in connection_db'),
    }),
    bastion: z
      .strictObject({
        autoTransfer: z
          .strictObject({
            enabled: z.boolean().optional().describe('Send the bundle before a remote phase (default true)'),
            directories: relativePaths.describe('Folders sent to the bastion besides the rendered sql/aurora'),
            files: relativePaths.describe('Files sent to the bastion'),
          })
          .optional(),
      })
      .optional(),
    environments: z
      .record(
        z.string(),
        z.strictObject({
          region: nonEmpty('AWS region'),
          stackName: nonEmpty('CloudFormation stack of the cluster'),
          outputs: z.strictObject({ endpoint: nonEmpty('Output key of the cluster endpoint'), port: nonEmpty('Output key of the cluster port') }),
          secretId: nonEmpty('Secrets Manager id of the master credentials (only the bastion reads it)'),
          bastion: z
            .strictObject({
              instanceId: matching(/^i-[0-9a-f]{8,17}$/, 'look like i-0123456789abcdef0').optional(),
              tag: z.strictObject({ key: z.string(), value: z.string() }).optional().describe('A tag exactly one managed instance carries'),
            })
            .refine((b) => b.instanceId !== undefined || b.tag !== undefined, { error: 'needs "instanceId" or "tag": { "key", "value" }' })
            .describe('The bastion: its instance id, or a tag'),
          workspace: z.string().startsWith('/', { error: 'must be an absolute path' }).optional().describe('Parent folder of the private workspace on the bastion (default /var/lib/multitenant-etl)'),
        }),
      )
      .optional()
      .describe('Remote environments reached through a bastion (--environment=<name>)'),
  })
  .describe('Aurora phases, bastion transfer and environments');

export type ConfigFile = z.infer<typeof configSchema>;
