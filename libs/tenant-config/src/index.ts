export { findWorkspaceRoot, loadEnv } from './workspace.ts';
export { IDENTIFIER_PATTERN, isValidIdentifier, assertTenantName } from './names.ts';
export { type Tenant, listTenantNames, loadTenant, loadAllTenants, resolveTenantName, tenantsDir } from './tenant.ts';
export { loadAuroraConfig, assertPhase, PHASE_ORDER, type AuroraConfig } from './aurora-config.ts';
