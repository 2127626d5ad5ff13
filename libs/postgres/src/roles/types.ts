/** owner: builds and owns everything in the tenant database. reader: SELECT only, read-only transactions (analyses). */
export type TenantRole = 'owner' | 'reader';

/** What the engine needs to know about a tenant to give it a database and roles of its own. */
export interface TenantDatabase {
  name: string;
  database: string;
  roles: Record<TenantRole, string>;
}
