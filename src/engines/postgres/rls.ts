/**
 * The second wall on PostgreSQL, written from the catalog: for every table a policy may expose,
 * row-level security that reads the verified scope from the transaction-local settings the
 * connector sets (connector.ts, SCOPE_SETTINGS) — the table's tenant and business columns, and its
 * grant-unit column for a table scoped per unit — and nothing else. No setting: no row. The reader
 * role may SELECT those tables only (never the directory's, never a table the catalog does not
 * expose); the directory role reads the directory tables and the grant unit's table.
 *
 * The statements name only the registry's raw names (ASCII identifiers, checked when it was
 * loaded) and are quoted; `schema` is the warehouse schema.
 */
import type { TableRegistry } from '../../schema/tables.js';
import { SCOPE_SETTINGS } from './settings.js';

const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const setting = (name: string): string => `NULLIF(current_setting('${name}', true), '')`;

/** The statements, in order: grants, RLS enabled and forced, one SELECT policy per exposed table. */
export function rlsStatements(
  registry: TableRegistry,
  schema: string,
  roles = { reader: 'splitplane_reader', directory: 'splitplane_directory' },
): string[] {
  const t = (raw: string): string => `${q(schema)}.${q(raw)}`;
  const out = [`GRANT USAGE ON SCHEMA ${q(schema)} TO ${roles.reader}, ${roles.directory}`];
  const exposed = [...new Map(Object.values(registry.tables).map((x) => [x.raw, x])).values()];
  for (const spec of exposed) {
    const where = [
      `${q(spec.scope.tenant)} = ${setting(SCOPE_SETTINGS.tenant)}::bigint`,
      `${q(spec.scope.business)} = ${setting(SCOPE_SETTINGS.business)}::bigint`,
    ];
    if (spec.scope.unit !== undefined)
      where.push(`${q(spec.scope.unit)} = ANY (string_to_array(${setting(SCOPE_SETTINGS.units)}, ',')::bigint[])`);
    out.push(
      `GRANT SELECT ON ${t(spec.raw)} TO ${roles.reader}`,
      `ALTER TABLE ${t(spec.raw)} ENABLE ROW LEVEL SECURITY`,
      `ALTER TABLE ${t(spec.raw)} FORCE ROW LEVEL SECURITY`,
      `CREATE POLICY scope_reader ON ${t(spec.raw)} FOR SELECT TO ${roles.reader} USING (${where.join(' AND ')})`,
    );
  }
  const d = registry.directory;
  const unitRaw = registry.tables[registry.grantUnit.table]!.raw;
  for (const raw of new Set([d.admins.table, d.businesses.table, d.grants.table, unitRaw]))
    out.push(`GRANT SELECT ON ${t(raw)} TO ${roles.directory}`);
  // The directory reads every unit's business (a grant counts only for a unit of the admin's own business).
  out.push(`CREATE POLICY directory_all ON ${t(unitRaw)} FOR SELECT TO ${roles.directory} USING (true)`);
  return out;
}
