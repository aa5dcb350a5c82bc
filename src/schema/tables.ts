/**
 * The sandbox tables: each logical table a policy may expose, the raw
 * warehouse table behind it, the columns it can carry, and the raw columns
 * that scope its rows. The policy chooses which tables and columns a role
 * sees; this registry says how to build them. Raw names never leave the
 * sandbox builder.
 */

/** A column a sandbox table may expose. */
export interface SandboxColumnSpec {
  readonly type: string;
  readonly description: string;
}

/** How one logical table is built from the warehouse. */
export interface SandboxTableSpec {
  readonly raw: string;
  readonly description: string;
  /** Raw columns that carry the scope. `location` is absent for tables scoped per business. */
  readonly scope: { readonly tenant: string; readonly business: string; readonly location?: string };
  readonly columns: Readonly<Record<string, SandboxColumnSpec>>;
  /** Words of a question that point at this table when its name is not used (src/generate/schema-router.ts). */
  readonly words: readonly string[];
  /** Tables this one needs beside it to be useful to a model (its join partners). */
  readonly partners: readonly string[];
}

export const SANDBOX_TABLES: Readonly<Record<string, SandboxTableSpec>> = Object.freeze({
  daily_sales: {
    raw: 'fact_daily_sales',
    description: 'Sales per location per business day.',
    scope: { tenant: 'tenant_id', business: 'business_id', location: 'location_id' },
    columns: {
      location_id: { type: 'BIGINT', description: 'The location (joins locations.location_id).' },
      business_date: { type: 'DATE', description: 'The business day.' },
      net_sales_amount: { type: 'DECIMAL(12,2)', description: 'Net sales in US dollars.' },
      order_count: { type: 'INTEGER', description: 'Number of orders (checks).' },
      guest_count: { type: 'INTEGER', description: 'Number of guests served.' },
    },
    words: ['sales', 'revenue', 'orders', 'guests', 'guest', 'covers', 'check', 'checks', 'traffic', 'day', 'week', 'month'],
    partners: ['locations'],
  },
  item_sales: {
    raw: 'fact_item_sales',
    description: 'Menu item sales per location per business day (last 120 days).',
    scope: { tenant: 'tenant_id', business: 'business_id', location: 'location_id' },
    columns: {
      location_id: { type: 'BIGINT', description: 'The location (joins locations.location_id).' },
      business_date: { type: 'DATE', description: 'The business day.' },
      item_id: { type: 'BIGINT', description: 'The menu item (joins menu_items.item_id).' },
      quantity: { type: 'INTEGER', description: 'Units sold.' },
      net_amount: { type: 'DECIMAL(12,2)', description: 'Net sales of the item in US dollars.' },
    },
    words: ['item', 'items', 'menu', 'dish', 'dishes', 'product', 'products', 'units', 'quantity', 'sold'],
    partners: ['menu_items', 'locations'],
  },
  locations: {
    raw: 'dim_locations',
    description: 'The locations (stores) in scope.',
    scope: { tenant: 'tenant_id', business: 'business_id', location: 'location_id' },
    columns: {
      location_id: { type: 'BIGINT', description: 'Location identifier.' },
      name: { type: 'VARCHAR', description: 'Store name.' },
      city: { type: 'VARCHAR', description: 'City.' },
      state: { type: 'VARCHAR', description: 'US state code.' },
      opened_on: { type: 'DATE', description: 'Opening date.' },
      manager_email: { type: 'VARCHAR', description: 'Store manager e-mail.' },
    },
    words: ['store', 'stores', 'location', 'locations', 'restaurant', 'restaurants', 'city', 'cities', 'state', 'states', 'site', 'branch'],
    partners: [],
  },
  menu_items: {
    raw: 'dim_menu_items',
    description: "The business's menu items.",
    scope: { tenant: 'tenant_id', business: 'business_id' },
    columns: {
      item_id: { type: 'BIGINT', description: 'Menu item identifier.' },
      name: { type: 'VARCHAR', description: 'Item name.' },
      category: { type: 'VARCHAR', description: 'Menu category.' },
      price: { type: 'DECIMAL(8,2)', description: 'List price in US dollars.' },
      unit_cost: { type: 'DECIMAL(8,2)', description: 'Cost of goods per unit in US dollars.' },
    },
    words: ['item', 'items', 'menu', 'dish', 'dishes', 'product', 'products', 'category', 'categories', 'price'],
    partners: [],
  },
});

/**
 * A sandbox table by name, or undefined: own entries only, so a name a decision or a catalog
 * supplies (`constructor`, `__proto__`) never reaches the prototype chain.
 */
export function sandboxTable(name: string): SandboxTableSpec | undefined {
  return Object.hasOwn(SANDBOX_TABLES, name) ? SANDBOX_TABLES[name] : undefined;
}

/** A column of a sandbox table by name, or undefined (own entries only, as sandboxTable). */
export function sandboxColumn(table: string, column: string): SandboxColumnSpec | undefined {
  const t = sandboxTable(table);
  return t && Object.hasOwn(t.columns, column) ? t.columns[column] : undefined;
}

/** Every raw table name in the warehouse, exposed or not (for forbidden-name checks). */
export const RAW_TABLE_NAMES: readonly string[] = Object.freeze([
  'dim_tenants',
  'dim_businesses',
  'dim_locations',
  'dim_admins',
  'admin_location_grants',
  'fact_daily_sales',
  'dim_menu_items',
  'fact_item_sales',
  'customers',
  'splitplane_meta',
]);
