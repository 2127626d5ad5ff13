export { findWorkspaceRoot, loadEnv } from './workspace.ts';
export { IDENTIFIER_PATTERN, isValidIdentifier, assertTenantName } from './names.ts';
export { schemaProblems } from './validate.ts';
export { closestNames } from './suggest.ts';
export { type Tenant, listTenantNames, loadTenant, loadAllTenants, resolveTenantName, tenantsDir } from './tenant.ts';
export { loadAuroraConfig, assertPhase, assertEnvironment, PHASE_ORDER, type AuroraConfig, type AuroraEnvironment } from './aurora-config.ts';
