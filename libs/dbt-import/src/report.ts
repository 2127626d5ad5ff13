/** The import as the user reads it: what was copied where, the tenants, what could not be carried over and what to do. */
import { STAND_IN } from './check.ts';
import type { ImportResult } from './import.ts';
import { SAMPLE_DEFAULTS } from './tenants.ts';

export function describeImport(r: ImportResult): string[] {
  const width = Math.max(...r.copied.map((c) => c.path.length), ...r.tenants.map((t) => t.name.length + 9));
  const lines = [`imported ${r.src} (dbt project "${r.project}"):`, ...r.copied.map((c) => `  ${c.path.padEnd(width)}  ${c.detail}`)];
  for (const t of r.tenants) {
    const what = t.status === 'kept' ? `kept as it was (database ${t.database}; --force replaces it)` : `${t.status} (database ${t.database})`;
    lines.push(`  ${`tenants/${t.name}/`.padEnd(width)}  ${what}`);
  }
  if (r.profiles) lines.push(`tenants come from the targets of ${r.profiles}`);
  if (r.tenants.some((t) => t.status !== 'kept')) lines.push(`what profiles.yml does not give is filled in as the sample tenants have it: ${SAMPLE_DEFAULTS}`);
  if (r.backup) lines.push(`the previous project is in ${r.backup}/ (git-ignored): move it back from there if you need it`);
  for (const l of r.loaded) {
    if (!('counts' in l)) continue;
    const who = l.tenants.includes(STAND_IN) ? 'with no tenant yet' : `for ${l.tenants.join(', ')}`;
    lines.push(`the engine loads the project ${who}: ${l.counts}`);
  }
  if (r.left.length) lines.push('not carried over:', ...r.left.map((l) => `  - ${l.what}: ${l.todo}`));
  lines.push(r.next ? `next: make dbt-compile TENANT=${r.next}` : 'next: add a tenant (README "Adding a tenant"), then make dbt-compile TENANT=<name>');
  return lines;
}
