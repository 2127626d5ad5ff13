import type { ExternalTable } from '@mt/lake';
import type { Tenant } from '@mt/tenant-config';

export type NodeKind = 'seed' | 'model' | 'snapshot' | 'test' | 'analysis';
export type Materialization = 'view' | 'table' | 'incremental' | 'ephemeral';
export type Severity = 'error' | 'warn';

/** Everything a model, snapshot or test can set with config() or YAML. */
export interface NodeConfig {
  materialized?: Materialization;
  unique_key?: string | string[];
  /** Incremental models whose columns changed: fail (default), append_new_columns, ignore. */
  on_schema_change?: 'fail' | 'append_new_columns' | 'ignore';
  strategy?: 'timestamp' | 'check';
  updated_at?: string;
  check_cols?: string[] | 'all';
  hard_deletes?: 'ignore' | 'invalidate';
  severity?: Severity;
  column_types?: Record<string, string>;
  enabled?: boolean;
  [key: string]: unknown;
}

/** A generic data test from YAML (not_null, unique, accepted_values, relationships). */
export interface GenericTest {
  type: 'not_null' | 'unique' | 'accepted_values' | 'relationships';
  model: string;
  column: string;
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
}

export interface ProjectSettings {
  name: string;
  schema: string;
  snapshotSchema: string;
  folderConfig: Record<string, NodeConfig>;
  seedColumnTypes: Record<string, Record<string, string>>;
  vars: Record<string, unknown>;
}

export interface YamlSource {
  name: string;
  schema?: string;
  tables?: Array<{ name: string; identifier?: string }>;
}

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
}

/** The outcome of one node, for the summary table and the run state. */
export type NodeStatus = 'built' | 'skipped' | 'pass' | 'reused' | 'warn' | 'fail' | 'error' | 'upstream-failed';

export interface NodeResult {
  id: string;
  kind: NodeKind;
  name: string;
  status: NodeStatus;
  rows?: number;
  ms: number;
  detail?: string;
}
