import type { ExternalTable } from '@mt/lake';
import type { Tenant } from '@mt/tenant-config';
import type { ProjectPaths } from './dbt-project.ts';
import type { MacroLibrary } from './macros.ts';
import type { Invocation } from './node-globals.ts';
import type { Lookups, NodeLookups } from './lookups.ts';

export type NodeKind = 'seed' | 'model' | 'snapshot' | 'test' | 'analysis' | 'hook';
export type Materialization = 'view' | 'table' | 'incremental' | 'ephemeral' | 'materialized_view';
export type Severity = 'error' | 'warn';

/** Everything a model, snapshot or test can set with config() or YAML. */
export interface NodeConfig {
  materialized?: Materialization;
  unique_key?: string | string[];
  /** How new rows reach an incremental model's table (default: delete+insert with a unique_key, else append). */
  incremental_strategy?: 'append' | 'delete+insert' | 'merge';
  /** Incremental models whose columns changed: fail (default), ignore, append_new_columns, sync_all_columns. */
  on_schema_change?: 'fail' | 'ignore' | 'append_new_columns' | 'sync_all_columns';
  /** SQL run in the node's transaction before and after it is built (Jinja, with `this`). */
  pre_hook?: string[];
  post_hook?: string[];
  tags?: string[];
  strategy?: 'timestamp' | 'check';
  updated_at?: string;
  check_cols?: string[] | 'all';
  hard_deletes?: 'ignore' | 'invalidate';
  severity?: Severity;
  column_types?: Record<string, string>;
  enabled?: boolean;
  [key: string]: unknown;
}

/**
 * A generic data test from YAML: built in (not_null, unique, accepted_values, relationships) or a
 * `{% test %}` macro with its arguments; on a column, or on the model itself.
 */
export interface GenericTest {
  type: string;
  model: string;
  column?: string;
  /** `model` is `<source>.<table>`: a test on a source's table. */
  source?: boolean;
  /** A macro test's arguments as written in the YAML. */
  args?: Record<string, unknown>;
  values?: unknown[];
  quote?: boolean;
  to?: string;
  field?: string;
}

export interface PipelineNode {
  /** `<kind>.<name>`, unique in the project. */
  id: string;
  kind: NodeKind;
  name: string;
  /** Path relative to the workspace root (the YAML file for generic tests). */
  file: string;
  /** Jinja source (models, snapshots, singular tests). */
  template?: string;
  generic?: GenericTest;
  /** Folder defaults < YAML < config() in the file. */
  config: NodeConfig;
  /** SQL rendered for this tenant (is_incremental() false). */
  sql?: string;
  dependsOn: string[];
  /** External tables it reads (`source()` of sql/sources), as `<source>.<table>`: their files are inputs too. */
  externalSources?: string[];
  /** Other sources it reads (tables loaded by something else): their changes cannot be seen here. */
  untrackedSources?: string[];
  /** Content hash of this node alone (its SQL, CSV and config). */
  checksum: string;
  /** The schema it builds into, when not the project's (a model's custom schema, by generate_schema_name). */
  schema?: string;
  /** From the YAML beside the models: for the docs site. */
  description?: string;
  columns?: Array<{ name: string; description?: string; data_type?: string }>;
  /** What its render read from the database (lookups.ts): it is rendered again before it runs when that may have changed. */
  lookups?: NodeLookups;
}

export interface ProjectSettings {
  name: string;
  schema: string;
  /** Where each kind of file is (dbt_project.yml's path keys), relative to the workspace. */
  paths: ProjectPaths;
  snapshotSchema: string;
  /** dbt_project.yml models.<project>: folders of sql/models and +settings, nested. */
  folderConfig: Record<string, unknown>;
  /** tests.<project>: +severity, +tags for every test. */
  testConfig: NodeConfig;
  seedColumnTypes: Record<string, Record<string, string>>;
  vars: Record<string, unknown>;
  /** SQL run at the start and the end of every run (dbt_project.yml on-run-start / on-run-end). */
  onRunStart: string[];
  onRunEnd: string[];
}

/** A `sources:` entry of the YAML beside the models (freshness keys as dbt writes them). */
export interface YamlSource {
  name: string;
  description?: string;
  schema?: string;
  loaded_at_field?: string;
  freshness?: YamlFreshness | null;
  tables?: Array<{ name: string; description?: string; identifier?: string; loaded_at_field?: string; freshness?: YamlFreshness | null }>;
}

type YamlAge = { count: number; period: 'minute' | 'hour' | 'day' };
type YamlFreshness = { warn_after?: YamlAge; error_after?: YamlAge; filter?: string };

export interface Project {
  root: string;
  tenant: Tenant;
  settings: ProjectSettings;
  /** The environment env_var() reads. */
  env: NodeJS.ProcessEnv;
  nodes: Map<string, PipelineNode>;
  /** Seeds, models and snapshots by name (what ref() resolves). */
  byName: Map<string, PipelineNode>;
  sources: Map<string, YamlSource>;
  /** sql/sources/*.yml: the data lake's tables, for this tenant. */
  external: ExternalTable[];
  macros: MacroLibrary;
  /** What var() reads: --vars over the tenant's over the project's. */
  vars: Record<string, unknown>;
  invocation: Invocation;
  /** Lookups' answers and what waits for them, when the project renders with a database at hand (execute true). */
  lookups?: Lookups;
}

/** The outcome of one node, for the summary table and the run state. */
export type NodeStatus = 'built' | 'skipped' | 'ephemeral' | 'ran' | 'pass' | 'reused' | 'warn' | 'fail' | 'error' | 'upstream-failed';

export interface NodeResult {
  id: string;
  kind: NodeKind;
  name: string;
  status: NodeStatus;
  rows?: number;
  ms: number;
  detail?: string;
  /** pre_hook and post_hook statements run with it. */
  hooks?: number;
}
