/**
 * The directory of registered admins, read from the warehouse's grant tables:
 * one query and one set of rules for every engine. A connector only runs the
 * text (with its directory credentials) and hands back the rows.
 *
 *   - an admin is registered when its business belongs to its tenant;
 *   - a grant counts only for a unit (the catalog's grant unit) of the admin's own business;
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
import type { TableRegistry } from '../schema/tables.js';
import type { Dialect, WarehouseConnector } from './connector.js';
import { text } from '../util/text.js';

/** One row of the directory query: an admin and one granted unit of its business (or none). */
export type DirectoryRow = Readonly<Record<string, unknown>>;

/**
 * The directory query in `dialect`, over the registry's directory tables: one row per admin and
 * granted unit of its own business (the grant unit's table says which business a unit belongs to).
 */
export function directorySql(dialect: Dialect, registry: TableRegistry): string {
  const t = (name: string): string => dialect.rawTable(name);
  // A plain lower-case name is written as it is (the query reads like one a person would write); any other is quoted.
  const q = (c: string): string => (/^[a-z_][a-z0-9_]*$/.test(c) && !SQL_WORDS.has(c) ? c : dialect.quoteIdent(c));
  const text = (col: string): string => `CAST(${col} AS ${dialect.textType})`;
  const { admins: a, businesses: b, grants: g } = registry.directory;
  const unit = registry.tables[registry.grantUnit.table]!;
  return `SELECT ${text(`a.${q(a.id)}`)} AS admin_id, ${text(`b.${q(b.tenant)}`)} AS tenant_id, ${text(`a.${q(a.business)}`)} AS business_id,
       a.${q(a.role)} AS role, a.${q(a.active)} AS active, ${text('g.unit_id')} AS unit_id
FROM ${t(a.table)} a
JOIN ${t(b.table)} b ON b.${q(b.id)} = a.${q(a.business)} AND b.${q(b.tenant)} = a.${q(a.tenant)}
LEFT JOIN (SELECT gg.${q(g.admin)} AS admin_id, gg.${q(g.unit)} AS unit_id, u.${q(unit.scope.business)} AS business_id FROM ${t(g.table)} gg
           JOIN ${t(unit.raw)} u ON u.${q(unit.scope.unit!)} = gg.${q(g.unit)}) g
  ON g.admin_id = a.${q(a.id)} AND g.business_id = a.${q(a.business)}`;
}

/** Words that name something else in SQL: a column so named is quoted. */
const SQL_WORDS = new Set([
  'all',
  'and',
  'as',
  'by',
  'case',
  'cast',
  'check',
  'column',
  'default',
  'desc',
  'distinct',
  'else',
  'end',
  'from',
  'group',
  'having',
  'in',
  'is',
  'join',
  'limit',
  'not',
  'null',
  'offset',
  'on',
  'or',
  'order',
  'select',
  'table',
  'then',
  'to',
  'union',
  'user',
  'using',
  'when',
  'where',
  'with',
]);

/** The directory from the rows of {@link directorySql}. Throws on an admin listed twice with different attributes. */
export function buildDirectory(rows: readonly DirectoryRow[], loadedAt = new Date()): Directory {
  const byAdmin = new Map<string, { admin: Omit<DirectoryAdmin, 'units'>; units: Set<string> }>();
  for (const r of rows) {
    const admin = {
      adminId: String(r['admin_id']),
      tenantId: String(r['tenant_id']),
      businessId: String(r['business_id']),
      role: String(r['role']),
      active: r['active'] === true || r['active'] === 'true',
    };
    const seen = byAdmin.get(admin.adminId);
    if (seen && JSON.stringify(seen.admin) !== JSON.stringify(admin))
      throw new Error(`admin ${admin.adminId} appears twice in the directory`);
    const entry = seen ?? { admin, units: new Set<string>() };
    if (r['unit_id'] !== null && r['unit_id'] !== undefined) entry.units.add(text(r['unit_id']));
    byAdmin.set(admin.adminId, entry);
  }
  const admins = new Map<string, DirectoryAdmin>();
  for (const [id, { admin, units }] of byAdmin) {
    admins.set(id, Object.freeze({ ...admin, units: Object.freeze([...units].sort(numerically)) }));
  }
  return Object.freeze({ admins, loadedAt });
}

/**
 * Load the directory through a connector; any failure is SP_ERR_WAREHOUSE_UNAVAILABLE (the service keeps its last one).
 * A connector's own SP_ERR_WAREHOUSE_UNAVAILABLE keeps its detail (why: host unreachable, token refused, ...), which
 * the CLI prints at start-up.
 */
export async function loadDirectory(
  connector: Pick<WarehouseConnector, 'dialect' | 'readDirectory'>,
  registry: TableRegistry,
): Promise<Directory> {
  try {
    return buildDirectory(await connector.readDirectory(directorySql(connector.dialect, registry)));
  } catch (cause) {
    const why =
      cause instanceof SplitplaneError && cause.code === 'SP_ERR_WAREHOUSE_UNAVAILABLE' && cause.detail
        ? `: ${cause.detail}`
        : '';
    throw new SplitplaneError('SP_ERR_WAREHOUSE_UNAVAILABLE', { detail: `cannot load the directory${why}`, cause });
  }
}

/** Decimal strings in numeric order (shorter first, then by digits); anything else after, as text. */
function numerically(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
