/**
 * @mt/datagen — data at the scale users reach, for measuring and for scale tests:
 *   generateSeeds(dir, { rows, seed })     customers, products, regions and orders as seed CSVs, deterministic
 *   generateTenants(root, count)           `scale_001` … tenants (git-ignored), each with its own database
 */
export { defaultSeed, generateSeeds, MAX_ROWS, type GeneratedSeeds } from './seeds.ts';
export { generateTenants, GENERATED_TENANT_PREFIX, MAX_GENERATED_TENANTS } from './tenants.ts';
