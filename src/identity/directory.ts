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
  /** Granted location IDs, sorted. */
  readonly locations: readonly string[];
}

/** An immutable snapshot of the directory. */
export interface Directory {
  readonly admins: ReadonlyMap<string, DirectoryAdmin>;
  readonly loadedAt: Date;
}

/** The directory in the shape the Rego policy reads as `data.directory`. */
export function directoryAsPolicyData(dir: Directory): { directory: { admins: Record<string, unknown> } } {
  const admins: Record<string, unknown> = {};
  for (const a of dir.admins.values()) {
    admins[a.adminId] = {
      tenant_id: a.tenantId,
      business_id: a.businessId,
      role: a.role,
      active: a.active,
      locations: a.locations,
    };
  }
  return { directory: { admins } };
}
