/**
 * The directory of registered admins, read from the warehouse's grant tables:
 * one query and one set of rules for every engine. A connector only runs the
 * text (with its directory credentials) and hands back the rows.
 *
 *   - an admin is registered when its business belongs to its tenant;
 *   - a grant counts only for a location of the admin's own business;
 *   - an admin listed twice with different attributes is a broken directory,
 *     refused whole (which of the two would be the real one?);
 *   - grants are unique, in ascending numeric order.
 *
 * IDs are read as text (no float in between); whether each one is well formed
 * is the policy's check (src/policy/opa-wasm.ts), which refuses only the admin
 * whose grant is malformed.
 */
import { SplitplaneError } from '../errors.js';
import type { Directory, DirectoryAdmin } from '../identity/directory.js';
import type { Dialect, WarehouseConnector } from './connector.js';

/** One row of the directory query: an admin and one granted location of its business (or none). */
export type DirectoryRow = Readonly<Record<string, unknown>>;

/** The directory query in `dialect`: one row per admin and granted location of its own business. */
export function directorySql(dialect: Dialect): string {
  const t = (name: string): string => dialect.rawTable(name);
  const text = (col: string): string => `CAST(${col} AS ${dialect.textType})`;
  return `SELECT ${text('a.admin_id')} AS admin_id, ${text('b.tenant_id')} AS tenant_id, ${text('a.business_id')} AS business_id,
       a.role AS role, a.active AS active, ${text('g.location_id')} AS location_id
FROM ${t('dim_admins')} a
JOIN ${t('dim_businesses')} b ON b.business_id = a.business_id AND b.tenant_id = a.tenant_id
LEFT JOIN (SELECT gg.admin_id, gg.location_id, l.business_id FROM ${t('admin_location_grants')} gg
           JOIN ${t('dim_locations')} l ON l.location_id = gg.location_id) g
  ON g.admin_id = a.admin_id AND g.business_id = a.business_id`;
}

/** The directory from the rows of {@link directorySql}. Throws on an admin listed twice with different attributes. */
export function buildDirectory(rows: readonly DirectoryRow[], loadedAt = new Date()): Directory {
  const byAdmin = new Map<string, { admin: Omit<DirectoryAdmin, 'locations'>; locations: Set<string> }>();
  for (const r of rows) {
    const admin = {
      adminId: String(r['admin_id']),
      tenantId: String(r['tenant_id']),
      businessId: String(r['business_id']),
      role: String(r['role']),
      active: r['active'] === true || r['active'] === 'true',
    };
    const seen = byAdmin.get(admin.adminId);
    if (seen && JSON.stringify(seen.admin) !== JSON.stringify(admin)) throw new Error(`admin ${admin.adminId} appears twice in the directory`);
    const entry = seen ?? { admin, locations: new Set<string>() };
    if (r['location_id'] !== null && r['location_id'] !== undefined) entry.locations.add(String(r['location_id']));
    byAdmin.set(admin.adminId, entry);
  }
  const admins = new Map<string, DirectoryAdmin>();
  for (const [id, { admin, locations }] of byAdmin) {
    admins.set(id, Object.freeze({ ...admin, locations: Object.freeze([...locations].sort(numerically)) }));
  }
  return Object.freeze({ admins, loadedAt });
}

/**
 * Load the directory through a connector; any failure is SP_ERR_WAREHOUSE_UNAVAILABLE (the service keeps its last one).
 * A connector's own SP_ERR_WAREHOUSE_UNAVAILABLE keeps its detail (why: host unreachable, token refused, ...), which
 * the CLI prints at start-up.
 */
export async function loadDirectory(connector: Pick<WarehouseConnector, 'dialect' | 'readDirectory'>): Promise<Directory> {
  try {
    return buildDirectory(await connector.readDirectory(directorySql(connector.dialect)));
  } catch (cause) {
    const why = cause instanceof SplitplaneError && cause.code === 'SP_ERR_WAREHOUSE_UNAVAILABLE' && cause.detail ? `: ${cause.detail}` : '';
    throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: `cannot load the directory${why}`, cause });
  }
}

/** Decimal strings in numeric order (shorter first, then by digits); anything else after, as text. */
function numerically(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
