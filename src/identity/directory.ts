/**
 * The directory of registered admins, read from the warehouse's grant tables
 * at start-up and on reload. It is the only source for identity resolution
 * and for the policy's data; nothing in a request can change it.
 */

/** One registered admin. IDs are decimal strings. */
export interface DirectoryAdmin {
  readonly adminId: string;
  readonly tenantId: string;
  readonly businessId: string;
  readonly role: string;
  readonly active: boolean;
  /** Granted unit IDs (the catalog's grant unit), sorted. */
  readonly units: readonly string[];
}

/** An immutable snapshot of the directory. */
export interface Directory {
  readonly admins: ReadonlyMap<string, DirectoryAdmin>;
  readonly loadedAt: Date;
}

/**
 * The directory in the shape the Rego policy reads as `data.directory`: each admin's grant under the
 * grant unit's plural (`locations` for the restaurant demo), as the catalog names it.
 */
export function directoryAsPolicyData(
  dir: Directory,
  unitPlural: string,
): { directory: { admins: Record<string, unknown> } } {
  const admins: Record<string, unknown> = {};
  for (const a of dir.admins.values()) {
    admins[a.adminId] = {
      tenant_id: a.tenantId,
      business_id: a.businessId,
      role: a.role,
      active: a.active,
      [unitPlural]: a.units,
    };
  }
  return { directory: { admins } };
}
