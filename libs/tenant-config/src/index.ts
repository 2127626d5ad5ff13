export { findWorkspaceRoot, loadEnv } from './workspace.ts';
export { schemaProblems } from './validate.ts';
export { readYamlFile } from './yaml.ts';
export { closestNames } from './suggest.ts';
export { type Tenant, listTenantNames, loadTenant, loadAllTenants, resolveTenantName } from './tenant.ts';
export { DBT_PROJECT_FILE, GENERATED_SEEDS, sharedSeedDirs, tenantSeedFiles, tenantSeedsDir } from './seeds.ts';
export { loadAuroraConfig, assertPhase, assertEnvironment, type AuroraConfig, type AuroraEnvironment } from './aurora-config.ts';
