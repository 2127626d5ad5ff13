/**
 * @mt/dbt-import — an existing dbt project brought into this workspace (`make import-dbt SRC=<dir>`):
 *   importDbtProject(root, { src, force, profiles })   its folders into sql/, its seeds into seeds/, its
 *                                                       profiles.yml targets into tenants/; staged and checked
 *                                                       by the engine first, the previous project kept aside
 *   describeImport(result)                             what was copied, what could not be, and what to do
 */
export { importDbtProject, type ImportOptions, type ImportResult } from './import.ts';
export { describeImport } from './report.ts';
export type { ImportedTenant, Left } from './types.ts';
