/** The names of the transaction-local settings the RLS policies read (rls.ts) and the connector sets (connector.ts). */
export const SCOPE_SETTINGS = {
  tenant: 'splitplane.tenant_id',
  business: 'splitplane.business_id',
  units: 'splitplane.units',
} as const;
