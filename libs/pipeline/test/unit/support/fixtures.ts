/** Hand-built projects, tenants and temporary workspaces for the in-process unit tests (no database). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type { Tenant } from '@mt/tenant-config';
import type { NodeKind, PipelineNode, Project } from '../../../src/types.ts';
import { loadSettings } from '../../../src/config.ts';
import type { RenderContext } from '../../../src/node-globals.ts';
import { relationName } from '../../../src/render.ts';

/** What a model `sql/models/orders.sql` of tenant_a renders with, in schema public; `overrides` change any of it. */
export function renderContext(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    file: 'sql/models/orders.sql',
    tenant: fakeTenant('/workspace'),
    vars: {},
    env: {},
    ref: (name) => relationName('public', name),
    source: (s, table) => relationName(s, table),
    thisRelation: relationName('public', 'orders'),
    incremental: false,
    config: {},
    schema: 'public',
    invocation: { id: 'inv-1', startedAt: new Date('2026-03-04T05:06:07.089Z') },
    ...overrides,
  };
}

/** A tenant as loadTenant() would return it, without reading a tenant.json. */
export function fakeTenant(root: string, name = 'tenant_a', vars: Record<string, unknown> = {}): Tenant {
  const bucket = 'acme-lake';
  const prefix = `tenants/${name}`;
  return {
    name,
    displayName: 'Tenant A',
    database: `${name}_db`,
    aurora: { schema: `${name}_aurora` },
    dataLake: { bucket, prefix },
    vars,
    roles: { owner: `${name}_owner`, reader: `${name}_reader` },
    dir: join(root, 'tenants', name),
    s3Location: (table?: string) => `s3://${bucket}/${prefix}/${table ? `${table}/` : ''}`,
  };
}

/** `'model.b': ['seed.a']` style edges → a Project holding only what graph.ts reads (nodes, byName). */
export function graphProject(edges: Array<[id: string, dependsOn: string[]]>): Project {
  const nodes = new Map<string, PipelineNode>();
  for (const [id, dependsOn] of edges) {
    const [kind, name] = id.split('.') as [NodeKind, string];
    const file = kind === 'seed' ? `seeds/${name}.csv` : kind === 'test' ? `sql/tests/${name}.sql` : `sql/${kind}s/${name}.sql`;
    nodes.set(id, { id, kind, name, file, config: {}, dependsOn, checksum: '' });
  }
  const byName = new Map([...nodes.values()].filter((n) => n.kind !== 'test').map((n) => [n.name, n]));
  return {
    root: '/nonexistent',
    tenant: fakeTenant('/nonexistent'),
    // A workspace without a project file: the defaults.
    settings: { ...loadSettings('/nonexistent'), name: 'p' },
    env: {},
    nodes,
    byName,
    sources: new Map(),
    external: [],
    macros: { text: '', macros: new Map(), tests: new Set(), usedBy: () => false, at: () => undefined },
    vars: {},
    invocation: { id: 'test-invocation', startedAt: new Date('2026-01-02T03:04:05Z') },
  };
}

/** A throwaway workspace under os.tmpdir(): `files` maps relative paths to contents. */
export interface TempWorkspace {
  root: string;
  write(path: string, content: string | Buffer): string;
  cleanup(): void;
}

export function tempWorkspace(files: Record<string, string | Buffer> = {}): TempWorkspace {
  const root = mkdtempSync(join(os.tmpdir(), 'pipeline-unit-'));
  const write = (path: string, content: string | Buffer) => {
    const abs = join(root, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    return abs;
  };
  for (const [path, content] of Object.entries(files)) write(path, content);
  return { root, write, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
